# Create .venv with Python >= 3.11 and install the project into it (editable), quietly.
ensure_venv() {
    local extras="$1" python=""
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            python="$candidate"
            break
        fi
    done
    if [ -z "$python" ]; then
        echo "Python 3.11 or newer is required (apt-get install python3 python3-venv)." >&2
        exit 1
    fi
    if [ ! -x .venv/bin/python ]; then
        echo "== creating .venv with $python"
        "$python" -m venv .venv
    fi
    echo "== installing $extras into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e "$extras"
}
