"""The JSON shape of a call, shared by `GET /calls`, `GET /calls/{id}` and every `call.*` event."""

from __future__ import annotations

from typing import Any

from cti_gateway.calls.actions import allowed_actions
from cti_gateway.calls.model import Call, Party
from cti_gateway.events.model import Audience


def party_view(party: Party) -> dict[str, Any]:
    """One participant as JSON, with the actions its state allows."""
    return {
        "party_id": party.party_id,
        "role": party.role.value,
        "state": party.state.value,
        "channel": party.channel,
        "unique_id": party.unique_id,
        "number": party.number,
        "name": party.name,
        "agent_id": party.agent_id,
        "endpoint": party.endpoint,
        "ringing_at": party.ringing_at,
        "answered_at": party.answered_at,
        "ended_at": party.ended_at,
        "end_cause": party.end_cause,
        "end_cause_text": party.end_cause_text,
        "monitor_mode": party.monitor_mode.value if party.monitor_mode is not None else None,
        "allowed_actions": [action.value for action in allowed_actions(party)],
    }


def call_view(call: Call) -> dict[str, Any]:
    """A call as JSON: ids, times, queue, attached data and parties (ended ones included)."""
    actions: dict[str, None] = {}
    for party in call.parties.values():
        for action in allowed_actions(party):
            actions[action.value] = None
    return {
        "call_id": call.call_id,
        "linked_id": call.linked_id,
        "direction": call.direction.value,
        "state": "ended" if call.ended else ("answered" if call.answered_at is not None else "ringing"),
        "queue": call.queue,
        "conference": call.conference,
        "created_at": call.created_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "end_cause": call.end_cause,
        "end_cause_text": call.end_cause_text,
        "attached": call.attached.as_dict(),
        "parties": [party_view(party) for party in call.parties.values()],
        "allowed_actions": list(actions),
    }


def call_audience(call: Call) -> Audience:
    """Who may see a call and its events: the agents among its parties and its queue."""
    agents = frozenset(p.agent_id for p in call.parties.values() if p.agent_id is not None)
    return Audience(agents, frozenset((call.queue,)) if call.queue else frozenset())
