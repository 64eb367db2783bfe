"""ARI's view of media in progress: playbacks and live recordings by the ids the client chose.

Stored recordings belong to the engine (it decides what `ifExists` finds); this module only renders
their audio for `GET /recordings/stored/{name}/file`.
"""

from __future__ import annotations

import io
import wave
from dataclasses import replace
from typing import Protocol

from pbxsim.engine import messages as m
from pbxsim.engine.model import PlaybackSnapshot, RecordingSnapshot

KNOWN_RECORDING_FORMATS = frozenset(
    {"wav", "wav16", "gsm", "ulaw", "alaw", "sln", "slin", "slin16", "g722", "g729", "ogg", "h264", "siren7"}
)
_SAMPLE_RATE = 8000


class StoredAudio(Protocol):
    """What a stored recording tells about itself (the engine's StoredRecording)."""

    @property
    def format(self) -> str: ...

    @property
    def duration(self) -> float: ...


def recording_file(recording: StoredAudio) -> bytes:
    """The recording's audio: silence of its length (the simulator records no sound); WAV when `wav`."""
    frames = b"\x00\x00" * int(_SAMPLE_RATE * max(recording.duration, 0.0))
    if recording.format != "wav":
        return frames
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(_SAMPLE_RATE)
        writer.writeframes(frames)
    return buffer.getvalue()


class MediaStore:
    """Playbacks and live recordings by id/name, updated by `observe` for every engine message."""

    def __init__(self) -> None:
        self.playbacks: dict[str, PlaybackSnapshot] = {}
        self.live_recordings: dict[str, RecordingSnapshot] = {}
        self._finished_playbacks: set[str] = set()

    def observe(self, message: m.EngineMessage) -> None:
        """Track playback and recording lifecycles."""
        if isinstance(message, m.PlaybackStarted):
            self._finished_playbacks.discard(message.playback.id)
            self.playbacks[message.playback.id] = replace(message.playback, state="playing")
        elif isinstance(message, m.PlaybackFinished):
            self.playbacks.pop(message.playback.id, None)
            self._finished_playbacks.add(message.playback.id)
        elif isinstance(message, m.RecordingStarted):
            self.live_recordings[message.recording.name] = replace(message.recording, state="recording")
        elif isinstance(message, m.RecordingFinished):
            self.live_recordings.pop(message.recording.name, None)

    def remember_playback(self, playback: PlaybackSnapshot) -> None:
        """Keep a playback the engine just queued, unless it already ended (a missing file fails at once)."""
        if playback.id in self._finished_playbacks:
            self._finished_playbacks.discard(playback.id)
            return
        self.playbacks.setdefault(playback.id, playback)

    def set_live_state(self, name: str, state: str) -> None:
        """Reflect pause/unpause in the live recording's state."""
        recording = self.live_recordings.get(name)
        if recording is not None:
            self.live_recordings[name] = replace(recording, state=state)
