# Make sure Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432, database `test`, trust auth) are up.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    echo "== installing $* with apt"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_for_port() {
    local port="$1" name="$2"
    for _ in $(seq 1 60); do
        port_open "$port" && return 0
        sleep 0.5
    done
    echo "$name did not start on 127.0.0.1:$port" >&2
    exit 1
}

ensure_redis() {
    port_open 6379 && return 0
    command -v redis-server >/dev/null 2>&1 || apt_install redis-server
    echo "== starting redis-server"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
    wait_for_port 6379 Redis
}

ensure_postgres() {
    local version
    if ! port_open 5432; then
        command -v pg_ctlcluster >/dev/null 2>&1 || apt_install postgresql
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        echo "== starting PostgreSQL $version"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
        wait_for_port 5432 PostgreSQL
    fi
    if ! psql -h 127.0.0.1 -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
        version=$(ls /etc/postgresql | sort -V | tail -n 1)
        trust_loopback "$version"
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
        sleep 1
    fi
    if ! psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
        psql -h 127.0.0.1 -U postgres -d postgres -Atc 'create database test' >/dev/null 2>&1 ||
            as_root su postgres -c "psql -Atc 'create database test'" >/dev/null
    fi
}

trust_loopback() {
    local hba="/etc/postgresql/$1/main/pg_hba.conf"
    if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
        echo "== allowing trust auth on loopback in $hba (test machines only)"
        as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
    fi
}
