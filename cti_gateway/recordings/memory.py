"""The recording ledger in process memory: for tests, and for a gateway run without a database."""

from __future__ import annotations

from collections.abc import Iterable

from cti_gateway.recordings.model import RecordingOwner


class InMemoryRecordingOwners:
    """`RecordingOwners` in a dict; forgotten when the process ends."""

    def __init__(self) -> None:
        self._owners: dict[str, RecordingOwner] = {}

    async def remember(self, owner: RecordingOwner) -> None:
        self._owners[owner.name] = owner

    async def owners(self, names: Iterable[str]) -> dict[str, RecordingOwner]:
        return {name: self._owners[name] for name in names if name in self._owners}
