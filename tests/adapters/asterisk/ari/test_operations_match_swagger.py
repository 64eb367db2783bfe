"""Every client operation, recorded or not, sends a method, path and parameters ARI's Swagger declares."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from adapters.asterisk.ari import AriClient
from tests.support.wire import ASTERISK_REFERENCE

Operation = Callable[[AriClient], Awaitable[Any]]

CHANNEL = {"id": "c1", "name": "Local/1@a-1;1", "state": "Up"}
BRIDGE = {"id": "b1", "channels": []}
PLAYBACK = {"id": "p1", "media_uri": "sound:beep", "target_uri": "bridge:b1", "state": "queued"}
RECORDING = {"name": "r1", "format": "wav", "state": "queued", "target_uri": "bridge:b1"}

OPERATIONS: list[tuple[str, Operation, Any]] = [
    ("channels.list", lambda a: a.channels.list(), [CHANNEL]),
    ("channels.get", lambda a: a.channels.get("c1"), CHANNEL),
    (
        "channels.originate",
        lambda a: a.channels.originate(
            "Local/1@a",
            app="cti",
            app_args=["x"],
            label="l",
            originator="c0",
            formats="ulaw",
            variables={"A": "1"},
        ),
        CHANNEL,
    ),
    (
        "channels.create",
        lambda a: a.channels.create("Local/1@a", "cti", app_args="x", channel_id="c1"),
        CHANNEL,
    ),
    ("channels.hangup", lambda a: a.channels.hangup("c1", reason_code="16"), None),
    ("channels.answer", lambda a: a.channels.answer("c1"), None),
    ("channels.ring", lambda a: a.channels.ring("c1"), None),
    ("channels.ring_stop", lambda a: a.channels.ring_stop("c1"), None),
    ("channels.hold", lambda a: a.channels.hold("c1"), None),
    ("channels.unhold", lambda a: a.channels.unhold("c1"), None),
    ("channels.start_moh", lambda a: a.channels.start_moh("c1", moh_class="default"), None),
    ("channels.stop_moh", lambda a: a.channels.stop_moh("c1"), None),
    ("channels.start_silence", lambda a: a.channels.start_silence("c1"), None),
    ("channels.stop_silence", lambda a: a.channels.stop_silence("c1"), None),
    ("channels.mute", lambda a: a.channels.mute("c1", direction="in"), None),
    ("channels.unmute", lambda a: a.channels.unmute("c1", direction="in"), None),
    (
        "channels.play",
        lambda a: a.channels.play("c1", ["sound:a", "sound:b"], offsetms=1, skipms=2, playback_id="p1"),
        PLAYBACK,
    ),
    (
        "channels.record",
        lambda a: a.channels.record("c1", "r1", "wav", max_silence_seconds=3, terminate_on="#"),
        RECORDING,
    ),
    ("channels.snoop", lambda a: a.channels.snoop("c1", "cti", spy="in", snoop_id="s1"), CHANNEL),
    (
        "channels.send_dtmf",
        lambda a: a.channels.send_dtmf("c1", "12#", before=1, between=2, duration=3, after=4),
        None,
    ),
    ("channels.get_variable", lambda a: a.channels.get_variable("c1", "X"), {"value": "1"}),
    ("channels.set_variable", lambda a: a.channels.set_variable("c1", "X", "1"), None),
    ("channels.redirect", lambda a: a.channels.redirect("c1", "PJSIP/1001"), None),
    ("channels.continue_in_dialplan", lambda a: a.channels.continue_in_dialplan("c1", label="start"), None),
    ("channels.move", lambda a: a.channels.move("c1", "other", app_args="x"), None),
    ("bridges.list", lambda a: a.bridges.list(), [BRIDGE]),
    ("bridges.get", lambda a: a.bridges.get("b1"), BRIDGE),
    (
        "bridges.create",
        lambda a: a.bridges.create(type="mixing,dtmf_events", bridge_id="b1", name="n"),
        BRIDGE,
    ),
    ("bridges.destroy", lambda a: a.bridges.destroy("b1"), None),
    (
        "bridges.add_channel",
        lambda a: a.bridges.add_channel("b1", "c1", role="agent", inhibit_connected_line_updates=True),
        None,
    ),
    ("bridges.remove_channel", lambda a: a.bridges.remove_channel("b1", ["c1", "c2"]), None),
    ("bridges.start_moh", lambda a: a.bridges.start_moh("b1"), None),
    ("bridges.stop_moh", lambda a: a.bridges.stop_moh("b1"), None),
    ("bridges.play", lambda a: a.bridges.play("b1", "sound:beep", lang="en", playback_id="p1"), PLAYBACK),
    ("bridges.record", lambda a: a.bridges.record("b1", "r1", "wav", beep=False), RECORDING),
    ("playbacks.get", lambda a: a.playbacks.get("p1"), PLAYBACK),
    ("playbacks.stop", lambda a: a.playbacks.stop("p1"), None),
    ("recordings.live.get", lambda a: a.recordings.live.get("r1"), RECORDING),
    ("recordings.live.stop", lambda a: a.recordings.live.stop("r1"), None),
    ("recordings.live.cancel", lambda a: a.recordings.live.cancel("r1"), None),
    ("recordings.live.pause", lambda a: a.recordings.live.pause("r1"), None),
    ("recordings.live.unpause", lambda a: a.recordings.live.unpause("r1"), None),
    ("recordings.live.mute", lambda a: a.recordings.live.mute("r1"), None),
    ("recordings.live.unmute", lambda a: a.recordings.live.unmute("r1"), None),
    ("recordings.stored.list", lambda a: a.recordings.stored.list(), [{"name": "r1", "format": "wav"}]),
    ("recordings.stored.get", lambda a: a.recordings.stored.get("r1"), {"name": "r1", "format": "wav"}),
    ("recordings.stored.delete", lambda a: a.recordings.stored.delete("r1"), None),
    ("recordings.stored.file", lambda a: a.recordings.stored.file("r1"), ["binary body"]),
    (
        "recordings.stored.copy",
        lambda a: a.recordings.stored.copy("r1", "r2"),
        {"name": "r2", "format": "wav"},
    ),
    ("asterisk.info", lambda a: a.asterisk.info(), {"system": {"version": "22.10.1", "entity_id": "x"}}),
    ("applications.list", lambda a: a.applications.list(), [{"name": "cti"}]),
    ("applications.get", lambda a: a.applications.get("cti"), {"name": "cti"}),
]


def swagger_operations() -> list[tuple[str, re.Pattern[str], dict[str, dict[str, Any]]]]:
    """(method, path regex, parameters by name) for every ARI operation."""
    operations = []
    for path in sorted((ASTERISK_REFERENCE / "ari-api-docs").glob("*.json")):
        for api in json.loads(path.read_text(encoding="utf-8"))["apis"]:
            pattern = re.compile("^/ari" + re.sub(r"\{[^}]+\}", "[^/]+", api["path"]) + "$")
            for op in api["operations"]:
                params = {p["name"]: p for p in op.get("parameters", [])}
                operations.append((op["httpMethod"], pattern, params))
    return operations


def matching_operation(request: httpx.Request) -> dict[str, dict[str, Any]]:
    raw_path = request.url.raw_path.split(b"?")[0].decode()
    candidates = [
        params
        for method, pattern, params in swagger_operations()
        if method == request.method and pattern.match(raw_path)
    ]
    assert candidates, f"no ARI operation is {request.method} {raw_path}"
    # POST /channels/create also matches /channels/{channelId}; Swagger lists the literal route first.
    return candidates[0]


@pytest.mark.parametrize(
    ("operation", "answer"), [(op, ans) for _, op, ans in OPERATIONS], ids=[n for n, _, _ in OPERATIONS]
)
async def test_operation_uses_a_swagger_route_and_only_declared_parameters(
    operation: Operation, answer: Any
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204) if answer is None else httpx.Response(200, json=answer)

    async with AriClient(
        "http://127.0.0.1:8088/ari", "cti", "cti-secret", transport=httpx.MockTransport(handler)
    ) as ari:
        result = await operation(ari)
    (request,) = sent
    declared = matching_operation(request)
    query_names = set(request.url.params.keys())
    query_declared = {n for n, p in declared.items() if p["paramType"] == "query"}
    assert query_names <= query_declared, query_names - query_declared
    required = {n for n, p in declared.items() if p["paramType"] == "query" and p.get("required")}
    assert required <= query_names, required - query_names
    if request.content:
        body_params = {n for n, p in declared.items() if p["paramType"] == "body"}
        assert set(json.loads(request.content)) <= body_params
    assert (result is None) == (answer is None)
