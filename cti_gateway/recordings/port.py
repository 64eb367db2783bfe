"""What recordings need from the outside: the PBX's recording files, and a ledger of whose they are.

`adapters.asterisk.recordings` serves the files from ARI stored recordings; `adapters.storage` keeps the
ledger in the database (`InMemoryRecordingOwners` is the in-process one).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from cti_gateway.recordings.model import RecordingAudio, RecordingOwner, StoredRecording


class RecordingArchive(Protocol):
    """The recording files the PBX keeps. Raises `RecordingNotFound`, `RecordingsUnavailable`."""

    async def list(self) -> list[StoredRecording]:
        """Every recording the PBX lists, whoever made it."""

    async def get(self, name: str) -> StoredRecording:
        """One recording's description."""

    async def open(self, name: str) -> RecordingAudio:
        """Start downloading one recording's file."""


class RecordingOwners(Protocol):
    """The ledger of recordings the gateway started: which call and agents each belongs to."""

    async def remember(self, owner: RecordingOwner) -> None:
        """Record who a recording belongs to, before the PBX starts writing it."""

    async def owners(self, names: Iterable[str]) -> dict[str, RecordingOwner]:
        """The known owners among `names` (recordings the gateway did not start are absent)."""
