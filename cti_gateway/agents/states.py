"""Agent states from app_queue's member events and the call tracker's events, reported once per change.

`AgentStateService` sits in the event path as an `EventSink` (between the call tracker and the next
sink), so it sees every `call.*` event, and it takes the AMI `PbxEvent`s of queue members through
`apply`. Asterisk reports a member change once per queue the member belongs to (a QueuePause without
a queue gives one QueueMemberPause per queue); the state is recomputed after each report and
`agent.state_changed` is emitted only when what a desktop sees changed, so such a burst yields one event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import structlog

from cti_gateway.agents.model import (
    AgentState,
    AgentStatus,
    DeviceStatus,
    QueueMembership,
    derive_state,
    state_changed_event,
)
from cti_gateway.calls import Call
from cti_gateway.events.model import CtiEvent, EventSink, EventType
from cti_gateway.ports.pbx import PbxEvent, PbxSnapshot

log = structlog.get_logger(__name__)

AgentResolver = Callable[[str], str | None]
"""Maps a queue member interface (`Local/1001@agents/n`, `PJSIP/1001`) to an agent id, or None."""

MEMBER_EVENTS = frozenset(
    {
        "QueueMemberAdded",
        "QueueMemberStatus",
        "QueueMemberPause",
        "QueueMemberPaused",  # the name before Asterisk 12
        "QueueMemberPenalty",
        "QueueMemberRinginuse",
    }
)
MEMBER_REMOVED = "QueueMemberRemoved"
_ACTIVE_PARTY_STATES = frozenset({"ringing", "talking", "held"})

_LegKey = tuple[str, str]  # (call_id, party_id)


class LiveCalls(Protocol):
    """What the service reads of the call tracker after a resync: the live calls."""

    def calls(self) -> list[Call]: ...


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    return value if isinstance(value, str) else ""


def _status_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return DeviceStatus.UNKNOWN


def membership_from_event(fields: Mapping[str, Any]) -> QueueMembership | None:
    """A membership from a QueueMember* event's fields, or None without queue or interface."""
    queue, interface = _text(fields, "Queue"), _text(fields, "Interface")
    if not queue or not interface:
        return None
    paused = _text(fields, "Paused") == "1"
    reason = _text(fields, "PausedReason") or _text(fields, "Reason")
    return QueueMembership(
        queue=queue,
        interface=interface,
        paused=paused,
        paused_reason=reason if paused else "",
        status=_status_number(_text(fields, "Status")),
    )


