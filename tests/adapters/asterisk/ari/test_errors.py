"""ARI refusals become specific exceptions carrying Asterisk's status and message (wire INDEX items 24–31)."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from adapters.asterisk.ari import (
    AriBadRequest,
    AriClient,
    AriConflict,
    AriError,
    AriInvalidInput,
    AriNotFound,
    AriServerError,
    AriUnauthorized,
    AriUnavailable,
    AriUnprocessable,
)
from adapters.asterisk.ari.errors import error_for_status
from adapters.asterisk.ari.models import Channel, LiveRecording, Playback
from tests.adapters.asterisk.ari.wire_replay import ARI_PASSWORD, ARI_USER, HttpReplay

BASE_URL = "http://127.0.0.1:8088/ari"

Step = Callable[[AriClient], Awaitable[Any]]


def _steps() -> list[tuple[str, Step, type[AriError] | type, str]]:
    """The ari_errors recording, request by request: what the gateway calls and what it must get."""
    return [
        ("wrong password", lambda a: a.asterisk.info(), AriUnauthorized, "Authentication required"),
        ("no credentials", lambda a: a.asterisk.info(), AriUnauthorized, "Authentication required"),
        ("unknown channel", lambda a: a.channels.get("does-not-exist"), AriNotFound, "Channel not found"),
        ("unknown bridge", lambda a: a.bridges.get("does-not-exist"), AriNotFound, "Bridge not found"),
        (
            "unknown stored recording",
            lambda a: a.recordings.stored.get("does-not-exist"),
            AriNotFound,
            "Recording not found",
        ),
        (
            "unknown path",
            lambda a: a.rest.call("GET", "/no/such/resource"),
            AriNotFound,
            "Resource not found",
        ),
        ("wrong method", lambda a: a.rest.call("PUT", "/channels"), AriError, "Invalid method"),
        (
            "originate without endpoint",
            lambda a: a.rest.call("POST", "/channels", params={"app": "cti"}),
            AriBadRequest,
            "Endpoint must be specified",
        ),
        (
            "originate without app or extension",
            lambda a: a.channels.originate("Local/2001@customers"),
            AriBadRequest,
            "Application or extension must be specified",
        ),
        (
            "unknown technology",
            lambda a: a.channels.originate("Bogus/2001", app="cti"),
            AriServerError,
            "Allocation failed",
        ),
        (
            "malformed JSON body",
            lambda a: a.rest.call(
                "POST",
                "/channels",
                params={"endpoint": "Local/2001@customers", "app": "cti"},
                body="{not json",
            ),
            AriBadRequest,
            "Error parsing request body",
        ),
        (
            "originate into Stasis",
            lambda a: a.channels.originate(
                "Local/2001@customers",
                app="cti",
                channel_id="wire-err",
                other_channel_id="wire-err-peer",
                variables={"CUSTOMER_TALK_SECS": "30"},
            ),
            Channel,
            "wire-err",
        ),
        (
            "originate into dialplan",
            lambda a: a.channels.originate(
                "Local/2002@customers",
                context="util",
                extension="wait",
                priority=1,
                channel_id="wire-nostasis",
                variables={"CUSTOMER_TALK_SECS": "30"},
            ),
            Channel,
            "wire-nostasis",
        ),
        (
            "duplicate channel id",
            lambda a: a.channels.originate("Local/2003@customers", app="cti", channel_id="wire-err"),
            AriConflict,
            "Channel with given unique ID already exists",
        ),
        (
            "channel id that prefixes a live one (22.10.1 quirk)",
            lambda a: a.channels.originate("Local/2003@customers", app="cti", channel_id="wire-er"),
            AriConflict,
            "Channel with given unique ID already exists",
        ),
        (
            "answer outside Stasis",
            lambda a: a.channels.answer("wire-nostasis"),
            AriConflict,
            "Channel not in Stasis application",
        ),
        (
            "play outside Stasis",
            lambda a: a.channels.play("wire-nostasis", "sound:beep"),
            AriConflict,
            "Channel not in Stasis application",
        ),
        (
            "dtmf missing",
            lambda a: a.rest.call("POST", "/channels/wire-err/dtmf"),
            AriBadRequest,
            "DTMF is required",
        ),
        (
            "variable name missing",
            lambda a: a.rest.call("GET", "/channels/wire-err/variable"),
            AriBadRequest,
            "Variable name is required",
        ),
        (
            "variable not set",
            lambda a: a.channels.get_variable("wire-err", "NOT_SET_ANYWHERE"),
            AriNotFound,
            "Provided variable was not found",
        ),
        (
            "unknown recording format",
            lambda a: a.channels.record("wire-err", "wire-err-rec", "nosuchformat"),
            AriUnprocessable,
            "specified format is unknown on this system",
        ),
        (
            "record",
            lambda a: a.channels.record(
                "wire-err", "wire-err-rec", "wav", max_duration_seconds=1, if_exists="overwrite"
            ),
            LiveRecording,
            "wire-err-rec",
        ),
        ("stop recording", lambda a: a.recordings.live.stop("wire-err-rec"), type(None), ""),
        (
            "recording name taken",
            lambda a: a.channels.record("wire-err", "wire-err-rec", "wav", if_exists="fail"),
            AriConflict,
            "Recording 'wire-err-rec' already exists and can not be overwritten",
        ),
        ("delete stored recording", lambda a: a.recordings.stored.delete("wire-err-rec"), type(None), ""),
        (
            "redirect without endpoint",
            lambda a: a.rest.call("POST", "/channels/wire-err/redirect"),
            AriBadRequest,
            "Required parameter 'endpoint' not provided.",
        ),
        (
            "redirect to another technology",
            lambda a: a.channels.redirect("wire-err", "PJSIP/1001"),
            AriUnprocessable,
            "Endpoint technology 'PJSIP' does not match channel technology 'Local'",
        ),
        (
            "create bridge",
            lambda a: a.bridges.create(type="mixing", bridge_id="wire-errbr"),
            object,
            "wire-errbr",
        ),
        (
            "add unknown channel to bridge (400, not 404)",
            lambda a: a.bridges.add_channel("wire-errbr", "does-not-exist"),
            AriBadRequest,
            "Channel not found",
        ),
        (
            "add non-Stasis channel to bridge",
            lambda a: a.bridges.add_channel("wire-errbr", "wire-nostasis"),
            AriUnprocessable,
            "Channel not in Stasis application",
        ),
        (
            "add channel to unknown bridge",
            lambda a: a.bridges.add_channel("does-not-exist", "wire-err"),
            AriNotFound,
            "Bridge not found",
        ),
        (
            "play unknown media scheme (accepted)",
            lambda a: a.channels.play("wire-err", "nosuchscheme:foo", playback_id="wire-badmedia"),
            Playback,
            "wire-badmedia",
        ),
        (
            "play missing file (accepted)",
            lambda a: a.channels.play("wire-err", "sound:no-such-sound-file", playback_id="wire-nofile"),
            Playback,
            "wire-nofile",
        ),
        (
            "invalid hangup reason",
            lambda a: a.channels.hangup("wire-err", reason="bogus"),
            AriBadRequest,
            "Invalid reason for hangup reason provided",
        ),
        ("hang up", lambda a: a.channels.hangup("wire-err"), type(None), ""),
        ("hang up twice", lambda a: a.channels.hangup("wire-err"), AriNotFound, "Channel not found"),
        ("destroy bridge", lambda a: a.bridges.destroy("wire-errbr"), type(None), ""),
        (
            "hang up non-Stasis channel (allowed)",
            lambda a: a.channels.hangup("wire-nostasis"),
            type(None),
            "",
        ),
    ]


async def test_every_recorded_ari_refusal_maps_to_its_specific_exception() -> None:
    replay = HttpReplay.of("ari_errors", check_credentials=False)
    wrong = AriClient(BASE_URL, ARI_USER, "wrong", transport=replay.transport())
    right = AriClient(BASE_URL, ARI_USER, ARI_PASSWORD, transport=replay.transport())
    try:
        for index, (what, step, expected, text) in enumerate(_steps()):
            client = wrong if index < 2 else right
            if isinstance(expected, type) and issubclass(expected, AriError):
                with pytest.raises(expected) as caught:
                    await step(client)
                error = caught.value
                assert error.message == text, what
                assert error.status is not None and 400 <= error.status < 600, what
                assert text in str(error) and error.path in str(error), what
            else:
                result = await step(client)
                assert isinstance(result, expected), what
                if text:
                    assert text in (getattr(result, "id", None), getattr(result, "name", None)), what
        replay.assert_all_replayed()
    finally:
        await wrong.aclose()
        await right.aclose()


def test_wrong_method_is_a_plain_ari_error_with_status_405() -> None:
    error = error_for_status(405, '{"message":"Invalid method"}', method="PUT", path="/channels")
    assert type(error) is AriError
    assert (error.status, error.message) == (405, "Invalid method")


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, AriBadRequest),
        (401, AriUnauthorized),
        (404, AriNotFound),
        (409, AriConflict),
        (422, AriUnprocessable),
        (500, AriServerError),
        (503, AriServerError),
    ],
)
def test_each_error_status_has_its_own_exception_type(status: int, cls: type[AriError]) -> None:
    error = error_for_status(status, '{"message": "x"}')
    assert type(error) is cls
    assert error.status == status


def test_an_html_error_body_gives_its_text_as_the_message() -> None:
    error = error_for_status(400, "<html><body>\r\n<p>HTTP request is missing param: [app]</p></body></html>")
    assert "missing param: [app]" in error.message


async def test_an_unreachable_asterisk_raises_ari_unavailable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with AriClient(f"http://127.0.0.1:{port}/ari", ARI_USER, ARI_PASSWORD, timeout=2) as ari:
        with pytest.raises(AriUnavailable, match="did not answer") as caught:
            await ari.asterisk.info()
    assert caught.value.status is None


async def test_a_timed_out_request_raises_ari_unavailable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with AriClient(BASE_URL, ARI_USER, ARI_PASSWORD, transport=httpx.MockTransport(slow)) as ari:
        with pytest.raises(AriUnavailable, match="ReadTimeout"):
            await ari.channels.list()


async def test_a_response_that_does_not_fit_the_model_is_an_ari_error_not_a_pydantic_trace() -> None:
    def wrong_shape(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"name": "no id here"})

    async with AriClient(BASE_URL, ARI_USER, ARI_PASSWORD, transport=httpx.MockTransport(wrong_shape)) as ari:
        with pytest.raises(AriError, match="not a Channel"):
            await ari.channels.get("x")


def test_invalid_input_is_both_an_ari_error_and_a_value_error() -> None:
    assert issubclass(AriInvalidInput, AriError)
    assert issubclass(AriInvalidInput, ValueError)
