"""Checks on every value the gateway puts into an ARI URL or body, so that bad input fails before it is sent.

Asterisk's HTTP server percent-decodes the whole path *before* ARI splits it into segments, so an id
holding `/` would address another resource even when encoded as `%2F`: such ids are refused, not encoded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from adapters.asterisk.ari.errors import AriInvalidInput

QueryValue = str | int | float | bool
"""What an ARI query parameter may hold; booleans go on the wire as `true`/`false`."""


def check_text(value: str, what: str) -> str:
    """`value` unchanged, or `AriInvalidInput` if it holds a control character (CR, LF, NUL, TAB …)."""
    if not isinstance(value, str):
        raise AriInvalidInput(f"{what} must be text, not {type(value).__name__}")
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cc":
            raise AriInvalidInput(
                f"{what} {value!r} contains control character U+{ord(char):04X} at position {position}; "
                "ARI parameters must be printable text"
            )
    return value


def path_segment(value: str, what: str) -> str:
    """One URL path segment for an id or name, percent-encoded; refuses empty, `.`, `..` and `/`."""
    check_text(value, what)
    if value in ("", ".", ".."):
        raise AriInvalidInput(f"{what} {value!r} is not a valid ARI identifier")
    if "/" in value:
        raise AriInvalidInput(
            f"{what} {value!r} contains '/'; Asterisk decodes the path before routing it, "
            "so such an id cannot be addressed safely"
        )
    return quote(value, safe="")


def query_params(params: Mapping[str, QueryValue | None]) -> dict[str, str]:
    """Query parameters as ARI expects them: None dropped, booleans as `true`/`false`, text checked."""
    encoded: dict[str, str] = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[name] = "true" if value else "false"
        elif isinstance(value, int | float):
            encoded[name] = str(value)
        else:
            encoded[name] = check_text(value, name)
    return encoded


def variables_body(variables: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The `{"variables": {...}}` body of originate/create, every name and value checked."""
    checked: dict[str, str] = {}
    for name, value in variables.items():
        check_text(name, "variable name")
        if not name:
            raise AriInvalidInput("variable name must not be empty")
        checked[name] = check_text(value, f"value of variable {name}")
    return {"variables": checked}


def join_args(args: str | Sequence[str] | None, what: str = "appArgs") -> str | None:
    """Stasis application arguments as ARI's comma-separated string; an argument may not contain a comma."""
    if args is None or isinstance(args, str):
        return args
    for arg in args:
        check_text(arg, what)
        if "," in arg:
            raise AriInvalidInput(f"{what} item {arg!r} contains ',', which ARI uses to separate arguments")
    return ",".join(args)
