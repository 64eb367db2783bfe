"""Playbacks, recordings and snoop channels through ARI, as Asterisk 22 reports them (INDEX 23, 30, 31)."""

from __future__ import annotations

import asyncio

import pytest

from pbxsim.engine import Engine
from tests.pbxsim.ari.conftest import AriSession
from tests.pbxsim.ari.test_ari_server import inbound_call

needs_playback = pytest.mark.skipif(not hasattr(Engine, "play"), reason="engine has no play() yet")
needs_recording = pytest.mark.skipif(not hasattr(Engine, "record"), reason="engine has no record() yet")
needs_snoop = pytest.mark.skipif(not hasattr(Engine, "snoop"), reason="engine has no snoop() yet")


async def answered_inbound_call(ari: AriSession) -> None:
    await inbound_call(ari)
    assert (await ari.http.post("channels/wire-in/answer")).status_code == 204


async def test_unknown_record_format_is_422_before_anything_starts(ari: AriSession) -> None:
    await answered_inbound_call(ari)
    refused = await ari.http.post("channels/wire-in/record", params={"name": "r", "format": "nosuchformat"})
    assert refused.status_code == 422
    assert refused.json() == {"message": "specified format is unknown on this system"}


async def test_stored_recording_that_does_not_exist_is_404(ari: AriSession) -> None:
    missing = await ari.http.get("recordings/stored/does-not-exist")
    assert (missing.status_code, missing.json()) == (404, {"message": "Recording not found"})


@needs_playback
async def test_playback_is_queued_in_the_reply_then_plays_and_finishes(ari: AriSession) -> None:
    await answered_inbound_call(ari)
    reply = await ari.http.post(
        "channels/wire-in/play", params={"media": "sound:beep", "playbackId": "wire-pb1", "lang": "en"}
    )
    assert reply.status_code == 201
    assert reply.json() == {
        "id": "wire-pb1",
        "media_uri": "sound:beep",
        "target_uri": "channel:wire-in",
        "language": "en",
        "state": "queued",
    }
    started = await ari.events.wait_for("PlaybackStarted")
    assert started["playback"]["state"] == "playing"
    finished = await ari.events.wait_for("PlaybackFinished")
    assert finished["playback"]["state"] == "done"
    assert (await ari.http.get("playbacks/wire-pb1")).status_code == 404


@needs_playback
async def test_unknown_media_scheme_starts_and_never_finishes(ari: AriSession) -> None:
    await answered_inbound_call(ari)
    reply = await ari.http.post(
        "channels/wire-in/play", params={"media": "nosuchscheme:foo", "playbackId": "bad"}
    )
    assert reply.status_code == 201
    await ari.events.wait_for("PlaybackStarted")
    await asyncio.sleep(0.3)
    assert not ari.events.of("PlaybackFinished")
    assert (await ari.http.get("playbacks/bad")).json()["state"] == "playing"


@needs_playback
async def test_missing_sound_file_finishes_failed(ari: AriSession) -> None:
    await answered_inbound_call(ari)
    await ari.http.post(
        "channels/wire-in/play", params={"media": "sound:no-such-sound-file", "playbackId": "nf"}
    )
    finished = await ari.events.wait_for("PlaybackFinished")
    assert finished["playback"]["state"] == "failed"
    assert (await ari.http.get("playbacks/nf")).status_code == 404


@needs_recording
async def test_channel_recording_reports_duration_zero_and_is_stored(ari: AriSession) -> None:
    await answered_inbound_call(ari)
    reply = await ari.http.post(
        "channels/wire-in/record", params={"name": "wire-chan-rec", "format": "wav", "ifExists": "overwrite"}
    )
    assert reply.status_code == 201
    assert reply.json() == {
        "name": "wire-chan-rec",
        "format": "wav",
        "state": "queued",
        "target_uri": "channel:wire-in",
    }
    await ari.events.wait_for("RecordingStarted")
    assert (await ari.http.get("recordings/live/wire-chan-rec")).json()["state"] == "recording"
    assert (await ari.http.post("recordings/live/wire-chan-rec/stop")).status_code == 204
    finished = await ari.events.wait_for("RecordingFinished")
    assert (finished["recording"]["state"], finished["recording"]["duration"]) == ("done", 0)
    assert {"name": "wire-chan-rec", "format": "wav"} in (await ari.http.get("recordings/stored")).json()
    again = await ari.http.post(
        "channels/wire-in/record", params={"name": "wire-chan-rec", "format": "wav", "ifExists": "fail"}
    )
    assert again.status_code == 409
    copy = await ari.http.post(
        "recordings/stored/wire-chan-rec/copy", params={"destinationRecordingName": "wire-copy"}
    )
    assert copy.json() == {"name": "wire-copy", "format": "wav"}
    audio = await ari.http.get("recordings/stored/wire-copy/file")
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.content.startswith(b"RIFF")
    assert (await ari.http.delete("recordings/stored/wire-chan-rec")).status_code == 204
    assert (await ari.http.get("recordings/stored/wire-chan-rec")).status_code == 404


@needs_recording
async def test_cancelled_recording_reports_done_and_leaves_no_file(ari: AriSession) -> None:
    await answered_inbound_call(ari)
    await ari.http.post("channels/wire-in/record", params={"name": "wire-cancel", "format": "wav"})
    await ari.events.wait_for("RecordingStarted")
    assert (await ari.http.delete("recordings/live/wire-cancel")).status_code == 204
    finished = await ari.events.wait_for("RecordingFinished")
    assert finished["recording"]["state"] == "done"
    assert (await ari.http.delete("recordings/stored/wire-cancel")).status_code == 404


@needs_snoop
async def test_snoop_channel_is_named_after_the_spied_channel_and_gets_no_channel_destroyed(
    ari: AriSession,
) -> None:
    await answered_inbound_call(ari)
    reply = await ari.http.post(
        "channels/wire-in/snoop",
        params={
            "spy": "both",
            "whisper": "out",
            "app": "cti",
            "appArgs": "supervisor",
            "snoopId": "wire-snoop",
        },
    )
    assert reply.status_code == 200
    assert reply.json()["name"].startswith("Snoop/wire-in-")
    start = await ari.events.wait_for("StasisStart", "wire-snoop")
    assert start["args"] == ["supervisor"]
    assert (await ari.http.delete("channels/wire-snoop")).status_code == 204
    await ari.events.wait_for("StasisEnd", "wire-snoop")
    await asyncio.sleep(0.1)
    assert "ChannelDestroyed" not in ari.events.types_for("wire-snoop")
