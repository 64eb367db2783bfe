"""ARI playbacks, recordings, stored recordings and silence, timed like Asterisk 22 (INDEX 27-31)."""

from __future__ import annotations

import asyncio

import pytest

from pbxsim.engine import (
    ChannelNotFound,
    DuplicateId,
    Engine,
    InvalidMediaRequest,
    PlaybackNotFound,
    RecordingExists,
    RecordingNotFound,
)
from pbxsim.engine import messages as m
from tests.pbxsim.engine.conftest import SPEED, Journal, inbound_stasis_call


def _playback_states(journal: Journal, playback_id: str) -> list[str]:
    return [
        f"{type(msg).__name__}:{msg.playback.state}"
        for msg in journal.messages
        if isinstance(msg, m.PlaybackStarted | m.PlaybackFinished) and msg.playback.id == playback_id
    ]


def _recording_events(journal: Journal, name: str) -> list[m.RecordingStarted | m.RecordingFinished]:
    return [
        msg
        for msg in journal.messages
        if isinstance(msg, m.RecordingStarted | m.RecordingFinished) and msg.recording.name == name
    ]


async def _finished(journal: Journal, playback_id: str) -> m.PlaybackFinished:
    msg = await journal.wait_for(lambda x: isinstance(x, m.PlaybackFinished) and x.playback.id == playback_id)
    assert isinstance(msg, m.PlaybackFinished)
    return msg


async def test_a_beep_starts_before_the_request_returns_and_finishes_after_a_quarter_second(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "ivr")

    queued = engine.play("channel:ivr", "sound:beep", playback_id="pb1")
    started = journal.messages[-1]
    assert queued.state == "queued"
    assert _playback_states(journal, "pb1") == ["PlaybackStarted:playing"]
    finished = await _finished(journal, "pb1")

    assert finished.playback.state == "done"
    assert (finished.timestamp - started.timestamp) * SPEED == pytest.approx(0.25, abs=0.1)


async def test_a_missing_sound_file_fails_and_an_unknown_scheme_never_finishes(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "ivr")

    engine.play("channel:ivr", "nosuchscheme:foo", playback_id="bad-scheme")
    engine.play("channel:ivr", "sound:no-such-sound-file", playback_id="no-file")
    await _finished(journal, "no-file")
    await asyncio.sleep(5 / SPEED)

    assert _playback_states(journal, "no-file") == ["PlaybackStarted:playing", "PlaybackFinished:failed"]
    assert _playback_states(journal, "bad-scheme") == ["PlaybackStarted:playing"]


async def test_playbacks_on_one_channel_queue_behind_each_other(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "ivr")

    engine.play("channel:ivr", "sound:cti-ok", playback_id="first")
    engine.play("channel:ivr", "sound:beep", playback_id="second")
    assert _playback_states(journal, "second") == []
    await _finished(journal, "second")

    order = [
        (type(msg).__name__, msg.playback.id)
        for msg in journal.messages
        if isinstance(msg, m.PlaybackStarted | m.PlaybackFinished)
    ]
    assert order == [
        ("PlaybackStarted", "first"),
        ("PlaybackFinished", "first"),
        ("PlaybackStarted", "second"),
        ("PlaybackFinished", "second"),
    ]


async def test_stopping_a_playback_reports_it_done(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "ivr")
    engine.play("channel:ivr", "sound:cti-prompt", playback_id="prompt")

    engine.stop_playback("prompt")

    assert _playback_states(journal, "prompt") == ["PlaybackStarted:playing", "PlaybackFinished:done"]
    with pytest.raises(PlaybackNotFound):
        engine.stop_playback("prompt")


async def test_playback_requests_are_checked(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "ivr")
    engine.play("channel:ivr", "sound:cti-prompt", playback_id="taken")

    with pytest.raises(DuplicateId):
        engine.play("channel:ivr", "sound:beep", playback_id="taken")
    with pytest.raises(ChannelNotFound):
        engine.play("channel:gone", "sound:beep")
    with pytest.raises(InvalidMediaRequest, match="channel:<channel id>"):
        engine.play("endpoint:PJSIP/1", "sound:beep")


async def test_a_channel_recording_reports_duration_zero_and_is_stored(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "rec")

    queued = engine.record("channel:rec", "chan-rec", beep=True, if_exists="overwrite")
    await asyncio.sleep(1 / SPEED)
    engine.stop_recording("chan-rec")

    started, finished = _recording_events(journal, "chan-rec")
    assert queued.state == "queued"
    assert started.recording.state == "recording"
    assert (finished.recording.state, finished.recording.duration) == ("done", 0)
    stored = engine.stored_recording("chan-rec")
    assert stored is not None and stored.format == "wav"


