"""ARI media on channels and bridges: playbacks, live and stored recordings, and silence generators.

Nothing is really played or recorded; what matters is when Asterisk 22 publishes PlaybackStarted/Finished
and RecordingStarted/Finished, with which state and duration (wire INDEX items 27, 30, 31):
* playbacks on one target queue behind each other; `sound:` lasts as long as the rig's file (sounds.py),
  a missing file finishes `failed` at once, and an unknown URI scheme starts and never finishes;
* a channel recording reports duration 0, a bridge recording its length without paused time; stopping and
  cancelling both finish `done`, and a cancelled recording leaves no stored file;
* `maxDurationSeconds` only counts while audio flows to the channel (a Local peer in Wait() sends none).
"""

from __future__ import annotations

import asyncio
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pbxsim.engine import messages as m
from pbxsim.engine.errors import (
    DuplicateId,
    InvalidMediaRequest,
    PlaybackNotFound,
    RecordingExists,
    RecordingNotFound,
)
from pbxsim.engine.model import PlaybackSnapshot, RecordingSnapshot
from pbxsim.engine.sounds import sound_duration

if TYPE_CHECKING:
    from pbxsim.engine.bridge_peers import HiddenParty
    from pbxsim.engine.channel import Bridge, Channel
    from pbxsim.engine.engine import Engine

SPOKEN_CHARACTER_SECONDS = 0.5
"""Length of one spoken digit/character for `digits:`, `number:` and `characters:` media (approximation)."""

IF_EXISTS_CHOICES = frozenset({"fail", "overwrite", "append"})
TERMINATE_ON_CHOICES = frozenset({"none", "any", "*", "#"})
AUDIO_APPLICATIONS = frozenset(
    {"milliwatt", "echo", "playback", "background", "read", "musiconhold", "playtones", "confbridge"}
)
"""Dialplan applications whose channel sends audio to its Local peer (what a recording can count)."""

_AUDIO_POLL_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class StoredRecording:
    """A finished recording kept on disk: its name, format and length in simulated seconds."""

    name: str
    format: str
    duration: float


@dataclass(eq=False)
class _Playback:
    snapshot: PlaybackSnapshot
    media: tuple[str, ...]
    target_key: str
    task: asyncio.Task[None] | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(eq=False)
class _Recording:
    snapshot: RecordingSnapshot
    channel: Channel | None
    bridge: Bridge | None
    max_duration: float
    terminate_on: str
    if_exists: str
    started_at: float
    paused_since: float | None = None
    paused_total: float = 0.0
    muted: bool = False
    recorder: HiddenParty | None = None
    task: asyncio.Task[None] | None = None


