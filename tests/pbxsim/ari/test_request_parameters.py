"""ARI parameters come from the query string or a JSON body; credentials from basic auth or api_key."""

from __future__ import annotations

import base64

import pytest

from pbxsim.ari.channels import parse_caller_id
from pbxsim.ari.credentials import AriCredentials
from pbxsim.ari.errors import AriRequestError
from pbxsim.ari.params import parse_params
from pbxsim.engine.model import PartyId


def test_body_variables_and_fields_are_merged_with_the_query() -> None:
    params = parse_params({"endpoint": "Local/2001@customers"}, b'{"variables": {"A": "1"}, "app": "cti"}')
    assert params.get("endpoint") == "Local/2001@customers"
    assert params.get("app") == "cti"
    assert dict(params.variables) == {"A": "1"}


def test_query_wins_over_a_body_field_of_the_same_name() -> None:
    assert parse_params({"app": "cti"}, b'{"app": "other"}').get("app") == "cti"


def test_a_body_that_is_not_json_is_refused_like_asterisk() -> None:
    with pytest.raises(AriRequestError) as refused:
        parse_params({}, b"{not json")
    assert (refused.value.status, refused.value.message) == (400, "Error parsing request body")


def test_comma_lists_and_booleans() -> None:
    params = parse_params({"appArgs": "dialer,2001", "beep": "true"}, b"")
    assert params.csv("appArgs") == ["dialer", "2001"]
    assert params.boolean("beep", False) is True


def test_required_parameter_uses_asterisk_wording() -> None:
    with pytest.raises(AriRequestError, match=r"Required parameter 'endpoint' not provided\."):
        parse_params({}, b"").required("endpoint")


@pytest.mark.parametrize(
    ("text", "party"),
    [
        ('"Wire Inbound" <5551300>', PartyId("5551300", "Wire Inbound")),
        ("Dialer <700>", PartyId("700", "Dialer")),
        ("5551234", PartyId("5551234", "")),
    ],
)
def test_caller_id_forms_are_parsed(text: str, party: PartyId) -> None:
    assert parse_caller_id(text) == party


def test_basic_auth_and_api_key_are_both_accepted_and_checked() -> None:
    credentials = AriCredentials("cti", "cti-secret")
    header = "Basic " + base64.b64encode(b"cti:cti-secret").decode()
    assert credentials.accepts(header, {})
    assert credentials.accepts(None, {"api_key": "cti:cti-secret"})
    assert not credentials.accepts(None, {"api_key": "cti:wrong"})
    assert not credentials.accepts("Basic " + base64.b64encode(b"cti:nope").decode(), {})
    assert not credentials.accepts(None, {})
