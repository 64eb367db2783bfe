"""What a client may type as a destination, and what the PBX is then asked to dial."""

from __future__ import annotations

import pytest

from cti_gateway.call_control.destinations import Destination, check_endpoint, parse_destination
from cti_gateway.call_control.errors import InvalidField


def parse(text: str) -> Destination:
    return parse_destination(text, field="to", default_region="US")


def test_short_digit_strings_are_extensions_dialled_as_typed() -> None:
    assert parse("2001") == Destination("extension", "2001")
    assert parse("*72#") == Destination("extension", "*72#")


def test_phone_numbers_are_normalised_to_e164_with_the_default_region() -> None:
    assert parse("+34 911 23 45 67") == Destination("e164", "+34911234567")
    assert parse("(202) 555-0143") == Destination("e164", "+12025550143")


@pytest.mark.parametrize("text", ["", "abc", "+1 555", "+99912345678", "2001; Hangup", "20\r\n01"])
def test_anything_else_is_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidField) as refused:
        parse(text)
    assert refused.value.field == "to"


def test_a_control_character_is_reported_with_its_position_not_dialled() -> None:
    with pytest.raises(InvalidField, match=r"U\+000A at position 4"):
        parse("2001\nAction: Originate")


@pytest.mark.parametrize("endpoint", ["PJSIP/1001", "Local/1001@agents", "SIP/trunk/5551234"])
def test_endpoints_are_technology_slash_resource(endpoint: str) -> None:
    assert check_endpoint(endpoint, field="from") == endpoint


@pytest.mark.parametrize("endpoint", ["1001", "PJSIP/1001&PJSIP/1002", "Local/1001@agents,30", "PJSIP/ 1001"])
def test_endpoints_that_could_ring_more_than_one_phone_are_refused(endpoint: str) -> None:
    with pytest.raises(InvalidField):
        check_endpoint(endpoint, field="from")
