"""Events the gateway publishes to desktops, CRMs and wallboards; their type names are a public contract."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """Every event type a client can receive (docs/events.md)."""

    CALL_CREATED = "call.created"
    CALL_RINGING = "call.ringing"
    CALL_ANSWERED = "call.answered"
    CALL_HELD = "call.held"
    CALL_RETRIEVED = "call.retrieved"
    CALL_TRANSFERRED = "call.transferred"
    CALL_CONFERENCED = "call.conferenced"
    CALL_ENDED = "call.ended"
    CALL_DATA_UPDATED = "call.data_updated"
    CALL_PARTY_LEFT = "call.party_left"
    SCREEN_POP = "screen_pop"
    AGENT_STATE_CHANGED = "agent.state_changed"
    RESYNC = "resync"


@dataclass(frozen=True, slots=True)
class Audience:
    """Who may see an event: the agents it concerns and the queues it belongs to.

    Agent tokens receive events naming their agent; supervisor tokens, events of their queues;
    integration tokens, what their scopes allow (docs/events.md).
    """

    agent_ids: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()

    def __or__(self, other: Audience) -> Audience:
        return Audience(self.agent_ids | other.agent_ids, self.queues | other.queues)


@dataclass(frozen=True, slots=True)
class CtiEvent:
    """One event before the hub numbers it: type, the call it concerns, its data and its audience."""

    type: EventType
    data: Mapping[str, Any]
    call_id: str | None = None
    audience: Audience = field(default_factory=Audience)
    ts: float = field(default_factory=time.time)


EventSink = Callable[[CtiEvent], None]
"""Where the domain hands events; the hub implements it, tests collect into a list."""
