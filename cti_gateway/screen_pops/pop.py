"""What a screen pop says: who is on the other end of the agent's ringing phone, and what we know of them.

Pure functions over the call views the tracker emits (`call_view` JSON), so they are cheap and testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cti_gateway.calls import AttachedDataKey, CallDirection, PartyRole
from cti_gateway.directory import LookupResult
from cti_gateway.events.model import Audience, CtiEvent, EventType

CUSTOMER_LOOKUP_KEY = "customer_lookup"
"""Attached-data key saying how the ANI lookup went: found, not_found, no_number or unavailable."""


def _parties(view: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    parties = view.get("parties")
    return [party for party in parties if isinstance(party, Mapping)] if isinstance(parties, list) else []


def customer_party(view: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The party on the customer's side: an inbound call's caller, an outbound call's called party."""
    parties = _parties(view)
    wanted = PartyRole.EXTERNAL if view.get("direction") == CallDirection.OUTBOUND else PartyRole.CALLER
    for role in (wanted, PartyRole.CALLER, PartyRole.EXTERNAL):
        for party in parties:
            if party.get("role") == role:
                return party
    return None


def customer_number(view: Mapping[str, Any]) -> str:
    """The number to look the customer up by: ANI inbound, DNIS outbound, else the customer party's."""
    attached = view.get("attached")
    attached = attached if isinstance(attached, Mapping) else {}
    key = AttachedDataKey.DNIS if view.get("direction") == CallDirection.OUTBOUND else AttachedDataKey.ANI
    for candidate in (attached.get(key), (customer_party(view) or {}).get("number")):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return ""


def caller_of(view: Mapping[str, Any], ringing_party_id: str | None = None) -> dict[str, str]:
    """The pop's `caller`: number and name of whoever the agent is about to talk to."""
    party = customer_party(view)
    if party is None:
        party = next((p for p in _parties(view) if p.get("party_id") != ringing_party_id), None)
    number = str((party or {}).get("number") or "") or customer_number(view)
    return {"number": number, "name": str((party or {}).get("name") or "")}


def lookup_updates(view: Mapping[str, Any], result: LookupResult) -> dict[str, Any]:
    """The attached-data changes an ANI lookup brings: the customer record, the outcome, and ANI if unset."""
    updates: dict[str, Any] = {
        AttachedDataKey.CUSTOMER.value: None if result.record is None else result.record.as_json(),
        CUSTOMER_LOOKUP_KEY: result.outcome.value,
    }
    attached = view.get("attached")
    inbound = view.get("direction") != CallDirection.OUTBOUND
    if (
        inbound
        and result.number
        and not (isinstance(attached, Mapping) and attached.get(AttachedDataKey.ANI))
    ):
        updates[AttachedDataKey.ANI.value] = result.number
    return updates


def screen_pop_event(
    *,
    call_id: str,
    agent_id: str,
    party: Mapping[str, Any],
    view: Mapping[str, Any],
    attached: Mapping[str, Any],
) -> CtiEvent:
    """The `screen_pop` for one agent, addressed to that agent only."""
    customer = attached.get(AttachedDataKey.CUSTOMER)
    return CtiEvent(
        type=EventType.SCREEN_POP,
        call_id=call_id,
        audience=Audience(agent_ids=frozenset({agent_id})),
        data={
            "agent_id": agent_id,
            "party_id": party.get("party_id"),
            "caller": caller_of(view, ringing_party_id=party.get("party_id")),
            "customer": dict(customer) if isinstance(customer, Mapping) else None,
            "attached": dict(attached),
        },
    )
