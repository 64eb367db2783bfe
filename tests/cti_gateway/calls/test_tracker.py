"""The call tracker's own contract: attached data, allowed actions, resync, lookups and audiences."""

from __future__ import annotations

import pytest

from cti_gateway.calls import CallTracker, PartyState, UnknownCallError, call_view
from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.ports.pbx import ChannelSnapshot, PbxEvent, PbxSnapshot
from tests.cti_gateway.calls.recordings import reference_agent_for, replay, wire_events


def _until(events: list[PbxEvent], name: str, match: str = "") -> list[PbxEvent]:
    """The events up to and including the first `name` event whose fields mention `match`."""
    for index, event in enumerate(events):
        if event.name == name and match in str(dict(event.fields)):
            return events[: index + 1]
    raise AssertionError(f"no {name} event mentioning {match!r}")


def _feed(events: list[PbxEvent]) -> tuple[CallTracker, list[CtiEvent]]:
    collected: list[CtiEvent] = []
    tracker = CallTracker(collected.append, reference_agent_for)
    for event in events:
        tracker.apply(event)
    return tracker, collected


def test_attach_merges_data_into_the_call_and_emits_data_updated_once_per_change() -> None:
    tracker, events = _feed(_until(wire_events("ami_queue_call_answered"), "AgentCalled"))
    (call,) = tracker.calls()
    before = len(events)
    tracker.attach(call.call_id, {"customer": {"name": "Ana"}, "ani": "5551234"})
    tracker.attach(call.call_id, {"customer": {"name": "Ana"}})  # no change, no event
    updates = [e for e in events[before:] if e.type is EventType.CALL_DATA_UPDATED]
    assert len(updates) == 1
    assert updates[0].data["changed"] == {"customer": {"name": "Ana"}}
    assert updates[0].data["attached"]["customer"] == {"name": "Ana"}
    assert updates[0].audience.queues == {"sales"}
    assert updates[0].audience.agent_ids == {"1002"}


def test_attached_data_survives_the_blind_transfer_to_another_queue() -> None:
    events = wire_events("ami_blindtransfer")
    tracker, collected = _feed(_until(events, "AgentConnect", "Agent 1002"))
    (call,) = tracker.calls()
    tracker.attach(call.call_id, {"customer": {"id": "C-7"}})
    for event in events[len(_until(events, "AgentConnect", "Agent 1002")) :]:
        tracker.apply(event)
    ended = collected[-1]
    assert ended.type is EventType.CALL_ENDED
    assert ended.data["attached"]["customer"] == {"id": "C-7"}
    assert ended.data["attached"]["queue"] == "support"


def test_attach_to_an_unknown_call_names_the_call() -> None:
    tracker, _ = _feed([])
    with pytest.raises(UnknownCallError, match="no-such-call"):
        tracker.attach("no-such-call", {"x": 1})


def test_ivr_digits_and_cti_variables_join_the_attached_data() -> None:
    assert "call1 data ivr_digits=1234" in replay(wire_events("ami_dtmf_ivr")).facts()
    assert "call1 data id=42" in replay(wire_events("ami_userevent_setvar_getvar")).facts()


def test_a_ringing_agent_may_only_hang_up_and_a_talking_agent_gets_the_full_toolbar() -> None:
    events = wire_events("ami_queue_call_answered")
    tracker, _ = _feed(_until(events, "AgentCalled"))
    (call,) = tracker.calls()
    agent = next(p for p in call_view(call)["parties"] if p["agent_id"] == "1002")
    assert agent["state"] == "ringing"
    assert agent["allowed_actions"] == ["hangup"]
    tracker, _ = _feed(_until(events, "AgentConnect"))
    (call,) = tracker.calls()
    agent = next(p for p in call_view(call)["parties"] if p["agent_id"] == "1002")
    assert agent["state"] == "talking"
    assert {"hold", "transfer", "conference", "dtmf", "record"} <= set(agent["allowed_actions"])
    assert "retrieve" not in agent["allowed_actions"]


