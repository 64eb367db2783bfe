"""ScreenPopService: the customer joins the call before the agent rings, and each rung agent gets
exactly one pop, addressed to it alone, before it can see the call answered."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest

from cti_gateway.calls import (
    Call,
    CallDirection,
    Party,
    PartyRole,
    PartyState,
    UnknownCallError,
    call_view,
    party_view,
)
from cti_gateway.directory import CustomerLookup, CustomerRecord, InMemoryCustomerDirectory
from cti_gateway.events.model import Audience, CtiEvent, EventType
from cti_gateway.screen_pops import ScreenPopService

ANA = CustomerRecord(
    "+34911234567",
    {
        "name": "Ana García",
        "vip": True,
        "plan_hours": 50,
        "used_hours": 63,
        "next_best_offer": "100-hour plan",
    },
)


class GatedDirectory:
    """An in-memory directory whose answers wait for `gate` (a slow CRM under the test's control)."""

    def __init__(self, *records: CustomerRecord) -> None:
        self.records = {record.number: record for record in records}
        self.gate = asyncio.Event()
        self.requests: list[str] = []

    async def lookup(self, number_e164: str) -> CustomerRecord | None:
        self.requests.append(number_e164)
        await self.gate.wait()
        return self.records.get(number_e164)


class FakeTracker:
    """Stands in for CallTracker: builds calls and emits `call_view` events to the sink, in order."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.calls: dict[str, Call] = {}

    def get(self, call_id: str) -> Call | None:
        return self.calls.get(call_id)

    def attach(self, call_id: str, updates: Mapping[str, Any]) -> None:
        call = self.calls.get(call_id)
        if call is None:
            raise UnknownCallError(call_id)
        changed = call.attached.merge(updates)
        if changed:
            self._emit(EventType.CALL_DATA_UPDATED, call, changed=changed)

    def _emit(self, kind: EventType, call: Call, party: Party | None = None, **extra: Any) -> None:
        data = call_view(call)
        if party is not None:
            data["party"] = party_view(party)
        data.update(extra)
        agents = frozenset(p.agent_id for p in call.parties.values() if p.agent_id)
        self.sink(CtiEvent(kind, data, call.call_id, Audience(agent_ids=agents, queues=frozenset({"sales"}))))

    def inbound_call(self, call_id: str, number: str, name: str = "") -> Call:
        call = Call(call_id, call_id, CallDirection.INBOUND, created_at=0.0, queue="sales")
        caller = Party(
            f"{call_id}-caller", PartyRole.CALLER, "Local/2001@customers-00000000;2", call_id, number, name
        )
        call.parties[caller.party_id] = caller
        self.calls[call_id] = call
        self._emit(EventType.CALL_CREATED, call)
        return call

    def outbound_call(self, call_id: str, agent_id: str, to: str) -> Call:
        call = Call(call_id, call_id, CallDirection.OUTBOUND, created_at=0.0)
        call.attached.merge({"dnis": to})
        self.calls[call_id] = call
        self._emit(EventType.CALL_CREATED, call)
        self.ring(call, agent_id)
        return call

    def ring(self, call: Call, agent_id: str, party_id: str | None = None) -> Party:
        party = Party(
            party_id or f"{call.call_id}-{agent_id}",
            PartyRole.AGENT,
            f"Local/{agent_id}@agents-00000001;1",
            f"{call.call_id}.{agent_id}",
            agent_id=agent_id,
            endpoint=f"Local/{agent_id}@agents",
        )
        call.parties[party.party_id] = party
        self._emit(EventType.CALL_RINGING, call, party)
        return party

    def answer(self, call: Call, party: Party) -> None:
        party.state = PartyState.TALKING
        call.answered_at = 1.0
        self._emit(EventType.CALL_ANSWERED, call, party)

    def end(self, call: Call) -> None:
        call.ended_at = 2.0
        del self.calls[call.call_id]
        self._emit(EventType.CALL_ENDED, call, cause=16, cause_text="Normal Clearing")


class Desktop:
    """Collects what the hub would receive."""

    def __init__(self) -> None:
        self.events: list[CtiEvent] = []

    def __call__(self, event: CtiEvent) -> None:
        self.events.append(event)

    def types(self, call_id: str | None = None) -> list[str]:
        return [e.type.value for e in self.events if call_id is None or e.call_id == call_id]

    def pops(self) -> list[CtiEvent]:
        return [e for e in self.events if e.type is EventType.SCREEN_POP]


def build(directory: Any, *, timeout: float = 0.5) -> tuple[ScreenPopService, FakeTracker, Desktop]:
    hub = Desktop()
    lookup = (
        CustomerLookup(directory, default_region="ES", timeout=timeout) if directory is not None else None
    )
    service = ScreenPopService(lookup, hub)
    tracker = FakeTracker(service)
    service.bind(tracker)
    return service, tracker, hub


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_the_customer_joins_the_attached_data_before_the_agent_rings() -> None:
    _, tracker, hub = build(InMemoryCustomerDirectory([ANA]))
    call = tracker.inbound_call("c1", "911234567", "ANA GARCIA")
    await settle()
    party = tracker.ring(call, "1001")
    tracker.answer(call, party)
    assert hub.types() == ["call.created", "call.data_updated", "call.ringing", "screen_pop", "call.answered"]
    ringing = hub.events[2]
    assert ringing.data["attached"]["customer"]["name"] == "Ana García"
    assert call.attached["customer_lookup"] == "found"
    assert call.attached["ani"] == "+34911234567"


async def test_the_pop_goes_to_the_rung_agent_only_with_caller_customer_and_attached_data() -> None:
    _, tracker, hub = build(InMemoryCustomerDirectory([ANA]))
    call = tracker.inbound_call("c1", "+34911234567", "ANA GARCIA")
    await settle()
    tracker.ring(call, "1001")
    [pop] = hub.pops()
    assert pop.call_id == "c1"
    assert pop.audience == Audience(agent_ids=frozenset({"1001"}))
    assert pop.data["agent_id"] == "1001"
    assert pop.data["caller"] == {"number": "+34911234567", "name": "ANA GARCIA"}
    assert pop.data["customer"] == {**ANA.fields, "number": "+34911234567"}
    assert pop.data["attached"]["customer"] == pop.data["customer"]
    assert pop.data["attached"]["customer_lookup"] == "found"


async def test_a_ringing_that_beats_a_slow_lookup_is_held_until_the_lookup_ends() -> None:
    directory = GatedDirectory(ANA)
    service, tracker, hub = build(directory)
    call = tracker.inbound_call("c1", "+34911234567")
    party = tracker.ring(call, "1001")
    tracker.answer(call, party)
    assert hub.types() == ["call.created"]
    assert service.calls_holding == 1
    directory.gate.set()
    await settle()
    assert hub.types() == ["call.created", "call.data_updated", "call.ringing", "screen_pop", "call.answered"]
    assert hub.pops()[0].data["customer"]["name"] == "Ana García"
    assert service.calls_holding == 0


async def test_holding_one_call_never_delays_another() -> None:
    directory = GatedDirectory(ANA)
    _, tracker, hub = build(directory)
    slow = tracker.inbound_call("slow", "+34911234567")
    tracker.ring(slow, "1001")
    other = tracker.inbound_call("other", "anonymous")
    tracker.ring(other, "1002")
    assert hub.types("other") == ["call.created", "call.ringing", "screen_pop"]
    assert hub.types("slow") == ["call.created"]
    directory.gate.set()
    await settle()


async def test_a_lookup_that_times_out_pops_without_a_customer_after_the_timeout() -> None:
    directory = GatedDirectory(ANA)
    _, tracker, hub = build(directory, timeout=0.05)
    call = tracker.inbound_call("c1", "+34911234567")
    party = tracker.ring(call, "1001")
    tracker.answer(call, party)
    await asyncio.sleep(0.2)
    assert hub.types() == ["call.created", "call.data_updated", "call.ringing", "screen_pop", "call.answered"]
    [pop] = hub.pops()
    assert pop.data["customer"] is None
    assert pop.data["attached"]["customer_lookup"] == "unavailable"
    directory.gate.set()


async def test_an_unknown_caller_pops_with_a_null_customer() -> None:
    _, tracker, hub = build(InMemoryCustomerDirectory([ANA]))
    call = tracker.inbound_call("c1", "+442079460018", "Someone")
    await settle()
    tracker.ring(call, "1001")
    [pop] = hub.pops()
    assert pop.data["customer"] is None
    assert pop.data["caller"] == {"number": "+442079460018", "name": "Someone"}
    assert pop.data["attached"]["customer_lookup"] == "not_found"


async def test_an_anonymous_caller_pops_at_once_without_a_lookup() -> None:
    directory = GatedDirectory(ANA)
    _, tracker, hub = build(directory)
    call = tracker.inbound_call("c1", "anonymous")
    tracker.ring(call, "1001")
    assert hub.types() == ["call.created", "call.ringing", "screen_pop"]
    assert directory.requests == []


async def test_without_a_directory_agents_still_get_pops() -> None:
    _, tracker, hub = build(None)
    call = tracker.inbound_call("c1", "+34911234567", "Ana")
    tracker.ring(call, "1001")
    [pop] = hub.pops()
    assert pop.data["customer"] is None
    assert pop.data["caller"]["number"] == "+34911234567"


async def test_every_agent_rung_by_a_ring_all_queue_gets_its_own_pop() -> None:
    directory = GatedDirectory(ANA)
    _, tracker, hub = build(directory)
    call = tracker.inbound_call("c1", "+34911234567")
    tracker.ring(call, "1001")
    tracker.ring(call, "1002")
    directory.gate.set()
    await settle()
    assert hub.types() == [
        "call.created",
        "call.data_updated",
        "call.ringing",
        "screen_pop",
        "call.ringing",
        "screen_pop",
    ]
    assert [pop.audience.agent_ids for pop in hub.pops()] == [frozenset({"1001"}), frozenset({"1002"})]


async def test_a_repeated_ringing_of_the_same_party_does_not_pop_twice() -> None:
    _, tracker, hub = build(InMemoryCustomerDirectory([ANA]))
    call = tracker.inbound_call("c1", "+34911234567")
    await settle()
    party = tracker.ring(call, "1001")
    tracker._emit(EventType.CALL_RINGING, call, party)
    assert len(hub.pops()) == 1


async def test_an_agent_rung_again_later_gets_a_new_pop() -> None:
    _, tracker, hub = build(InMemoryCustomerDirectory([ANA]))
    call = tracker.inbound_call("c1", "+34911234567")
    await settle()
    tracker.ring(call, "1001", party_id="p1")
    tracker.ring(call, "1001", party_id="p2")
    assert [pop.data["party_id"] for pop in hub.pops()] == ["p1", "p2"]


async def test_a_call_ending_while_held_still_pops_then_ends_and_forgets_the_call() -> None:
    directory = GatedDirectory(ANA)
    service, tracker, hub = build(directory)
    call = tracker.inbound_call("c1", "+34911234567")
    tracker.ring(call, "1001")
    tracker.end(call)
    directory.gate.set()
    await settle()
    assert hub.types() == ["call.created", "call.ringing", "screen_pop", "call.ended"]
    assert hub.pops()[0].data["customer"]["name"] == "Ana García"
    assert service.calls_holding == 0
    assert service._calls == {}


async def test_a_call_ending_before_its_lookup_finishes_is_simply_forgotten() -> None:
    directory = GatedDirectory(ANA)
    service, tracker, hub = build(directory)
    call = tracker.inbound_call("c1", "+34911234567")
    tracker.end(call)
    directory.gate.set()
    await settle()
    assert hub.types() == ["call.created", "call.ended"]
    assert service._calls == {}


async def test_a_click_to_call_pops_the_called_customer_on_the_agent_phone() -> None:
    _, tracker, hub = build(InMemoryCustomerDirectory([ANA]))
    tracker.outbound_call("o1", "1001", to="+34911234567")
    await settle()
    assert hub.types() == ["call.created", "call.data_updated", "call.ringing", "screen_pop"]
    [pop] = hub.pops()
    assert pop.data["customer"]["name"] == "Ana García"
    assert pop.data["caller"]["number"] == "+34911234567"
    assert "ani" not in pop.data["attached"]


async def test_events_without_a_call_pass_through_untouched() -> None:
    _, _, hub = build(InMemoryCustomerDirectory([ANA]))
    service = ScreenPopService(None, hub)
    event = CtiEvent(EventType.AGENT_STATE_CHANGED, {"agent_id": "1001", "state": "ready"})
    service(event)
    assert hub.events == [event]


async def test_shutdown_releases_held_events() -> None:
    directory = GatedDirectory(ANA)
    service, tracker, hub = build(directory)
    call = tracker.inbound_call("c1", "+34911234567")
    tracker.ring(call, "1001")
    await service.aclose()
    assert hub.types() == ["call.created", "call.data_updated", "call.ringing", "screen_pop"]


@pytest.mark.parametrize("agents", [1, 3])
async def test_pops_precede_answers_for_every_agent(agents: int) -> None:
    directory = GatedDirectory(ANA)
    _, tracker, hub = build(directory)
    call = tracker.inbound_call("c1", "+34911234567")
    parties = [tracker.ring(call, f"100{n}") for n in range(1, agents + 1)]
    tracker.answer(call, parties[-1])
    directory.gate.set()
    await settle()
    for party in parties:
        pop_at = next(
            i
            for i, e in enumerate(hub.events)
            if e.type is EventType.SCREEN_POP and e.data["agent_id"] == party.agent_id
        )
        answered_at = next(i for i, e in enumerate(hub.events) if e.type is EventType.CALL_ANSWERED)
        assert pop_at < answered_at
