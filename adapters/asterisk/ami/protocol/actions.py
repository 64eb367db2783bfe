"""Sans-I/O AMI action encoder that refuses header injection before a byte reaches the socket.

A CR or LF in a caller name or a channel variable would let a value end its header and start new
ones (or a whole new action, such as a Redirect of someone else's call). Every action name, header
name and value is therefore checked, and any control character is rejected rather than stripped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from adapters.asterisk.ami.errors import AmiHeaderInjection, AmiInvalidAction

ScalarValue = str | int | bool
FieldValue = ScalarValue | Sequence[ScalarValue] | Mapping[str, ScalarValue] | None
"""A header's value: a scalar; a list for a header sent several times (Originate `Variable`);
a mapping `{name: value}` sent as repeated `name=value` entries; or None to leave the header out."""

# C0 controls (CR, LF, NUL, TAB …), DEL, C1 controls and the Unicode line/paragraph separators.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ACTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_HEADER_NAME = re.compile(r"[!-9;-~]+\Z")  # printable ASCII except the colon
_RESERVED_HEADERS = frozenset({"action", "actionid"})


def validate_header_text(text: str, *, action: str, header: str) -> None:
    """Raise `AmiHeaderInjection` if `text` holds a control character; names the field, never the value."""
    found = _CONTROL_CHARACTER.search(text)
    if found is not None:
        raise AmiHeaderInjection(
            f"AMI action {action!r}: {header} contains control character U+{ord(found.group()):04X} "
            f"at position {found.start()}; nothing was sent. Remove line breaks and control characters "
            "from the value (they could forge extra AMI headers or actions)."
        )


def encode_action(action: str, action_id: str, fields: Mapping[str, FieldValue]) -> bytes:
    """Build `Action: X\\r\\nActionID: …\\r\\n…\\r\\n\\r\\n` after validating every name and value."""
    validate_header_text(action, action=action, header="the action name")
    if not _ACTION_NAME.match(action):
        raise AmiInvalidAction(f"AMI action name {action!r} must be letters, digits and underscores.")
    validate_header_text(action_id, action=action, header="header 'ActionID'")
    lines = [f"Action: {action}", f"ActionID: {action_id}"]
    for name, value in fields.items():
        validate_header_text(name, action=action, header=f"header name {name!r}")
        if not _HEADER_NAME.match(name):
            raise AmiInvalidAction(
                f"AMI action {action!r}: header name {name!r} must be printable ASCII without ':' or spaces."
            )
        if name.lower() in _RESERVED_HEADERS:
            raise AmiInvalidAction(
                f"AMI action {action!r}: header {name!r} is set by the client itself; leave it out."
            )
        for text in _header_texts(action, name, value):
            validate_header_text(text, action=action, header=f"header {name!r}")
            lines.append(f"{name}: {text}")
    lines.append("\r\n")
    return "\r\n".join(lines).encode("utf-8")


def _header_texts(action: str, name: str, value: FieldValue) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int | bool):
        return [_scalar_text(action, name, value)]
    if isinstance(value, Mapping):
        texts = []
        for key, item in value.items():
            if not isinstance(key, str) or not key or "=" in key:
                raise AmiInvalidAction(
                    f"AMI action {action!r}: header {name!r} has an invalid variable name {key!r}."
                )
            texts.append(f"{key}={_scalar_text(action, name, item)}")
        return texts
    if isinstance(value, Sequence):
        return [_scalar_text(action, name, item) for item in value]
    raise AmiInvalidAction(
        f"AMI action {action!r}: header {name!r} has a value of type {type(value).__name__}; "
        "use a string, number, boolean, list or mapping."
    )


def _scalar_text(action: str, name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    raise AmiInvalidAction(
        f"AMI action {action!r}: header {name!r} has a value of type {type(value).__name__}; "
        "use a string, number or boolean."
    )
