"""`RecordingArchive` over ARI stored recordings: the files in Asterisk's `<astspooldir>/recording`.

MixMonitor writes there when the gateway's `recording_directory` points at that folder, and ARI then
lists, describes and serves the files (`GET /recordings/stored[/{name}[/file]]`).
"""

from __future__ import annotations

import builtins
from collections.abc import Awaitable
from typing import TypeVar

from adapters.asterisk.ari import AriClient, AriError, AriInvalidInput, AriNotFound, AriUnavailable
from cti_gateway.recordings import (
    InvalidRecordingName,
    RecordingArchive,
    RecordingAudio,
    RecordingNotFound,
    RecordingsUnavailable,
    RecordingUnreadable,
    StoredRecording,
)

T = TypeVar("T")


class AriRecordingArchive:
    """Recording files as the ARI of one Asterisk lists and serves them."""

    def __init__(self, ari: AriClient) -> None:
        self._ari = ari

    async def list(self) -> builtins.list[StoredRecording]:
        found = await _translated(self._ari.recordings.stored.list(), "listing recordings")
        return [StoredRecording(r.name, r.format) for r in found]

    async def get(self, name: str) -> StoredRecording:
        found = await _translated(self._ari.recordings.stored.get(name), f"reading recording {name!r}")
        return StoredRecording(found.name, found.format)

    async def open(self, name: str) -> RecordingAudio:
        file = await _translated(self._ari.recordings.stored.file(name), f"downloading recording {name!r}")
        return RecordingAudio(file.content_type, file.size, file.chunks(), file.aclose)


async def _translated(request: Awaitable[T], doing: str) -> T:
    """Run an ARI request, turning its failures into the core's recording errors."""
    try:
        return await request
    except AriNotFound:
        raise RecordingNotFound(f"Asterisk has no stored recording to answer {doing}") from None
    except AriUnavailable as exc:
        raise RecordingsUnavailable(f"ARI is unreachable while {doing}: {exc.message}") from exc
    except AriInvalidInput as exc:
        raise InvalidRecordingName("name", exc.message) from exc
    except AriError as exc:
        if exc.status == 403:
            raise RecordingUnreadable(
                f"Asterisk lists the recording but cannot open its file while {doing}: "
                "check the file's permissions in the recording spool on the PBX host"
            ) from exc
        raise RecordingsUnavailable(f"ARI refused {doing}: {exc}") from exc


def _check_protocol(ari: AriClient) -> None:  # mypy proves the port is implemented
    archive: RecordingArchive = AriRecordingArchive(ari)
    del archive
