"""Ids and values the gateway puts into ARI requests are encoded; unsafe ones are refused before sending."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from adapters.asterisk.ari import AriClient, AriInvalidInput

BASE_URL = "http://127.0.0.1:8088/ari"


class Recorder:
    """An httpx handler that records requests and answers 204 (or a channel for originate)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST" and request.url.path == "/ari/channels":
            return httpx.Response(200, json={"id": "x", "name": "Local/1@a-1;1", "state": "Down"})
        return httpx.Response(204)


@pytest.fixture
async def recorded() -> AsyncIterator[tuple[AriClient, Recorder]]:
    recorder = Recorder()
    client = AriClient(BASE_URL, "cti", "cti-secret", transport=httpx.MockTransport(recorder))
    yield client, recorder
    await client.aclose()


async def test_channel_ids_are_percent_encoded_in_the_path(recorded: tuple[AriClient, Recorder]) -> None:
    client, recorder = recorded
    await client.channels.answer("a b?c#d%e")
    assert recorder.requests[0].url.raw_path == b"/ari/channels/a%20b%3Fc%23d%25e/answer"


@pytest.mark.parametrize("bad_id", ["../bridges/x", "x/answer", "..", ".", ""])
async def test_a_channel_id_that_could_escape_its_path_segment_is_refused_unsent(
    recorded: tuple[AriClient, Recorder], bad_id: str
) -> None:
    client, recorder = recorded
    with pytest.raises(AriInvalidInput, match="channel id"):
        await client.channels.hangup(bad_id)
    assert recorder.requests == []


Call = Callable[[AriClient], Awaitable[Any]]

CONTROL_CHARACTER_CALLS: list[tuple[str, Call, str]] = [
    ("CRLF in channel id", lambda c: c.channels.answer("wire\r\nX"), "channel id"),
    ("NUL in bridge id", lambda c: c.bridges.destroy("br\x00"), "bridge id"),
    ("LF in caller id", lambda c: c.channels.originate("Local/1@a", app="cti", caller_id="A\nB"), "callerId"),
    ("TAB in endpoint", lambda c: c.channels.originate("Local/1@a\t", app="cti"), "endpoint"),
    (
        "LF in variable value",
        lambda c: c.channels.originate("Local/1@a", app="cti", variables={"X": "1\n2"}),
        "value of variable X",
    ),
    ("ESC in variable name", lambda c: c.channels.set_variable("x", "A\x1b", "v"), "variable name"),
    ("DEL in media", lambda c: c.channels.play("x", "sound:beep\x7f"), "media"),
    ("C1 control in recording name", lambda c: c.recordings.live.stop("rec\x85"), "recording name"),
    ("CR in app args", lambda c: c.channels.move("x", "cti", app_args=["a\r"]), "appArgs"),
]


@pytest.mark.parametrize(
    ("call", "field"),
    [(call, field) for _, call, field in CONTROL_CHARACTER_CALLS],
    ids=[what for what, _, _ in CONTROL_CHARACTER_CALLS],
)
async def test_control_characters_in_any_parameter_are_refused_with_the_field_named(
    recorded: tuple[AriClient, Recorder], call: Call, field: str
) -> None:
    client, recorder = recorded
    with pytest.raises(AriInvalidInput, match="control character U\\+00") as caught:
        await call(client)
    assert field in str(caught.value)
    assert recorder.requests == []


async def test_missing_required_values_are_refused_before_sending(
    recorded: tuple[AriClient, Recorder],
) -> None:
    client, recorder = recorded
    with pytest.raises(AriInvalidInput, match="dtmf"):
        await client.channels.send_dtmf("x", "")
    with pytest.raises(AriInvalidInput, match="variable name"):
        await client.channels.get_variable("x", "")
    with pytest.raises(AriInvalidInput, match="variable name"):
        await client.channels.originate("Local/1@a", app="cti", variables={"": "1"})
    with pytest.raises(AriInvalidInput, match="separate arguments"):
        await client.channels.originate("Local/1@a", app="cti", app_args=["a,b"])
    assert recorder.requests == []


async def test_booleans_and_numbers_go_on_the_wire_as_ari_expects(
    recorded: tuple[AriClient, Recorder],
) -> None:
    client, recorder = recorded
    await client.bridges.add_channel("br", ["a", "b"], absorb_dtmf=False, mute=True)
    await client.channels.send_dtmf("x", "1#", duration=100)
    assert dict(recorder.requests[0].url.params) == {"channel": "a,b", "absorbDTMF": "false", "mute": "true"}
    assert dict(recorder.requests[1].url.params) == {"dtmf": "1#", "duration": "100"}


async def test_unicode_caller_names_are_sent_intact(recorded: tuple[AriClient, Recorder]) -> None:
    client, recorder = recorded
    await client.channels.originate("Local/1@a", app="cti", caller_id='"Zoë Müller" <100>')
    assert recorder.requests[0].url.params["callerId"] == '"Zoë Müller" <100>'


def test_events_url_carries_app_and_api_key_like_the_recorded_connect() -> None:
    client = AriClient(BASE_URL, "cti", "cti-secret")
    assert client.events_url("cti") == "ws://127.0.0.1:8088/ari/events?app=cti&api_key=cti:cti-secret"
    assert client.redacted_events_url("cti") == "ws://127.0.0.1:8088/ari/events?app=cti&api_key=cti:***"


def test_events_url_uses_wss_for_https_and_encodes_special_characters() -> None:
    client = AriClient("https://pbx.example:8089/ari/", "cti", "p&w=d?")
    assert client.events_url("c ti") == "wss://pbx.example:8089/ari/events?app=c+ti&api_key=cti:p%26w%3Dd%3F"


@pytest.mark.parametrize(
    ("base_url", "username", "password", "message"),
    [
        ("http://127.0.0.1:8088/ari", "ct:i", "x", "must not contain ':'"),
        ("ftp://127.0.0.1/ari", "cti", "x", "must start with http"),
        ("http://127.0.0.1:8088/ari", "cti", "pass\nword", "ARI password"),
    ],
)
def test_bad_connection_settings_are_refused_with_a_clear_message(
    base_url: str, username: str, password: str, message: str
) -> None:
    with pytest.raises(AriInvalidInput, match=message):
        AriClient(base_url, username, password)
