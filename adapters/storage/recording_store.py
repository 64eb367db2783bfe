"""`RecordingOwners` on the database: agents still find their calls' recordings after a gateway restart."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from adapters.storage.recording_tables import MAX_CHANNEL_LENGTH, MAX_RECORDING_NAME_LENGTH, RecordingOwnerRow
from adapters.storage.stores import _SqlStore
from cti_gateway.ports.store import MAX_CALL_ID_LENGTH, InvalidRecord
from cti_gateway.recordings import RecordingOwner, RecordingOwners


def _checked(owner: RecordingOwner) -> RecordingOwner:
    for name, value, limit in (
        ("name", owner.name, MAX_RECORDING_NAME_LENGTH),
        ("call_id", owner.call_id, MAX_CALL_ID_LENGTH),
        ("channel", owner.channel, MAX_CHANNEL_LENGTH),
    ):
        if not value or len(value) > limit:
            raise InvalidRecord(
                f"RecordingOwner.{name} must be 1 to {limit} characters long, got {len(value)}"
            )
    return owner


class SqlRecordingOwners(_SqlStore):
    """`RecordingOwners` in the `recordings` table; one short transaction per call."""

    async def remember(self, owner: RecordingOwner) -> None:
        _checked(owner)
        async with self._session(f"noting the owner of recording {owner.name}") as session:
            await session.merge(
                RecordingOwnerRow(
                    name=owner.name,
                    call_id=owner.call_id,
                    agent_ids=list(owner.agent_ids),
                    channel=owner.channel,
                    started_at=owner.started_at,
                )
            )

    async def owners(self, names: Iterable[str]) -> dict[str, RecordingOwner]:
        wanted = list(dict.fromkeys(names))
        found: dict[str, RecordingOwner] = {}
        async with self._session("reading recording owners") as session:
            for start in range(0, len(wanted), 500):  # keep the IN list within every database's limit
                rows = await session.scalars(
                    select(RecordingOwnerRow).where(RecordingOwnerRow.name.in_(wanted[start : start + 500]))
                )
                for row in rows:
                    agents = tuple(str(a) for a in row.agent_ids)
                    found[row.name] = RecordingOwner(
                        row.name, row.call_id, agents, row.channel, row.started_at
                    )
        return found


def _check_protocol(database: object) -> None:  # mypy proves the port is implemented
    store: RecordingOwners = SqlRecordingOwners(database)  # type: ignore[arg-type]
    del store
