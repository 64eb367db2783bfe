"""What the gateway knows about a call recording: the file the PBX keeps, and whose call it recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoredRecording:
    """A finished (or still growing) recording file on the PBX, by the name the PBX lists it under."""

    name: str
    format: str


@dataclass(frozen=True, slots=True)
class RecordingOwner:
    """Which call a recording started through the gateway belongs to, and which agents may hear it."""

    name: str
    call_id: str
    agent_ids: tuple[str, ...]
    channel: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class RecordingAudio:
    """A recording's bytes on their way from the PBX: stream `chunks` once, then `aclose()`."""

    content_type: str
    size: int | None
    chunks: AsyncIterator[bytes]
    aclose: Callable[[], Awaitable[None]]
