"""The agent roster: agents from the settings file plus those added through the API, with their states.

Changes made through the API are stored first (so a database outage refuses them and loses nothing),
then take effect at once: the `AgentDirectory` resolves the new phone for the call tracker, screen
pops and call control, and `AgentStateService` reports the agent's state.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import structlog

from cti_gateway.agents.errors import AgentExists, ConfiguredInSettings, EndpointTaken, UnknownAgent
from cti_gateway.agents.model import AgentStatus
from cti_gateway.agents.port import AgentAlreadyStored, AgentStore
from cti_gateway.agents.states import AgentStateService
from cti_gateway.screen_pops import Agent, AgentDirectory, AgentLike, UnknownEndpointFormat, endpoint_key

log = structlog.get_logger(__name__)

AgentSource = Literal["settings", "api"]
LOAD_RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One agent, where it was configured, and its current state."""

    agent: Agent
    source: AgentSource
    status: AgentStatus


class AgentRoster:
    """Lists, adds, changes and removes agents; settings agents are read-only through the API."""

    def __init__(
        self,
        directory: AgentDirectory,
        store: AgentStore,
        states: AgentStateService,
        *,
        settings_agent_ids: Iterable[str] = (),
        load_retry_seconds: float = LOAD_RETRY_SECONDS,
    ) -> None:
        self._directory = directory
        self._store = store
        self._states = states
        self._from_settings = frozenset(settings_agent_ids)
        self._retry_seconds = load_retry_seconds
        self._lock = asyncio.Lock()
        self._loader: asyncio.Task[None] | None = None
        self.loaded = asyncio.Event()
        """Set once the stored agents are in the directory."""

    # start-up -----------------------------------------------------------------------------------

    async def load(self) -> list[str]:
        """Put the stored agents into the directory; returns their ids. Raises if the store fails."""
        added: list[str] = []
        async with self._lock:
            for agent in await self._store.list_all():
                if agent.id in self._from_settings:
                    log.warning(
                        "stored agent ignored: the settings file configures the same id", agent_id=agent.id
                    )
                    continue
                try:
                    owner = self._endpoint_owner(agent.endpoint, agent.id)
                except UnknownEndpointFormat as exc:
                    log.warning("stored agent ignored", agent_id=agent.id, error=str(exc))
                    continue
                if owner is not None:
                    log.warning(
                        "stored agent ignored: its endpoint belongs to another agent",
                        agent_id=agent.id,
                        endpoint=agent.endpoint,
                        owner=owner,
                    )
                    continue
                self._directory.add(agent)
                added.append(agent.id)
            self._states.refresh(added)
            self.loaded.set()
        log.info("stored agents loaded", count=len(added))
        return added

    async def start(self) -> None:
        """Load the stored agents in the background, retrying while the database is away."""
        self._loader = asyncio.create_task(self._load_until_done(), name="agent-roster-load")

    async def stop(self) -> None:
        if self._loader is not None:
            self._loader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loader

    async def _load_until_done(self) -> None:
        while True:
            try:
                await self.load()
            except Exception as exc:
                log.warning("loading stored agents failed; retrying", error=str(exc))
                await asyncio.sleep(self._retry_seconds)
            else:
                return

    # reading ------------------------------------------------------------------------------------

    def entries(self) -> list[RosterEntry]:
        """Every agent, by id."""
        return sorted((self._entry(agent) for agent in self._directory), key=lambda e: e.agent.id)

    def get(self, agent_id: str) -> RosterEntry:
        agent = self._directory.get(agent_id)
        if agent is None:
            raise UnknownAgent(agent_id)
        return self._entry(agent)

    def _entry(self, agent: Agent) -> RosterEntry:
        source: AgentSource = "settings" if agent.id in self._from_settings else "api"
        return RosterEntry(agent, source, self._states.status(agent.id))

    # changes ------------------------------------------------------------------------------------

    async def add(self, new: AgentLike) -> RosterEntry:
        """Add an agent; raises `AgentExists`, `EndpointTaken` or `UnknownEndpointFormat`."""
        agent = Agent(new.id, new.name, new.endpoint.strip())
        async with self._lock:
            if self._directory.get(agent.id) is not None:
                raise AgentExists(agent.id)
            self._check_endpoint(agent)
            try:
                await self._store.add(agent)
            except AgentAlreadyStored:
                raise AgentExists(agent.id) from None
            self._directory.add(agent)
            self._states.refresh([agent.id])
        log.info("agent added", agent_id=agent.id, endpoint=agent.endpoint)
        return self.get(agent.id)

    async def change(
        self, agent_id: str, *, name: str | None = None, endpoint: str | None = None
    ) -> RosterEntry:
        """Change an API agent's name or phone; settings agents raise `ConfiguredInSettings`."""
        async with self._lock:
            current = self._changeable(agent_id)
            agent = Agent(
                agent_id,
                current.name if name is None else name,
                current.endpoint if endpoint is None else endpoint.strip(),
            )
            if agent == current:
                return self._entry(current)
            self._check_endpoint(agent)
            await self._store.replace(agent)
            self._directory.add(agent)
            self._states.refresh([agent_id])
        log.info("agent changed", agent_id=agent_id, endpoint=agent.endpoint)
        return self.get(agent_id)

    async def remove(self, agent_id: str) -> None:
        """Remove an API agent: its phone no longer pops and its state is reported `logged_out`."""
        async with self._lock:
            self._changeable(agent_id)
            await self._store.remove(agent_id)
            self._directory.remove(agent_id)
            self._states.forget(agent_id)
        log.info("agent removed", agent_id=agent_id)

    def _changeable(self, agent_id: str) -> Agent:
        current = self._directory.get(agent_id)
        if current is None:
            raise UnknownAgent(agent_id)
        if agent_id in self._from_settings:
            raise ConfiguredInSettings(agent_id)
        return current

    def _check_endpoint(self, agent: Agent) -> None:
        owner = self._endpoint_owner(agent.endpoint, agent.id)
        if owner is not None:
            raise EndpointTaken(agent.endpoint, owner)

    def _endpoint_owner(self, endpoint: str, agent_id: str) -> str | None:
        """The other agent that already has this phone (any spelling of it), or None."""
        key = endpoint_key(endpoint)
        for other in self._directory:
            if other.id != agent_id and endpoint_key(other.endpoint) == key:
                return other.id
        return None