class AgentStateService:
    """Derives every agent's state and emits `agent.state_changed` into `forward` when it changes.

    Call it as an `EventSink` with the call tracker's events (they pass on to `forward` unchanged),
    feed it AMI events with `apply` and resync snapshots with `replace_with`. `agent_for` is the
    agent directory's resolver, so agents added through the API count from the next event (and at
    once after `refresh`).
    """

    def __init__(
        self, agent_for: AgentResolver, forward: EventSink, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._agent_for = agent_for
        self._forward = forward
        self._clock = clock
        self._started = clock()
        self._calls: LiveCalls | None = None
        self._members: dict[str, dict[str, QueueMembership]] = {}  # interface -> queue -> membership
        self._owner: dict[str, str] = {}  # interface -> agent id (resolved interfaces only)
        self._interfaces: dict[str, set[str]] = {}  # agent id -> interfaces
        self._legs: dict[str, dict[_LegKey, str]] = {}  # agent id -> call leg -> party state
        self._leg_owner: dict[_LegKey, str] = {}
        self._call_legs: dict[str, set[_LegKey]] = {}  # call id -> its agent legs
        self._current: dict[str, AgentStatus] = {}

    def bind(self, calls: LiveCalls) -> None:
        """Give the service the call tracker, whose live calls it re-reads after a resync."""
        self._calls = calls

    # reading ------------------------------------------------------------------------------------

    def status(self, agent_id: str) -> AgentStatus:
        """The agent's current state (`logged_out` since start-up for an agent never seen)."""
        known = self._current.get(agent_id)
        if known is not None:
            return known
        return AgentStatus(agent_id, AgentState.LOGGED_OUT, since=self._started)

    def memberships(self, agent_id: str) -> list[QueueMembership]:
        """The agent's queue memberships as app_queue last reported them, by queue name."""
        found = [
            member
            for interface in self._interfaces.get(agent_id, ())
            for member in self._members.get(interface, {}).values()
        ]
        return sorted(found, key=lambda m: (m.queue, m.interface))

    # the event path -----------------------------------------------------------------------------

    def __call__(self, event: CtiEvent) -> None:
        self._forward(event)
        if event.call_id is None or not event.type.value.startswith("call."):
            return
        try:
            self._recompute(self._observe_call(event.call_id, event))
        except Exception:
            log.exception("agent state bookkeeping failed", call_id=event.call_id, type=event.type.value)

    def apply(self, event: PbxEvent) -> None:
        """Take one PBX event; only app_queue's member events matter here."""
        if event.source != "ami" or (event.name not in MEMBER_EVENTS and event.name != MEMBER_REMOVED):
            return
        membership = membership_from_event(event.fields)
        if membership is None:
            log.warning("queue member event without Queue or Interface", event_name=event.name)
            return
        interface = membership.interface
        queues = self._members.setdefault(interface, {})
        if event.name == MEMBER_REMOVED:
            queues.pop(membership.queue, None)
        else:
            queues[membership.queue] = membership
        owner = self._owner.get(interface)
        if owner is None:
            owner = self._resolve(interface, _text(event.fields, "StateInterface"))
        if not queues:
            del self._members[interface]
        if owner is not None:
            self._recompute({owner})

    def replace_with(self, snapshot: PbxSnapshot) -> None:
        """Rebuild memberships from a resync's QueueStatus and call legs from the tracker; report changes."""
        before = set(self._current)
        self._members.clear()
        self._owner.clear()
        self._interfaces.clear()
        for member in snapshot.queue_members:
            self._members.setdefault(member.interface, {})[member.queue] = QueueMembership(
                queue=member.queue,
                interface=member.interface,
                paused=member.paused,
                paused_reason=member.paused_reason if member.paused else "",
                status=member.status,
            )
            if member.interface not in self._owner:
                self._resolve(member.interface, member.state_interface)
        if self._calls is not None:
            self._legs.clear()
            self._leg_owner.clear()
            self._call_legs.clear()
            for call in self._calls.calls():
                if call.ended:
                    continue
                for party in call.parties.values():
                    if party.agent_id is not None and party.state.value in _ACTIVE_PARTY_STATES:
                        self._set_leg((call.call_id, party.party_id), party.agent_id, party.state.value)
        self._recompute(before | set(self._interfaces) | set(self._legs))

    def refresh(self, agent_ids: Iterable[str] = ()) -> None:
        """Re-resolve every member interface after agents were added or changed, and report changes."""
        self._owner.clear()
        self._interfaces.clear()
        for interface in self._members:
            self._resolve(interface, "")
        self._recompute(set(agent_ids) | set(self._current) | set(self._interfaces))

    def forget(self, agent_id: str) -> None:
        """An agent was removed: report it `logged_out` (if it was not) and drop what was kept about it."""
        for interface in self._interfaces.pop(agent_id, set()):
            self._owner.pop(interface, None)
        for key in list(self._legs.get(agent_id, {})):
            self._drop_leg(key)
        self._recompute({agent_id})
        self._current.pop(agent_id, None)

    # bookkeeping ---------------------------------------------------------------------------------

    def _resolve(self, interface: str, state_interface: str) -> str | None:
        owner = self._agent_for(interface)
        if owner is None and state_interface:
            owner = self._agent_for(state_interface)
        if owner is not None:
            self._owner[interface] = owner
            self._interfaces.setdefault(owner, set()).add(interface)
        return owner

    def _set_leg(self, key: _LegKey, agent_id: str, state: str) -> None:
        previous_owner = self._leg_owner.get(key)
        if previous_owner is not None and previous_owner != agent_id:
            self._drop_leg(key)
        self._leg_owner[key] = agent_id
        self._legs.setdefault(agent_id, {})[key] = state
        self._call_legs.setdefault(key[0], set()).add(key)

    def _drop_leg(self, key: _LegKey) -> str | None:
        agent_id = self._leg_owner.pop(key, None)
        if agent_id is None:
            return None
        legs = self._legs.get(agent_id, {})
        legs.pop(key, None)
        if not legs:
            self._legs.pop(agent_id, None)
        of_call = self._call_legs.get(key[0], set())
        of_call.discard(key)
        if not of_call:
            self._call_legs.pop(key[0], None)
        return agent_id

    def _observe_call(self, call_id: str, event: CtiEvent) -> set[str]:
        """Update the legs of agents in this call from the call view the event carries."""
        touched: set[str] = set()
        listed: set[_LegKey] = set()
        parties = event.data.get("parties") if event.type is not EventType.CALL_ENDED else None
        for party in parties if isinstance(parties, list) else ():
            if not isinstance(party, Mapping):
                continue
            agent_id, party_id, state = party.get("agent_id"), party.get("party_id"), party.get("state")
            if (
                not isinstance(agent_id, str)
                or not isinstance(party_id, str)
                or state not in _ACTIVE_PARTY_STATES
            ):
                continue
            key = (call_id, party_id)
            listed.add(key)
            if self._legs.get(agent_id, {}).get(key) != state:
                previous_owner = self._leg_owner.get(key)
                if previous_owner is not None:
                    touched.add(previous_owner)
                self._set_leg(key, agent_id, str(state))
                touched.add(agent_id)
        stale = [key for key in self._call_legs.get(call_id, ()) if key not in listed]
        for key in stale:
            agent_id = self._drop_leg(key)
            if agent_id is not None:
                touched.add(agent_id)
        return touched

    def _recompute(self, agent_ids: Iterable[str]) -> None:
        now = self._clock()
        for agent_id in sorted(agent_ids):
            legs = self._legs.get(agent_id, {})
            status = derive_state(
                agent_id,
                self.memberships(agent_id),
                [(call_id, state) for (call_id, _), state in legs.items()],
                now=now,
            )
            previous = self.status(agent_id)
            if status.same_as(previous):
                continue
            if (status.state, status.reason) == (previous.state, previous.reason):
                status = AgentStatus(
                    agent_id, status.state, status.reason, status.queues, status.call_id, previous.since
                )
            self._current[agent_id] = status
            self._forward(state_changed_event(status, previous))
