"""The running gateway: its PBX links and everything they feed, started and stopped as one.

It holds only core objects and ports; `cti_gateway.wiring` decides which adapters stand behind them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from cti_gateway.agents import AgentRoster, AgentStateService
from cti_gateway.agents.model import status_view
from cti_gateway.auth.principal import Principal
from cti_gateway.call_control.service import CallControlService
from cti_gateway.calls import CallTracker, call_audience, call_view
from cti_gateway.channels import ChannelRegistry
from cti_gateway.events import Audience
from cti_gateway.hub import EventHub
from cti_gateway.ports.bus import EventBus
from cti_gateway.ports.pbx import LinkState, PbxLink, PbxSnapshot
from cti_gateway.ports.store import ApiTokenStore, CallRecordStore
from cti_gateway.recordings import RecordingService
from cti_gateway.screen_pops import AgentDirectory

log = structlog.get_logger(__name__)

DatabaseProbe = Callable[[], Awaitable[str]]
"""Answers "ok" when the store can be read and written, or a short description of what is wrong."""

Hook = Callable[[], Awaitable[None]]

DATABASE_MIGRATING = "migrating"
"""What the database probe answers until this process has brought the schema to head."""


@dataclass(frozen=True, slots=True)
class Readiness:
    """What `/readyz` reports: ready only when both PBX links are up and logged in.

    A gateway whose schema is still being migrated is not ready either: it could not check a token.
    A database that goes away later does not make it unready, since calls go on (write-behind).
    """

    ami: LinkState
    ari: LinkState
    asterisk_version: str | None
    database: str

    @property
    def ready(self) -> bool:
        return self.ami is LinkState.UP and self.ari is LinkState.UP and self.database != DATABASE_MIGRATING


@dataclass
class Gateway:
    """The service's long-lived parts; `start()` returns at once and the links connect in the background.

    AMI sees every channel on the PBX, so it feeds the channel registry and the call tracker, and each
    AMI resync snapshot replaces what they hold. ARI events reach the tracker too (hold on Stasis
    channels). The tracker reports through the screen-pop service into the event hub.
    """

    ami: PbxLink
    ari: PbxLink
    bus: EventBus
    call_records: CallRecordStore
    api_tokens: ApiTokenStore
    database_probe: DatabaseProbe
    hub: EventHub
    calls: CallTracker
    agents: AgentDirectory
    control: CallControlService
    channels: ChannelRegistry = field(default_factory=ChannelRegistry)
    recordings: RecordingService | None = None
    agent_states: AgentStateService | None = None
    agent_roster: AgentRoster | None = None
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)
    """Run in list order after the links and the hub have stopped."""

    def __post_init__(self) -> None:
        self.ami.on_event(self.channels.apply)
        self.ami.on_event(self.calls.apply)
        self.ari.on_event(self.calls.apply)
        if self.agent_states is not None:
            self.ami.on_event(self.agent_states.apply)
        self.ami.on_snapshot(self._resynced)
        self.hub.set_snapshot_provider(self.calls_visible_to)

    def _resynced(self, snapshot: PbxSnapshot) -> None:
        changes = self.channels.replace_with(snapshot)
        self.calls.replace_with(snapshot)
        if self.agent_states is not None:
            self.agent_states.replace_with(snapshot)  # after the calls: it re-reads their agent legs
        log.info(
            "channels resynced",
            source=snapshot.source,
            live=len(self.channels),
            dropped=len(changes.dropped),
            added=len(changes.added),
            calls=len(self.calls.calls()),
        )

    def calls_visible_to(self, principal: Principal) -> Mapping[str, Any]:
        """The snapshot a client gets on connect or resync: the live calls and agent states it may see."""
        snapshot: dict[str, Any] = {
            "calls": [
                call_view(call)
                for call in self.calls.calls()
                if principal.may_see_audience(call_audience(call))
            ]
        }
        if self.agent_states is not None:
            statuses = (self.agent_states.status(agent.id) for agent in self.agents)
            snapshot["agents"] = [
                {"agent_id": status.agent_id, **status_view(status)}
                for status in statuses
                if principal.may_see_audience(
                    Audience(frozenset({status.agent_id}), frozenset(status.queues))
                )
            ]
        return snapshot

    async def start(self) -> None:
        for hook in self.on_start:
            await hook()
        await self.bus.start()
        await self.hub.start()
        await self.ami.start()
        await self.ari.start()

    async def stop(self) -> None:
        await self.ari.stop()
        await self.ami.stop()
        await self.hub.stop()
        await self.bus.stop()
        for hook in self.on_stop:
            await hook()

    async def readiness(self) -> Readiness:
        ami, ari = self.ami.status, self.ari.status
        return Readiness(
            ami=ami.state,
            ari=ari.state,
            asterisk_version=ari.server_version or ami.server_version,
            database=await self.database_probe(),
        )


def _agent_audience(agent_id: str, queues: tuple[str, ...]) -> Audience:
    return Audience(frozenset({agent_id}), frozenset(queues))
