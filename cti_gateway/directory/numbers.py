"""Phone numbers as the directory keys them: E.164, whatever form the PBX or a CRM export uses."""

from __future__ import annotations

import phonenumbers
from phonenumbers import CountryCodeSource, PhoneNumberFormat


class InvalidPhoneNumber(ValueError):
    """A caller id that is not a phone number (anonymous, an extension, garbage)."""


def to_e164(number: str, default_region: str) -> str:
    """Normalise `number` to E.164, reading numbers without + or an international prefix as national
    numbers of `default_region` (an ISO country code such as "ES").

    Numbers given in international form are kept even when no numbering plan allows them (a CRM
    should still find what the PBX presents); national forms must be possible numbers of the region,
    so that internal extensions such as 1001 are refused rather than turned into bogus numbers.
    """
    text = number.strip()
    if not text or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise InvalidPhoneNumber(f"{number!r} is not a phone number")
    try:
        parsed = phonenumbers.parse(text, default_region.upper(), keep_raw_input=True)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"{number!r} is not a phone number: {exc}") from None
    from_default_region = parsed.country_code_source == CountryCodeSource.FROM_DEFAULT_COUNTRY
    if from_default_region and not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(
            f"{number!r} is not a possible phone number in region {default_region.upper()}; "
            "give it with a + and its country code"
        )
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
