"""Every ARI event recorded on the real Asterisk 22 decodes into its typed model; nothing crashes decoding."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from adapters.asterisk.ari import AriEventDecodeError, decode_event, parse_event_message
from adapters.asterisk.ari.events import decode_event_leniently
from adapters.asterisk.ari.models import (
    EVENT_MODELS,
    ApplicationMoveFailed,
    ChannelDestroyed,
    ChannelHangupRequest,
    Dial,
    GenericEvent,
    PlaybackFinished,
    RecordingFinished,
    StasisStart,
)
from tests.support.wire import ASTERISK_REFERENCE, load_wire_scenario, wire_scenario_names

EVENTS_JSONL = ASTERISK_REFERENCE / "transcripts" / "ari_events.jsonl"


def all_recorded_ws_frames() -> list[tuple[str, str]]:
    frames = []
    for name in wire_scenario_names("ari_"):
        for frame in load_wire_scenario(name).frames:
            if frame.conn == "ari-ws" and frame.dir == "recv" and frame.data is not None:
                frames.append((name, frame.data))
    return frames


def test_every_event_of_ari_events_jsonl_decodes_into_its_typed_model() -> None:
    lines = EVENTS_JSONL.read_text(encoding="utf-8").splitlines()
    assert len(lines) > 50
    for line in lines:
        data = json.loads(line)
        event = decode_event(data)
        assert type(event) is EVENT_MODELS[data["type"]]
        assert event.type == data["type"]
        assert event.application == "cti"


def test_every_ws_frame_of_every_ari_wire_scenario_decodes_into_its_typed_model() -> None:
    frames = all_recorded_ws_frames()
    seen: Counter[str] = Counter()
    for scenario, text in frames:
        event = decode_event(parse_event_message(text))
        assert type(event) is EVENT_MODELS[event.type], (scenario, event.type)
        assert event.timestamp is not None and event.timestamp.tzinfo is not None
        seen[event.type] += 1
    assert sum(seen.values()) == len(frames) > 250
    assert {"StasisStart", "Dial", "ChannelDestroyed", "ApplicationMoveFailed"} <= set(seen)


def test_decoded_events_expose_the_recorded_values() -> None:
    frames = dict.fromkeys(t for _, t in all_recorded_ws_frames())
    events = [decode_event(parse_event_message(t)) for t in frames]
    stasis = next(e for e in events if isinstance(e, StasisStart) and e.channel.id == "wire-agent")
    assert stasis.args == ("agent", "wire-caller")
    assert stasis.channel.caller.number == "5551310"
    soft = next(e for e in events if isinstance(e, ChannelHangupRequest) and e.cause == 32)
    assert soft.soft is True
    busy = next(e for e in events if isinstance(e, ChannelDestroyed) and e.channel.id == "wire-3001-peer")
    assert (busy.cause, busy.cause_txt) == (17, "User busy")
    originate_dial = next(e for e in events if isinstance(e, Dial) and e.peer.id == "wire-2001")
    assert originate_dial.caller is None
    failed = next(e for e in events if isinstance(e, PlaybackFinished) and e.playback.id == "wire-nofile")
    assert failed.playback.state == "failed"
    moved = next(e for e in events if isinstance(e, ApplicationMoveFailed))
    assert (moved.destination, moved.args) == ("cti-other", ("moved",))
    finished = next(e for e in events if isinstance(e, RecordingFinished))
    assert finished.recording.state == "done"


def test_an_unknown_event_type_decodes_to_a_generic_event_keeping_its_fields() -> None:
    event = decode_event({"type": "ChannelTalkingStarted", "application": "cti", "channel": {"id": "x"}})
    assert isinstance(event, GenericEvent)
    assert event.type == "ChannelTalkingStarted"
    assert event.model_extra == {"channel": {"id": "x"}}


def test_fields_added_by_later_asterisk_versions_are_kept_not_rejected() -> None:
    text = EVENTS_JSONL.read_text(encoding="utf-8").splitlines()[0]
    data = json.loads(text)
    data["future_field"] = {"x": 1}
    data["peer"]["future_channel_field"] = "y"
    event = decode_event(data)
    assert isinstance(event, Dial)
    assert event.model_extra == {"future_field": {"x": 1}}
    assert event.peer.model_extra == {"future_channel_field": "y"}


def test_a_known_event_missing_its_channel_is_a_clear_decode_error() -> None:
    with pytest.raises(AriEventDecodeError, match="StasisStart event does not match"):
        decode_event({"type": "StasisStart", "application": "cti"})


def test_lenient_decoding_turns_a_malformed_known_event_into_a_generic_one() -> None:
    event = decode_event_leniently({"type": "StasisStart", "application": "cti"})
    assert isinstance(event, GenericEvent)
    assert event.type == "StasisStart"


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"no_type": 1}', '{"type": 5}'])
def test_a_websocket_message_that_is_not_an_event_object_is_a_clear_decode_error(text: str) -> None:
    with pytest.raises(AriEventDecodeError):
        parse_event_message(text)
