"""Every ARI event recorded from Asterisk 22 is rebuilt byte for byte from engine snapshots."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from pbxsim.ari import events as ari
from pbxsim.ari.events import AriEvent
from pbxsim.ari.formats import ari_timestamp
from pbxsim.ari.representations import channel_json
from pbxsim.engine.model import (
    BridgeSnapshot,
    ChannelSnapshot,
    ChannelState,
    DialplanLocation,
    PartyId,
    PlaybackSnapshot,
    RecordingSnapshot,
)
from tests.support.wire import ASTERISK_REFERENCE, load_wire_scenario, wire_scenario_names

_STATES = {state.description: state for state in ChannelState}


def _epoch(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def _channel(doc: dict[str, Any]) -> ChannelSnapshot:
    plan = doc["dialplan"]
    return ChannelSnapshot(
        id=doc["id"],
        name=doc["name"],
        state=_STATES[doc["state"]],
        caller=PartyId(number=doc["caller"]["number"], name=doc["caller"]["name"]),
        connected=PartyId(number=doc["connected"]["number"], name=doc["connected"]["name"]),
        dialplan=DialplanLocation(
            plan["context"], plan["exten"], plan["priority"], plan["app_name"], plan["app_data"]
        ),
        creation_time=_epoch(doc["creationtime"]),
        linkedid="",
        language=doc["language"],
        accountcode=doc["accountcode"],
    )


def _bridge(doc: dict[str, Any]) -> BridgeSnapshot:
    return BridgeSnapshot(
        id=doc["id"],
        technology=doc["technology"],
        bridge_type=doc["bridge_type"],
        bridge_class=doc["bridge_class"],
        creator=doc["creator"],
        name=doc["name"],
        channel_ids=tuple(doc["channels"]),
        creation_time=_epoch(doc["creationtime"]),
        video_mode=doc["video_mode"],
    )


def _playback(doc: dict[str, Any]) -> PlaybackSnapshot:
    return PlaybackSnapshot(doc["id"], doc["media_uri"], doc["target_uri"], doc["language"], doc["state"])


def _recording(doc: dict[str, Any]) -> RecordingSnapshot:
    return RecordingSnapshot(
        doc["name"], doc["format"], doc["target_uri"], doc["state"], duration=doc.get("duration", 0)
    )


def _rebuild(doc: dict[str, Any]) -> AriEvent:
    at = _epoch(doc["timestamp"])
    kind = doc["type"]
    if kind == "Dial":
        caller = _channel(doc["caller"]) if "caller" in doc else None
        return ari.dial(
            at, _channel(doc["peer"]), doc["dialstring"], doc["dialstatus"], caller, doc["forward"]
        )
    if kind in ("PlaybackStarted", "PlaybackFinished"):
        build = ari.playback_started if kind == "PlaybackStarted" else ari.playback_finished
        return build(at, _playback(doc["playback"]))
    if kind in ("RecordingStarted", "RecordingFinished"):
        build_rec = ari.recording_started if kind == "RecordingStarted" else ari.recording_finished
        return build_rec(at, _recording(doc["recording"]))
    if kind == "BridgeDestroyed":
        return ari.bridge_destroyed(at, _bridge(doc["bridge"]))
    channel = _channel(doc["channel"])
    match kind:
        case "StasisStart":
            return ari.stasis_start(at, channel, doc["args"])
        case "StasisEnd":
            return ari.stasis_end(at, channel)
        case "ChannelStateChange":
            return ari.channel_state_change(at, channel)
        case "ChannelConnectedLine":
            return ari.channel_connected_line(at, channel)
        case "ChannelDialplan":
            return ari.channel_dialplan(at, channel, doc["dialplan_app"], doc["dialplan_app_data"])
        case "ChannelCallerId":
            return ari.channel_caller_id(at, channel, doc["caller_presentation"])
        case "ChannelDtmfReceived":
            return ari.channel_dtmf_received(at, channel, doc["digit"], doc["duration_ms"])
        case "ChannelDestroyed":
            return ari.channel_destroyed(at, channel, doc["cause"])
        case "ChannelVarset":
            return ari.channel_varset(at, channel, doc["variable"], doc["value"])
        case "ChannelHangupRequest":
            return ari.channel_hangup_request(at, channel, doc["cause"], soft=doc.get("soft", False))
        case "ChannelEnteredBridge":
            return ari.channel_entered_bridge(at, _bridge(doc["bridge"]), channel)
        case "ChannelLeftBridge":
            return ari.channel_left_bridge(at, _bridge(doc["bridge"]), channel)
        case "ApplicationMoveFailed":
            return ari.application_move_failed(at, channel, doc["destination"], doc["args"])
    raise AssertionError(f"no builder for recorded event {kind}")


def _recorded_events() -> list[tuple[str, str]]:
    found = []
    for name in wire_scenario_names("ari_"):
        for frame in load_wire_scenario(name).frames_of("ari-ws", "recv"):
            found.append((name, frame.data))
    return found


RECORDED = _recorded_events()


def test_the_wire_recordings_hold_events_of_every_kind_the_server_must_send() -> None:
    kinds = {json.loads(text)["type"] for _, text in RECORDED}
    assert len(RECORDED) > 200
    assert {"StasisStart", "Dial", "ChannelVarset", "RecordingFinished", "ApplicationMoveFailed"} <= kinds


@pytest.mark.parametrize(
    ("scenario", "text"), RECORDED, ids=[f"{s}-{i}" for i, (s, _) in enumerate(RECORDED)]
)
def test_recorded_event_is_rebuilt_byte_for_byte(scenario: str, text: str) -> None:
    doc = json.loads(text)
    rebuilt = _rebuild(doc).render(doc["application"], doc["asterisk_id"])
    assert rebuilt == text


def test_timestamps_have_milliseconds_and_an_offset_without_colon() -> None:
    assert ari_timestamp(_epoch("2026-11-22T19:54:06.496+0000")) == "2026-11-22T19:54:06.496+0000"
    assert ari_timestamp(0.9996) == "1970-01-01T00:00:01.000+0000"


def test_channel_model_keys_follow_asterisk_order() -> None:
    _, text = next((s, t) for s, t in RECORDED if json.loads(t)["type"] == "StasisStart")
    recorded_channel = json.loads(text)["channel"]
    assert list(channel_json(_channel(recorded_channel))) == list(recorded_channel)


SMOKE_EVENTS = [
    json.loads(line)
    for line in (ASTERISK_REFERENCE / "transcripts" / "ari_events.jsonl")
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip()
]


def _ordered(document: Any) -> Any:
    if isinstance(document, dict):
        return [(key, _ordered(value)) for key, value in document.items()]
    if isinstance(document, list):
        return [_ordered(item) for item in document]
    return document


@pytest.mark.parametrize("doc", SMOKE_EVENTS, ids=[f"{i}-{d['type']}" for i, d in enumerate(SMOKE_EVENTS)])
def test_smoke_recording_event_is_rebuilt_with_the_same_fields_values_and_order(doc: dict[str, Any]) -> None:
    rebuilt = json.loads(_rebuild(doc).render(doc["application"], doc["asterisk_id"]))
    assert _ordered(rebuilt) == _ordered(doc)