class MediaCenter:
    """Owns every playback, recording and silence generator of the engine (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._playbacks: dict[str, _Playback] = {}
        self._queues: dict[str, list[_Playback]] = {}
        self._recordings: dict[str, _Recording] = {}
        self._stored: dict[str, StoredRecording] = {}
        self._silenced: set[str] = set()
        self._playback_seq = 0
        engine.subscribe(self._observe)

    # --- targets ---------------------------------------------------------------------------------

    def _resolve(self, target_uri: str) -> tuple[Channel | None, Bridge | None]:
        kind, _, ident = target_uri.partition(":")
        if kind == "channel" and ident:
            return self._engine.live_channel(ident), None
        if kind == "bridge" and ident:
            return None, self._engine.live_bridge(ident)
        raise InvalidMediaRequest(
            f"media target {target_uri!r} must be 'channel:<channel id>' or 'bridge:<bridge id>'"
        )

    # --- playbacks --------------------------------------------------------------------------------

    def play(
        self,
        target_uri: str,
        media: str | Sequence[str],
        playback_id: str | None = None,
        language: str = "en",
    ) -> PlaybackSnapshot:
        """Queue media on a channel or bridge; the first playback on a target starts at once."""
        uris = (media,) if isinstance(media, str) else tuple(media)
        if not uris or any(not uri for uri in uris):
            raise InvalidMediaRequest("a playback needs at least one media URI such as 'sound:beep'")
        channel, bridge = self._resolve(target_uri)
        if playback_id is not None and playback_id in self._playbacks:
            raise DuplicateId(playback_id)
        if playback_id is None:
            self._playback_seq += 1
            playback_id = f"{int(self._engine.now())}.playback-{self._playback_seq}"
        key = f"channel:{channel.id}" if channel is not None else f"bridge:{bridge.id if bridge else ''}"
        snapshot = PlaybackSnapshot(playback_id, uris[0], target_uri, language or "en", "queued")
        playback = _Playback(snapshot, uris, key)
        self._playbacks[playback_id] = playback
        queue = self._queues.setdefault(key, [])
        ahead = [p for p in queue if not p.done.is_set()]
        queue.append(playback)
        if not ahead:
            self._start_playback(playback)
        playback.task = self._engine.spawn(self._run_playback(playback, ahead))
        if channel is not None:
            channel.on_end.append(lambda: self._target_gone(key))
        return snapshot

    def _start_playback(self, playback: _Playback) -> None:
        playback.snapshot = replace(playback.snapshot, state="playing")
        self._engine.publish(m.PlaybackStarted(timestamp=self._engine.now(), playback=playback.snapshot))

    async def _run_playback(self, playback: _Playback, ahead: list[_Playback]) -> None:
        for earlier in ahead:
            await earlier.done.wait()
        if playback.snapshot.state == "queued":
            self._start_playback(playback)
        for uri in playback.media:
            length = self._media_seconds(uri)
            if length is None:
                self._finish_playback(playback, "failed")
                return
            if length == float("inf"):
                # Asterisk 22 starts a playback of an unknown scheme and never finishes it; it
                # does not hold up the playbacks queued after it either.
                playback.done.set()
                await asyncio.Event().wait()
            await self._engine.sleep(length)
        self._finish_playback(playback, "done")

    def _media_seconds(self, uri: str) -> float | None:
        """How long one media URI plays; None when the file is missing, infinity when it never ends."""
        scheme, _, rest = uri.partition(":")
        if scheme == "sound":
            return sound_duration(rest)
        if scheme == "recording":
            stored = self._stored.get(rest)
            return stored.duration if stored is not None else None
        if scheme in ("digits", "number", "characters"):
            return SPOKEN_CHARACTER_SECONDS * len(rest) if rest else None
        if scheme == "tone":
            return float("inf")
        return float("inf")

    def _finish_playback(self, playback: _Playback, state: str) -> None:
        if self._playbacks.get(playback.snapshot.id) is not playback:
            return
        del self._playbacks[playback.snapshot.id]
        queue = self._queues.get(playback.target_key, [])
        if playback in queue:
            queue.remove(playback)
        if not queue:
            self._queues.pop(playback.target_key, None)
        playback.done.set()
        playback.snapshot = replace(playback.snapshot, state=state)
        self._engine.publish(m.PlaybackFinished(timestamp=self._engine.now(), playback=playback.snapshot))

    def stop_playback(self, playback_id: str) -> None:
        """Stop a playback (ARI DELETE /playbacks/{id}): PlaybackFinished with Asterisk's `done`."""
        playback = self._playbacks.get(playback_id)
        if playback is None:
            raise PlaybackNotFound(playback_id)
        if playback.task is not None and playback.task is not asyncio.current_task():
            playback.task.cancel()
        if playback.snapshot.state == "queued":
            self._start_playback(playback)
        self._finish_playback(playback, "done")

    def playback(self, playback_id: str) -> PlaybackSnapshot | None:
        """A queued or playing playback."""
        playback = self._playbacks.get(playback_id)
        return playback.snapshot if playback is not None else None

    def playbacks(self) -> list[PlaybackSnapshot]:
        """Every queued or playing playback."""
        return [p.snapshot for p in self._playbacks.values()]

    def _target_gone(self, key: str) -> None:
        for playback in list(self._queues.get(key, [])):
            if playback.task is not None:
                playback.task.cancel()
            if playback.done.is_set() and playback.snapshot.id in self._playbacks:
                # The never-ending unknown-scheme playback: Asterisk sends nothing for it.
                del self._playbacks[playback.snapshot.id]
                continue
            if playback.snapshot.state == "playing":
                self._finish_playback(playback, "done")
            else:
                self._playbacks.pop(playback.snapshot.id, None)
        self._queues.pop(key, None)

    # --- recordings -------------------------------------------------------------------------------

    def record(
        self,
        target_uri: str,
        name: str,
        format: str = "wav",
        max_duration: float = 0,
        max_silence: float = 0,
        beep: bool = False,
        terminate_on: str = "none",
        if_exists: str = "fail",
    ) -> RecordingSnapshot:
        """Start recording a channel or bridge; RecordingStarted is published before this returns."""
        if not name or "/" in name or ".." in name:
            raise InvalidMediaRequest(f"recording name {name!r} must be a plain, non-empty file name")
        if if_exists not in IF_EXISTS_CHOICES:
            raise InvalidMediaRequest(f"ifExists {if_exists!r} must be one of fail, overwrite, append")
        if terminate_on not in TERMINATE_ON_CHOICES:
            raise InvalidMediaRequest(f"terminateOn {terminate_on!r} must be one of none, any, *, #")
        channel, bridge = self._resolve(target_uri)
        if name in self._recordings:
            raise RecordingExists(name, live=True)
        if name in self._stored and if_exists == "fail":
            raise RecordingExists(name, live=False)
        snapshot = RecordingSnapshot(name=name, format=format, target_uri=target_uri, state="queued")
        recording = _Recording(
            snapshot=snapshot,
            channel=channel,
            bridge=bridge,
            max_duration=max(0.0, float(max_duration)),
            terminate_on=terminate_on,
            if_exists=if_exists,
            started_at=self._engine.now(),
        )
        self._recordings[name] = recording
        if bridge is not None:
            recording.recorder = self._engine.bridge_peers.add_hidden(bridge, "Recorder/ARI")
        recording.snapshot = replace(snapshot, state="recording")
        self._engine.publish(m.RecordingStarted(timestamp=self._engine.now(), recording=recording.snapshot))
        recording.task = self._engine.spawn(self._run_recording(recording, beep))
        if channel is not None:
            channel.on_end.append(lambda: self._recording_target_gone(recording))
        return snapshot

    async def _run_recording(self, recording: _Recording, beep: bool) -> None:
        if beep:
            await self._engine.sleep(sound_duration("beep") or 0.0)
        if recording.max_duration <= 0:
            return
        counted = 0.0
        while counted < recording.max_duration:
            step = min(_AUDIO_POLL_SECONDS, recording.max_duration - counted)
            await self._engine.sleep(step)
            if recording.paused_since is None and self._audio_flows(recording):
                counted += step
        self._finish_recording(recording, keep=True)

    def _audio_flows(self, recording: _Recording) -> bool:
        if recording.bridge is not None:
            return bool(recording.bridge.channels)
        ch = recording.channel
        if ch is None:
            return False
        if ch.moh_class is not None:
            return True
        if ch.bridge is not None and len(ch.bridge.channels) > 1:
            return True
        peer = ch.peer
        return peer is not None and not peer.ended and peer.app_name.lower() in AUDIO_APPLICATIONS

    def _duration(self, recording: _Recording) -> tuple[int, float]:
        """(reported duration, stored length): channel recordings report 0, as Asterisk 22 does."""
        now = self._engine.now()
        paused = recording.paused_total
        if recording.paused_since is not None:
            paused += now - recording.paused_since
        seconds = max(0.0, (now - recording.started_at - paused) * self._engine.speed)
        reported = int(seconds + 0.1) if recording.bridge is not None else 0
        return reported, seconds

    def _finish_recording(self, recording: _Recording, *, keep: bool) -> None:
        name = recording.snapshot.name
        if self._recordings.get(name) is not recording:
            return
        del self._recordings[name]
        if recording.task is not None and recording.task is not asyncio.current_task():
            recording.task.cancel()
        reported, seconds = self._duration(recording)
        recording.snapshot = replace(recording.snapshot, state="done", duration=reported)
        self._engine.publish(m.RecordingFinished(timestamp=self._engine.now(), recording=recording.snapshot))
        if keep:
            previous = self._stored.get(name)
            if recording.if_exists == "append" and previous is not None:
                seconds += previous.duration
            self._stored[name] = StoredRecording(name, recording.snapshot.format, seconds)
        else:
            self._stored.pop(name, None)
        if recording.bridge is not None and recording.recorder is not None:
            self._engine.bridge_peers.remove_hidden(recording.bridge, recording.recorder)

    def _recording_target_gone(self, recording: _Recording) -> None:
        """The recorded channel hung up, or a `terminate_on` digit arrived: finish and keep the file."""
        self._finish_recording(recording, keep=True)

    def bridge_gone(self, bridge: Bridge) -> None:
        """A bridge is being destroyed: its recordings finish and its playbacks stop."""
        for recording in list(self._recordings.values()):
            if recording.bridge is bridge:
                self._finish_recording(recording, keep=True)
        self._target_gone(f"bridge:{bridge.id}")

    def _live(self, name: str) -> _Recording:
        recording = self._recordings.get(name)
        if recording is None:
            raise RecordingNotFound(name)
        return recording

    def stop_recording(self, name: str, cancel: bool = False) -> None:
        """Stop and keep (or, with `cancel`, discard) a live recording; both finish with state `done`."""
        self._finish_recording(self._live(name), keep=not cancel)

    def pause_recording(self, name: str, paused: bool) -> None:
        """Pause or resume a live recording; paused time does not count in its duration."""
        recording = self._live(name)
        now = self._engine.now()
        if paused and recording.paused_since is None:
            recording.paused_since = now
            recording.snapshot = replace(recording.snapshot, state="paused")
        elif not paused and recording.paused_since is not None:
            recording.paused_total += now - recording.paused_since
            recording.paused_since = None
            recording.snapshot = replace(recording.snapshot, state="recording")

    def mute_recording(self, name: str, muted: bool) -> None:
        """Record silence instead of the audio (the length still counts)."""
        self._live(name).muted = muted

    def is_recording_muted(self, name: str) -> bool:
        """Whether a live recording is muted."""
        return self._live(name).muted

    def live_recording(self, name: str) -> RecordingSnapshot | None:
        """A recording in progress (state `recording` or `paused`)."""
        recording = self._recordings.get(name)
        return recording.snapshot if recording is not None else None

    def live_recordings(self) -> list[RecordingSnapshot]:
        """Every recording in progress."""
        return [r.snapshot for r in self._recordings.values()]

    def _observe(self, message: m.EngineMessage) -> None:
        """End channel recordings whose `terminate_on` digit arrives (after this message is delivered)."""
        if not isinstance(message, m.DtmfEnded) or message.direction != "Received":
            return
        for recording in list(self._recordings.values()):
            ch = recording.channel
            if ch is None or ch.id != message.channel.id or recording.terminate_on == "none":
                continue
            if recording.terminate_on in ("any", message.digit):
                asyncio.get_running_loop().call_soon(self._recording_target_gone, recording)

    # --- stored recordings ------------------------------------------------------------------------

    def stored_recordings(self) -> list[StoredRecording]:
        """Every stored recording, by name."""
        return sorted(self._stored.values(), key=lambda r: r.name)

    def stored_recording(self, name: str) -> StoredRecording | None:
        """One stored recording."""
        return self._stored.get(name)

    def mixmonitor_file_written(self, path: str, seconds: float) -> StoredRecording | None:
        """A MixMonitor file: under the recording dir it is listed as stored `<relative path sans ext>`.

        Asterisk's ARI lists whatever files lie in `<astspooldir>/recording`, including MixMonitor's,
        and a file still being written shows up too; elsewhere (the monitor dir) ARI never sees it.
        """
        root = posixpath.normpath(self._engine.config.recording_dir)
        normalised = posixpath.normpath(path)
        if not normalised.startswith(root + "/"):
            return None
        relative = normalised[len(root) + 1 :]
        stem, dot, extension = relative.rpartition(".")
        if not dot or "/" in extension:
            stem, extension = relative, "raw"  # MixMonitor's default format without an extension
        recording = StoredRecording(stem, extension, seconds)
        self._stored[stem] = recording
        return recording

    def copy_stored_recording(self, name: str, destination: str) -> StoredRecording:
        """Duplicate a stored recording under a new name (which must be free)."""
        source = self._stored.get(name)
        if source is None:
            raise RecordingNotFound(name)
        if not destination or "/" in destination or ".." in destination:
            raise InvalidMediaRequest(f"destination recording name {destination!r} is not a plain file name")
        if destination in self._stored:
            raise RecordingExists(destination, live=False)
        copy = replace(source, name=destination)
        self._stored[destination] = copy
        return copy

    def delete_stored_recording(self, name: str) -> None:
        """Delete a stored recording."""
        if self._stored.pop(name, None) is None:
            raise RecordingNotFound(name)

    # --- silence ----------------------------------------------------------------------------------

    def silence_start(self, channel_id: str) -> None:
        """Play silence to a channel (no event in ARI or AMI)."""
        ch = self._engine.live_channel(channel_id)
        self._silenced.add(ch.id)
        ch.on_end.append(lambda: self._silenced.discard(ch.id))

    def silence_stop(self, channel_id: str) -> None:
        """Stop the silence generator (no event)."""
        ch = self._engine.live_channel(channel_id)
        self._silenced.discard(ch.id)

    def is_silenced(self, channel_id: str) -> bool:
        """Whether a silence generator runs on the channel."""
        return channel_id in self._silenced
