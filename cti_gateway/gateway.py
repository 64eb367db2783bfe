"""The running gateway: its PBX links and what they feed, started and stopped as one.

It holds only ports; `cti_gateway.wiring` decides which adapters stand behind them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import structlog

from cti_gateway.channels import ChannelRegistry
from cti_gateway.ports.bus import EventBus
from cti_gateway.ports.pbx import LinkState, PbxLink, PbxSnapshot
from cti_gateway.ports.store import CallRecordStore

log = structlog.get_logger(__name__)

DatabaseProbe = Callable[[], Awaitable[str]]
"""Answers "ok" when the store can be read and written, or a short description of what is wrong."""

Hook = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Readiness:
    """What `/readyz` reports: ready only when both PBX links are up and logged in."""

    ami: LinkState
    ari: LinkState
    asterisk_version: str | None
    database: str

    @property
    def ready(self) -> bool:
        return self.ami is LinkState.UP and self.ari is LinkState.UP


@dataclass
class Gateway:
    """The service's long-lived parts; `start()` returns at once and the links connect in the background.

    AMI sees every channel on the PBX, so it feeds the channel registry: its events keep the registry
    current and each resync snapshot replaces it.
    """

    ami: PbxLink
    ari: PbxLink
    bus: EventBus
    call_records: CallRecordStore
    database_probe: DatabaseProbe
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ami.on_event(self.channels.apply)
        self.ami.on_snapshot(self._resynced)

    def _resynced(self, snapshot: PbxSnapshot) -> None:
        changes = self.channels.replace_with(snapshot)
        log.info(
            "channels resynced",
            source=snapshot.source,
            live=len(self.channels),
            dropped=len(changes.dropped),
            added=len(changes.added),
        )

    async def start(self) -> None:
        for hook in self.on_start:
            await hook()
        await self.bus.start()
        await self.ami.start()
        await self.ari.start()

    async def stop(self) -> None:
        await self.ari.stop()
        await self.ami.stop()
        await self.bus.stop()
        for hook in reversed(self.on_stop):
            await hook()

    async def readiness(self) -> Readiness:
        ami, ari = self.ami.status, self.ari.status
        return Readiness(
            ami=ami.state,
            ari=ari.state,
            asterisk_version=ari.server_version or ami.server_version,
            database=await self.database_probe(),
        )
