"""Turn what a client typed into something the PBX can dial: an E.164 number or an internal extension.

Everything that reaches an AMI header or an ARI query passes through here first, so a control character
or a malformed number is refused with the name of the request field instead of reaching the PBX.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers

from cti_gateway.call_control.errors import InvalidField

# C0 and C1 controls, DEL and the Unicode line/paragraph separators: any of them could end an AMI header.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_EXTENSION = re.compile(r"[0-9*#]+\Z")
_ENDPOINT = re.compile(r"[A-Za-z][A-Za-z0-9_-]*/[!-~]+\Z")
_NUMBER_PUNCTUATION = re.compile(r"[\s().-]")
DEFAULT_MAX_EXTENSION_LENGTH = 6


def control_character_problem(text: str) -> str | None:
    """Why `text` may not reach the PBX, or None when it holds no control character."""
    found = _CONTROL_CHARACTER.search(text)
    if found is None:
        return None
    where = f"U+{ord(found.group()):04X} at position {found.start()}"
    return f"must not contain control characters (found {where})"


def refuse_control_characters(text: str) -> str:
    """A pydantic validator: raise `ValueError` (hence a 422 naming the field) on any control character."""
    problem = control_character_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


@dataclass(frozen=True, slots=True)
class Destination:
    """A dialable target: `+15551234567` (kind e164) or `2001` (kind extension)."""

    kind: Literal["e164", "extension"]
    value: str


def parse_destination(
    text: str,
    *,
    field: str,
    default_region: str,
    max_extension_length: int = DEFAULT_MAX_EXTENSION_LENGTH,
) -> Destination:
    """Short runs of digits (and `*`/`#`) are extensions; anything else must be a valid phone number.

    Numbers without `+` are read as national numbers of `default_region`. Raises `InvalidField`.
    """
    problem = control_character_problem(text)
    if problem is not None:
        raise InvalidField(field, problem)
    stripped = text.strip()
    if not stripped:
        raise InvalidField(field, "must be a phone number in E.164 form (+15551234567) or an extension")
    if _EXTENSION.match(stripped) and len(stripped) <= max_extension_length:
        return Destination("extension", stripped)
    compact = _NUMBER_PUNCTUATION.sub("", stripped)
    if not re.fullmatch(r"\+?[0-9]{2,17}", compact):
        raise InvalidField(
            field,
            f"{stripped!r} is neither an extension (up to {max_extension_length} digits, * or #) "
            "nor a phone number such as +15551234567",
        )
    try:
        number = phonenumbers.parse(compact, None if compact.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidField(field, f"{stripped!r} is not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        where = "" if compact.startswith("+") else f" (read as a {default_region} number)"
        raise InvalidField(field, f"{stripped!r} is not a valid phone number{where}")
    return Destination("e164", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def check_endpoint(text: str, *, field: str) -> str:
    """An Asterisk dial string such as `PJSIP/1001` or `Local/1001@agents`; raises `InvalidField`."""
    problem = control_character_problem(text)
    if problem is not None:
        raise InvalidField(field, problem)
    if not _ENDPOINT.match(text) or "," in text or "&" in text:
        raise InvalidField(
            field, f"{text!r} is not an agent id or an endpoint such as PJSIP/1001 or Local/1001@agents"
        )
    return text