async def test_max_duration_ends_a_recording_only_while_audio_flows(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "tone", context="ivr-test", exten="102")
    await inbound_stasis_call(engine, journal, "quiet", dnis="5550101")

    engine.record("channel:tone", "tone-rec", max_duration=1, beep=True)
    engine.record("channel:quiet", "quiet-rec", max_duration=1)
    await journal.wait_for(
        lambda x: isinstance(x, m.RecordingFinished) and x.recording.name == "tone-rec", timeout=1.0
    )
    await asyncio.sleep(1 / SPEED)

    assert len(_recording_events(journal, "quiet-rec")) == 1  # a peer in Wait() sends no audio
    engine.stop_recording("quiet-rec")


async def test_a_bridge_recording_counts_its_length_without_the_paused_time(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "rec")
    bridge = engine.create_bridge("mixing")
    engine.add_to_bridge(bridge.id, "rec")
    engine.record(f"bridge:{bridge.id}", "bridge-rec")

    await asyncio.sleep(1 / SPEED)
    engine.pause_recording("bridge-rec", True)
    await asyncio.sleep(2 / SPEED)
    engine.pause_recording("bridge-rec", False)
    engine.mute_recording("bridge-rec", True)
    await asyncio.sleep(1 / SPEED)
    engine.mute_recording("bridge-rec", False)
    engine.stop_recording("bridge-rec")

    finished = _recording_events(journal, "bridge-rec")[-1]
    assert isinstance(finished, m.RecordingFinished)
    assert finished.recording.duration == 2


async def test_cancelling_a_recording_finishes_it_done_and_removes_the_file(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "rec")
    engine.record("channel:rec", "kept")
    engine.stop_recording("kept")
    engine.record("channel:rec", "kept", if_exists="overwrite")

    engine.stop_recording("kept", cancel=True)

    assert _recording_events(journal, "kept")[-1].recording.state == "done"
    assert engine.stored_recording("kept") is None


async def test_recording_names_are_protected(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "rec")
    engine.record("channel:rec", "busy")

    with pytest.raises(RecordingExists, match="in progress"):
        engine.record("channel:rec", "busy", if_exists="overwrite")
    engine.stop_recording("busy")
    with pytest.raises(RecordingExists, match="can not be overwritten"):
        engine.record("channel:rec", "busy", if_exists="fail")
    with pytest.raises(RecordingNotFound):
        engine.pause_recording("never", True)
    with pytest.raises(RecordingNotFound):
        engine.mute_recording("never", True)
    with pytest.raises(InvalidMediaRequest, match="ifExists"):
        engine.record("channel:rec", "other", if_exists="sometimes")


async def test_a_recording_ends_when_its_channel_hangs_up(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "rec")
    engine.record("channel:rec", "until-hangup")

    engine.hangup("rec", 16, soft_request=True)
    await journal.ended("rec")

    assert [type(msg).__name__ for msg in _recording_events(journal, "until-hangup")] == [
        "RecordingStarted",
        "RecordingFinished",
    ]


async def test_a_terminate_on_digit_ends_a_channel_recording(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "rec")
    engine.record("channel:rec", "press-hash", terminate_on="#")

    await engine.send_dtmf("peer-rec", "1#", between_ms=10, duration_ms=10)
    await asyncio.sleep(0.01)

    assert [type(msg).__name__ for msg in _recording_events(journal, "press-hash")] == [
        "RecordingStarted",
        "RecordingFinished",
    ]


async def test_stored_recordings_can_be_listed_copied_and_deleted(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "rec")
    for name in ("b-rec", "a-rec"):
        engine.record("channel:rec", name)
        engine.stop_recording(name)

    copy = engine.copy_stored_recording("a-rec", "a-copy")
    assert [r.name for r in engine.stored_recordings()] == ["a-copy", "a-rec", "b-rec"]
    assert copy.format == "wav"
    with pytest.raises(RecordingExists):
        engine.copy_stored_recording("a-rec", "b-rec")

    engine.delete_stored_recording("a-rec")
    assert engine.stored_recording("a-rec") is None
    with pytest.raises(RecordingNotFound):
        engine.delete_stored_recording("a-rec")


async def test_silence_is_silent(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "quiet")
    before = len(journal.messages)

    engine.silence_start("quiet")
    assert engine.media.is_silenced("quiet")
    engine.silence_stop("quiet")

    assert not engine.media.is_silenced("quiet")
    assert len(journal.messages) == before
    with pytest.raises(ChannelNotFound):
        engine.silence_start("gone")


async def test_live_media_can_be_looked_up_until_it_finishes(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "ivr")
    engine.play("channel:ivr", "sound:cti-prompt", playback_id="prompt")
    engine.record("channel:ivr", "live")
    engine.pause_recording("live", True)

    playing = engine.playback("prompt")
    recording = engine.live_recording("live")
    assert playing is not None and playing.state == "playing"
    assert recording is not None and recording.state == "paused"
    assert [p.id for p in engine.playbacks()] == ["prompt"]
    assert [r.name for r in engine.live_recordings()] == ["live"]

    engine.stop_playback("prompt")
    engine.stop_recording("live")
    assert engine.playback("prompt") is None
    assert engine.live_recording("live") is None
