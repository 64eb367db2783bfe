"""Caller numbers become E.164 whatever form the PBX or a CRM export uses."""

from __future__ import annotations

import pytest

from cti_gateway.directory import InvalidPhoneNumber, to_e164


@pytest.mark.parametrize(
    ("number", "region", "expected"),
    [
        ("+34 911 23 45 67", "US", "+34911234567"),
        ("911234567", "ES", "+34911234567"),
        ("0034911234567", "ES", "+34911234567"),
        ("(212) 555-1234", "US", "+12125551234"),
        ("1-212-555-1234", "US", "+12125551234"),
        ("011 34 911 234 567", "US", "+34911234567"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("+44 (0)20 7946 0018", "US", "+442079460018"),
        ("tel:+1-212-555-1234", "ES", "+12125551234"),
        ("  +442070672054 ", "gb", "+442070672054"),
    ],
)
def test_national_and_international_forms_become_the_same_e164_number(
    number: str, region: str, expected: str
) -> None:
    assert to_e164(number, region) == expected


def test_an_international_number_outside_any_numbering_plan_is_kept_as_presented() -> None:
    # pbxsim's demo callers (+3491 + 8 digits) are one digit too long for Spain; a CRM still keys them.
    assert to_e164("+349399194776", "US") == "+349399194776"


@pytest.mark.parametrize("number", ["", "   ", "anonymous", "<unknown>", "1001", "+1", "+3491\r\n1234567"])
def test_anonymous_callers_extensions_and_garbage_are_not_phone_numbers(number: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        to_e164(number, "US")
