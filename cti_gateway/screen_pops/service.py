"""Screen pops: look the caller up when a call appears, and pop the record on the agent's desktop as
its phone starts ringing, always before that agent can see the call answered.

`ScreenPopService` is an `EventSink` placed between the call tracker and the hub. It passes every
event on unchanged and adds `screen_pop` events. Ordering rule: when an agent's phone starts ringing
while the lookup is still running, that `call.ringing` and every later event of the same call are
held back (other calls flow freely) until the lookup ends or times out. The customer is then
attached (`call.data_updated`), the held events are released in their order, and each agent's
`screen_pop` follows its `call.ringing` at once. A desktop therefore always sees
`call.data_updated` (customer) → `call.ringing` → `screen_pop` → `call.answered`, delayed at most by
the lookup timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from cti_gateway.calls import Call
from cti_gateway.directory import CustomerLookup, LookupOutcome, LookupResult
from cti_gateway.events.model import CtiEvent, EventSink, EventType
from cti_gateway.screen_pops.pop import customer_number, lookup_updates, screen_pop_event

log = structlog.get_logger(__name__)

LOOKUP_GRACE_SECONDS = 0.25
"""How much longer than the lookup's own timeout a call's events may be held, as a last safety net."""


class CallDataPort(Protocol):
    """What the service needs of the call tracker: read a live call, and attach data to it."""

    def get(self, call_id: str) -> Call | None: ...

    def attach(self, call_id: str, updates: Mapping[str, Any]) -> None: ...


@dataclass(slots=True)
class _CallPops:
    """Per live call: the lookup, its outcome, the pops already sent, and events held for ordering."""

    view: Mapping[str, Any]
    lookup: asyncio.Task[None] | None = None
    result: LookupResult | None = None
    unusable_number: str | None = None
    attached_extra: dict[str, Any] = field(default_factory=dict)
    popped_parties: set[str] = field(default_factory=set)
    holding: bool = False
    held: list[CtiEvent] = field(default_factory=list)


class ScreenPopService:
    """Adds ANI lookup and screen pops to the tracker's event stream; call it as the tracker's sink.

    `lookup` may be None (no directory configured): pops then carry `customer: null` and nothing is
    held. `forward` is the next sink (the hub). Bind the tracker with `bind` before events flow.
    """

    def __init__(self, lookup: CustomerLookup | None, forward: EventSink) -> None:
        self._lookup = lookup
        self._forward = forward
        self._tracker: CallDataPort | None = None
        self._calls: dict[str, _CallPops] = {}

    def bind(self, tracker: CallDataPort) -> None:
        """Give the service the tracker whose events it receives (they need each other)."""
        self._tracker = tracker

    @property
    def calls_holding(self) -> int:
        """How many calls have events held back waiting for a lookup (for metrics and tests)."""
        return sum(1 for state in self._calls.values() if state.holding)

    def __call__(self, event: CtiEvent) -> None:
        state = self._calls.get(event.call_id) if event.call_id is not None else None
        if state is not None and state.holding:
            state.held.append(event)
            return
        self._process(event)

    async def aclose(self) -> None:
        """Stop pending lookups and release every held event (at shutdown)."""
        tasks = [state.lookup for state in self._calls.values() if state.lookup is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for call_id, state in list(self._calls.items()):
            if state.holding:
                self._release(call_id, state, LookupResult(LookupOutcome.UNAVAILABLE, ""))

    def _process(self, event: CtiEvent) -> None:
        call_id = event.call_id
        if call_id is None or event.type is EventType.SCREEN_POP:
            self._forward(event)
            return
        state = self._calls.get(call_id)
        if state is None:
            state = self._calls[call_id] = _CallPops(event.data)
        else:
            state.view = event.data
        try:
            self._maybe_start_lookup(call_id, state)
            if event.type is EventType.CALL_RINGING and self._rings_new_agent(state, event) and state.holding:
                state.held.append(event)
                return
        except Exception:
            log.exception("screen pop bookkeeping failed; the event passes unchanged", call_id=call_id)
        self._forward(event)
        if event.type is EventType.CALL_RINGING:
            self._pop_if_agent_rings(call_id, state, event)
        elif event.type is EventType.CALL_ENDED:
            self._forget(call_id)

    def _maybe_start_lookup(self, call_id: str, state: _CallPops) -> None:
        if self._lookup is None or state.lookup is not None or state.result is not None:
            return
        number = customer_number(state.view)
        if not number or number == state.unusable_number:
            return
        if self._lookup.normalise(number) is None:
            state.unusable_number = number  # anonymous, an extension: not parsed again on every event
            return
        state.lookup = asyncio.get_running_loop().create_task(
            self._look_up(call_id, state, number), name=f"screen-pop-lookup:{call_id}"
        )

    def _rings_new_agent(self, state: _CallPops, event: CtiEvent) -> bool:
        """True when this ringing needs a pop that must wait for a lookup still running (then hold)."""
        party = event.data.get("party")
        if not isinstance(party, Mapping) or not party.get("agent_id"):
            return False
        if party.get("party_id") in state.popped_parties:
            return False
        if state.lookup is not None and state.result is None:
            state.holding = True
        return state.holding

    async def _look_up(self, call_id: str, state: _CallPops, number: str) -> None:
        assert self._lookup is not None
        try:
            async with asyncio.timeout(self._lookup.timeout + LOOKUP_GRACE_SECONDS):
                result = await self._lookup.find(number)
        except TimeoutError:
            result = LookupResult(LookupOutcome.UNAVAILABLE, number)
        if self._calls.get(call_id) is state:
            self._release(call_id, state, result)

    def _release(self, call_id: str, state: _CallPops, result: LookupResult) -> None:
        """Attach the lookup's result, then let the held events (and their pops) through in order."""
        state.result = result
        state.lookup = None
        updates = lookup_updates(state.view, result)
        state.attached_extra.update(updates)
        held, state.held, state.holding = state.held, [], False
        try:
            if self._tracker is not None:
                self._tracker.attach(call_id, updates)
        except KeyError:
            log.debug("call ended before its customer lookup finished", call_id=call_id)
        except Exception:
            log.exception("attaching the customer record failed", call_id=call_id)
        for event in held:
            self._process(event)

    def _pop_if_agent_rings(self, call_id: str, state: _CallPops, event: CtiEvent) -> None:
        party = event.data.get("party")
        if not isinstance(party, Mapping):
            return
        agent_id = party.get("agent_id")
        party_id = str(party.get("party_id") or party.get("channel") or "")
        if not agent_id or party_id in state.popped_parties:
            return
        state.popped_parties.add(party_id)
        pop = screen_pop_event(
            call_id=call_id,
            agent_id=str(agent_id),
            party=party,
            view=state.view,
            attached=self._attached(call_id, state),
        )
        self._forward(pop)

    def _attached(self, call_id: str, state: _CallPops) -> dict[str, Any]:
        call = self._tracker.get(call_id) if self._tracker is not None else None
        if call is not None:
            return call.attached.as_dict()
        attached = state.view.get("attached")
        merged = dict(attached) if isinstance(attached, Mapping) else {}
        for key, value in state.attached_extra.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    def _forget(self, call_id: str) -> None:
        state = self._calls.pop(call_id, None)
        if state is not None and state.lookup is not None:
            with contextlib.suppress(RuntimeError):
                state.lookup.cancel()
