"""An agent's state as a desktop or wallboard sees it, and the `agent.state_changed` event that reports it.

The state is derived, never set: from the agent's queue memberships as app_queue reports them
(QueueMember* events, QueueStatus at resync) and from the agent's phone in the calls the tracker
follows. A call always wins over a pause: a paused agent finishing a call is `on_call` until it hangs up.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from cti_gateway.events.model import Audience, CtiEvent, EventType


class AgentState(StrEnum):
    """Where an agent stands (the `state` of `agent.state_changed` and of `GET /agents`)."""

    LOGGED_OUT = "logged_out"
    """In no queue and on no call."""
    AVAILABLE = "available"
    """In at least one queue, not paused in all of them, phone idle."""
    RINGING = "ringing"
    """The agent's phone rings (a queue call, a dialplan Dial or the gateway's own originate)."""
    ON_CALL = "on_call"
    """The agent talks on, or holds, a call."""
    PAUSED = "paused"
    """Paused in every queue it belongs to (QueuePause), with the reason given."""
    UNAVAILABLE = "unavailable"
    """In a queue, but Asterisk reports its device unreachable (not registered, invalid)."""


class DeviceStatus(IntEnum):
    """app_queue's member `Status` (Asterisk's device states)."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8


UNREACHABLE_DEVICE = frozenset({DeviceStatus.INVALID, DeviceStatus.UNAVAILABLE})


@dataclass(frozen=True, slots=True)
class QueueMembership:
    """One queue membership of a phone as app_queue last reported it."""

    queue: str
    interface: str
    paused: bool = False
    paused_reason: str = ""
    status: int = DeviceStatus.NOT_INUSE


@dataclass(frozen=True, slots=True)
class AgentStatus:
    """An agent's derived state at one moment; `since` is when it entered this state."""

    agent_id: str
    state: AgentState
    reason: str | None = None
    queues: tuple[str, ...] = ()
    call_id: str | None = None
    since: float = field(default_factory=time.time)

    def same_as(self, other: AgentStatus) -> bool:
        """Whether a desktop would see no difference (the moment aside)."""
        return (self.state, self.reason, self.queues, self.call_id) == (
            other.state,
            other.reason,
            other.queues,
            other.call_id,
        )


def derive_state(
    agent_id: str,
    memberships: Iterable[QueueMembership],
    call_states: Iterable[tuple[str, str]],
    *,
    now: float,
) -> AgentStatus:
    """The state that `memberships` and the agent's live call legs (`(call_id, party_state)`) imply."""
    members = sorted(memberships, key=lambda m: m.queue)
    queues = tuple(dict.fromkeys(m.queue for m in members))
    talking = [call_id for call_id, state in call_states if state in ("talking", "held")]
    ringing = [call_id for call_id, state in call_states if state == "ringing"]
    if talking:
        return AgentStatus(agent_id, AgentState.ON_CALL, None, queues, talking[0], now)
    if ringing:
        return AgentStatus(agent_id, AgentState.RINGING, None, queues, ringing[0], now)
    if not members:
        return AgentStatus(agent_id, AgentState.LOGGED_OUT, None, queues, None, now)
    if all(m.paused for m in members):
        reason = next((m.paused_reason for m in members if m.paused_reason), "")
        return AgentStatus(agent_id, AgentState.PAUSED, reason or None, queues, None, now)
    if all(m.status in UNREACHABLE_DEVICE for m in members):
        return AgentStatus(agent_id, AgentState.UNAVAILABLE, None, queues, None, now)
    return AgentStatus(agent_id, AgentState.AVAILABLE, None, queues, None, now)


def status_view(status: AgentStatus) -> dict[str, Any]:
    """The JSON of an agent's state, shared by `GET /agents` and `agent.state_changed`."""
    return {
        "state": status.state.value,
        "reason": status.reason,
        "queues": list(status.queues),
        "call_id": status.call_id,
        "since": status.since,
    }


def state_changed_event(status: AgentStatus, previous: AgentStatus | None) -> CtiEvent:
    """`agent.state_changed` for the agent itself and the supervisors of its queues, old and new."""
    queues = frozenset(status.queues) | (frozenset(previous.queues) if previous is not None else frozenset())
    return CtiEvent(
        type=EventType.AGENT_STATE_CHANGED,
        data={
            "agent_id": status.agent_id,
            **status_view(status),
            "previous": previous.state.value if previous is not None else None,
        },
        audience=Audience(frozenset({status.agent_id}), queues),
        ts=status.since,
    )
