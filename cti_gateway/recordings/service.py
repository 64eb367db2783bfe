"""Recordings as the REST API offers them: list, describe and download, each agent only its own calls'.

The files live on the PBX (`RecordingArchive`); the gateway's ledger (`RecordingOwners`) says which call
and agents a recording it started belongs to. Integrations with `calls:read` see every recording the PBX
lists, including ones made outside the gateway; an agent sees only those of calls it was on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cti_gateway.auth.principal import Principal, PrincipalKind
from cti_gateway.recordings.errors import RecordingNotFound
from cti_gateway.recordings.model import RecordingAudio, RecordingOwner, StoredRecording
from cti_gateway.recordings.names import check_recording_name
from cti_gateway.recordings.port import RecordingArchive, RecordingOwners


@dataclass(frozen=True, slots=True)
class RecordingEntry:
    """A recording as a client sees it: the PBX's file and, when the gateway started it, its call."""

    name: str
    format: str
    call_id: str | None
    agent_ids: tuple[str, ...]
    started_at: datetime | None


@dataclass
class RecordingService:
    """The use cases behind `/api/v1/recordings`."""

    archive: RecordingArchive
    owners: RecordingOwners

    async def list(self, principal: Principal) -> list[RecordingEntry]:
        """Every recording the principal may hear, by name."""
        stored = await self.archive.list()
        owners = await self.owners.owners(r.name for r in stored)
        entries = (_entry(r, owners.get(r.name)) for r in stored)
        return sorted((e for e in entries if _may_hear(principal, e)), key=lambda e: e.name)

    async def describe(self, principal: Principal, name: str) -> RecordingEntry:
        """One recording; `RecordingNotFound` also when it is another agent's (its name is not revealed)."""
        check_recording_name(name)
        stored = await self.archive.get(name)
        owners = await self.owners.owners([name])
        entry = _entry(stored, owners.get(name))
        if not _may_hear(principal, entry):
            raise RecordingNotFound(f"no recording {name!r} of a call of agent {principal.agent_id}")
        return entry

    async def open(self, principal: Principal, name: str) -> RecordingAudio:
        """Start downloading one recording the principal may hear."""
        await self.describe(principal, name)
        return await self.archive.open(name)


def _entry(stored: StoredRecording, owner: RecordingOwner | None) -> RecordingEntry:
    if owner is None:
        return RecordingEntry(stored.name, stored.format, None, (), None)
    return RecordingEntry(stored.name, stored.format, owner.call_id, owner.agent_ids, owner.started_at)


def _may_hear(principal: Principal, entry: RecordingEntry) -> bool:
    if principal.kind is not PrincipalKind.AGENT:
        return True
    return principal.agent_id is not None and principal.agent_id in entry.agent_ids
