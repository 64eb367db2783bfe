"""Which agent a phone belongs to: channel names, queue member interfaces and dial strings resolved to ids.

Asterisk names the same phone many ways: `Local/1001@agents` (configured endpoint),
`Local/1001@agents/n` (queue member interface), `Local/1001@agents-00000002;1` (channel),
`PJSIP/1001-00000005` (channel), `PJSIP/1001/sip:1001@10.0.0.5` and `1001@agents` (dial strings).
They all reduce to one key, `tech/resource`, with the technology case-folded as Asterisk does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

_CHANNEL_SEQUENCE = re.compile(r"-[0-9a-fA-F]{8}$")
_LOCAL_HALF = re.compile(r";[0-9]+$")
_NAME_MARKER = re.compile(r"<[A-Z]+>$")  # <ZOMBIE>, <MASQ> after a masquerade


class AgentLike(Protocol):
    """What the resolver needs of an agent; `AgentSettings` from the YAML file fits."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def endpoint(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Agent:
    """An agent and the phone the gateway rings for it."""

    id: str
    name: str
    endpoint: str


class UnknownEndpointFormat(ValueError):
    """An agent endpoint that is not `TECH/resource` (PJSIP/1001, Local/1001@agents …)."""


def endpoint_key(endpoint: str) -> str:
    """The canonical `tech/resource` key of a configured endpoint, e.g. `local/1001@agents`."""
    key = _key_of(endpoint.strip(), strip_sequence=False)
    if key is None:
        raise UnknownEndpointFormat(
            f"agent endpoint {endpoint!r} must look like PJSIP/1001 or Local/1001@agents"
        )
    return key


def _split_local(resource: str) -> str:
    """`1001@agents` from any Local form; Asterisk's default context is `default`."""
    return resource if "@" in resource else f"{resource}@default"


def _key_of(text: str, *, strip_sequence: bool) -> str | None:
    if "/" not in text:
        return None
    tech, rest = text.split("/", 1)
    if not tech or not rest:
        return None
    tech = tech.lower()
    rest = _NAME_MARKER.sub("", rest)
    rest = _LOCAL_HALF.sub("", rest.split("/", 1)[0])  # options (`/n`), dial URIs, the `;1` half
    if strip_sequence:
        stripped = _CHANNEL_SEQUENCE.sub("", rest)
        rest = stripped or rest
    if not rest:
        return None
    if tech == "local":
        rest = _split_local(rest)
    return f"{tech}/{rest}"


class AgentDirectory:
    """The configured agents, and the resolver the call tracker uses to tell agent parties apart."""

    def __init__(self, agents: Iterable[AgentLike] = ()) -> None:
        self._agents: dict[str, Agent] = {}
        self._by_key: dict[str, str] = {}
        self._by_resource: dict[str, set[str]] = {}
        for agent in agents:
            self.add(agent)

    def add(self, agent: AgentLike) -> None:
        """Add an agent or change its name or phone (agents configured through the API)."""
        key = endpoint_key(agent.endpoint)
        owner = self._by_key.get(key)
        if owner is not None and owner != agent.id:
            raise ValueError(
                f"agents {owner!r} and {agent.id!r} cannot share the endpoint {agent.endpoint!r}"
            )
        self.remove(agent.id)
        self._agents[agent.id] = Agent(agent.id, agent.name, agent.endpoint.strip())
        self._by_key[key] = agent.id
        self._by_resource.setdefault(key.split("/", 1)[1], set()).add(agent.id)

    def remove(self, agent_id: str) -> None:
        """Forget an agent; its phone no longer pops."""
        agent = self._agents.pop(agent_id, None)
        if agent is None:
            return
        key = endpoint_key(agent.endpoint)
        self._by_key.pop(key, None)
        owners = self._by_resource.get(key.split("/", 1)[1])
        if owners is not None:
            owners.discard(agent_id)

    def get(self, agent_id: str) -> Agent | None:
        return self._agents.get(agent_id)

    def __iter__(self) -> Iterator[Agent]:
        return iter(list(self._agents.values()))

    def __len__(self) -> int:
        return len(self._agents)

    def agent_for(self, channel_or_interface: str) -> str | None:
        """The id of the agent whose phone `channel_or_interface` names (any Asterisk form), or None.

        A dial string naming several phones (`PJSIP/1001&PJSIP/1002`) resolves only if they all
        belong to the same agent.
        """
        found: set[str] = set()
        for part in channel_or_interface.split("&"):
            agent_id = self._agent_for_one(part.strip())
            if agent_id is None:
                continue
            found.add(agent_id)
        return found.pop() if len(found) == 1 else None

    def _agent_for_one(self, text: str) -> str | None:
        if not text:
            return None
        if "/" not in text:
            # A DialBegin DialString without its technology: `1001@agents`, `1001`.
            owners = self._by_resource.get(_NAME_MARKER.sub("", text))
            return next(iter(owners)) if owners is not None and len(owners) == 1 else None
        exact = _key_of(text, strip_sequence=False)
        if exact is not None and exact in self._by_key:
            return self._by_key[exact]
        channel = _key_of(text, strip_sequence=True)
        return self._by_key.get(channel) if channel is not None else None
