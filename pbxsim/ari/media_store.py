"""What ARI remembers about media: playbacks, live recordings, and the stored recordings they leave behind.

Kept apart from the engine because these tables are ARI's own view (ids chosen by the client, the
`/recordings/stored` directory); they are updated from engine messages and from request replies.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass, replace

from pbxsim.engine import messages as m
from pbxsim.engine.model import PlaybackSnapshot, RecordingSnapshot

KNOWN_RECORDING_FORMATS = frozenset(
    {"wav", "wav16", "gsm", "ulaw", "alaw", "sln", "slin", "slin16", "g722", "g729", "ogg", "h264", "siren7"}
)
_SAMPLE_RATE = 8000


@dataclass(frozen=True, slots=True)
class StoredRecording:
    """A finished recording on disk: its name, format and length in seconds."""

    name: str
    format: str
    duration: float

    def file_bytes(self) -> bytes:
        """The recording's audio: silence of the right length (the simulator records no sound)."""
        frames = b"\x00\x00" * int(_SAMPLE_RATE * max(self.duration, 0))
        if self.format != "wav":
            return frames
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(_SAMPLE_RATE)
            writer.writeframes(frames)
        return buffer.getvalue()


class MediaStore:
    """Playbacks and recordings by id/name, updated by `observe` for every engine message."""

    def __init__(self) -> None:
        self.playbacks: dict[str, PlaybackSnapshot] = {}
        self.live_recordings: dict[str, RecordingSnapshot] = {}
        self.stored_recordings: dict[str, StoredRecording] = {}
        self._cancelled: set[str] = set()
        self._started_at: dict[str, float] = {}

    def observe(self, message: m.EngineMessage) -> None:
        """Track playback and recording lifecycles."""
        if isinstance(message, m.PlaybackStarted):
            self.playbacks[message.playback.id] = replace(message.playback, state="playing")
        elif isinstance(message, m.PlaybackFinished):
            self.playbacks.pop(message.playback.id, None)
        elif isinstance(message, m.RecordingStarted):
            self.live_recordings[message.recording.name] = replace(message.recording, state="recording")
            self._started_at[message.recording.name] = message.timestamp
        elif isinstance(message, m.RecordingFinished):
            self._finish(message)

    def _finish(self, message: m.RecordingFinished) -> None:
        recording = message.recording
        self.live_recordings.pop(recording.name, None)
        started = self._started_at.pop(recording.name, message.timestamp)
        if recording.name in self._cancelled:
            self._cancelled.discard(recording.name)
            self.stored_recordings.pop(recording.name, None)
            return
        if recording.state != "failed":
            self.stored_recordings[recording.name] = StoredRecording(
                recording.name, recording.format, message.timestamp - started
            )

    def remember_playback(self, playback: PlaybackSnapshot) -> None:
        """Keep a playback the engine just queued (before its PlaybackStarted)."""
        self.playbacks.setdefault(playback.id, playback)

    def remember_recording(self, recording: RecordingSnapshot) -> None:
        """Keep a recording the engine just queued (before its RecordingStarted)."""
        self.live_recordings.setdefault(recording.name, recording)

    def mark_cancelled(self, name: str) -> None:
        """The recording is being cancelled: its file must not stay in the stored list."""
        self._cancelled.add(name)

    def set_live_state(self, name: str, state: str) -> None:
        """Reflect pause/unpause in the live recording's state."""
        recording = self.live_recordings.get(name)
        if recording is not None:
            self.live_recordings[name] = replace(recording, state=state)

    def copy_stored(self, name: str, destination: str) -> StoredRecording:
        """Duplicate a stored recording under a new name."""
        source = self.stored_recordings[name]
        copy = replace(source, name=destination)
        self.stored_recordings[destination] = copy
        return copy