def test_a_held_caller_may_be_retrieved_but_not_held_again() -> None:
    tracker, _ = _feed(_until(wire_events("ami_atxfer_complete"), "Hold"))
    (call,) = tracker.calls()
    caller = next(p for p in call.parties.values() if p.role.value == "caller")
    assert caller.state is PartyState.HELD
    actions = next(p for p in call_view(call)["parties"] if p["role"] == "caller")["allowed_actions"]
    assert "retrieve" in actions and "hold" not in actions


def test_call_for_channel_finds_the_call_by_uniqueid_and_by_name() -> None:
    tracker, _ = _feed(_until(wire_events("ami_queue_call_answered"), "AgentConnect"))
    (call,) = tracker.calls()
    agent = next(p for p in call.parties.values() if p.agent_id == "1002")
    assert tracker.call_for_channel(agent.unique_id) is call
    assert tracker.call_for_channel(agent.channel) is call
    assert tracker.get(call.call_id) is call
    assert tracker.call_for_channel("Local/9999@nowhere-00000001;1") is None


def test_resync_ends_calls_whose_channels_are_gone_with_a_resync_reason() -> None:
    tracker, events = _feed(_until(wire_events("ami_queue_call_answered"), "AgentConnect"))
    (call,) = tracker.calls()
    tracker.replace_with(PbxSnapshot(source="ami", channels=()))
    assert tracker.calls() == []
    ended = events[-1]
    assert ended.type is EventType.CALL_ENDED
    assert ended.call_id == call.call_id
    assert ended.data["reason"] == "resync"
    assert all(p["state"] == "ended" for p in ended.data["parties"])


def test_resync_keeps_calls_that_are_still_up_and_learns_the_ones_it_missed() -> None:
    tracker, events = _feed(_until(wire_events("ami_queue_call_answered"), "AgentConnect"))
    (known,) = tracker.calls()
    kept = [
        ChannelSnapshot(unique_id=p.unique_id, name=p.channel, state="Up", linked_id=known.linked_id)
        for p in known.parties.values()
    ]
    missed = [
        ChannelSnapshot("900.1", "PJSIP/trunk-00000001", "Up", caller_number="5550001", linked_id="900.1"),
        ChannelSnapshot("900.2", "Local/1003@agents-0000aa01;1", "Up", linked_id="900.1"),
    ]
    before = len(events)
    tracker.replace_with(PbxSnapshot(source="ami", channels=(*kept, *missed)))
    assert [e.type for e in events[before:]] == [EventType.CALL_CREATED]
    learned = tracker.get("900.1")
    assert learned is not None
    roles = {(p.role.value, p.agent_id, p.state.value) for p in learned.parties.values()}
    assert roles == {("caller", None, "talking"), ("agent", "1003", "talking")}
    assert tracker.get(known.call_id) is known


def test_noise_events_are_ignored_without_touching_any_call() -> None:
    tracker, events = _feed(_until(wire_events("ami_queue_call_answered"), "AgentConnect"))
    before = len(events)
    for name in ("VarSet", "Newexten", "Cdr", "DeviceStateChange", "RTCPSent"):
        tracker.apply(PbxEvent("ami", name, {"Uniqueid": "nope", "Variable": "BRIDGEPEER", "Value": "x"}))
    assert len(events) == before


def test_agent_resolver_knows_an_agent_by_channel_name_member_interface_and_dial_string() -> None:
    from cti_gateway.calls import agent_resolver

    agent_for = agent_resolver({"Local/1001@agents": "1001", "PJSIP/2002": "2002"})
    assert agent_for("Local/1001@agents-000000af;1") == "1001"
    assert agent_for("Local/1001@agents/n") == "1001"
    assert agent_for("PJSIP/2002-0000001f") == "2002"
    assert agent_for("PJSIP/2002") == "2002"
    assert agent_for("Local/2001@customers-000000ae;1") is None
