"""Recorded Asterisk sessions replayed through the call tracker: who rang, who answered, transfers, causes.

Each expected list was written by reading the recording's events (AgentCalled/DialBegin for ringing,
DialEnd ANSWER for answers, BlindTransfer/AttendedTransfer, ConfbridgeJoin, the Hangup causes).
"""

from __future__ import annotations

import pytest

from cti_gateway.events.model import EventType
from tests.cti_gateway.calls.recordings import (
    raw_transcript_events,
    raw_transcript_names,
    replay,
    third_party_events,
    third_party_names,
    wire_events,
)
from tests.support.wire import wire_scenario_names

TRUNCATED = {"ami_queue_call_first40"}  # the first 40 events only: the call never ends in it


def _facts_without_data(facts: list[str]) -> list[str]:
    return [fact for fact in facts if " data " not in fact]


def test_queue_call_rings_the_customer_then_one_sales_agent_who_answers() -> None:
    run = replay(wire_events("ami_queue_call_answered"))
    assert run.facts() == [
        "call1 created by caller Local/2001@customers",
        "call1 ringing caller Local/2001@customers",
        "call1 answered caller Local/2001@customers",
        "call1 data ani=5551234 dnis=sales queue=sales",
        "call1 ringing agent 1002",
        "call1 answered agent 1002",
        "call1 ended 16",
    ]


def test_blind_transfer_to_the_support_queue_keeps_one_call_and_rings_support_agents() -> None:
    run = replay(wire_events("ami_blindtransfer"))
    assert _facts_without_data(run.facts()) == [
        "call1 created by caller Local/2001@customers",
        "call1 ringing caller Local/2001@customers",
        "call1 answered caller Local/2001@customers",
        "call1 ringing agent 1002",
        "call1 answered agent 1002",
        "call1 transferred blind",
        "call1 left agent 1002 16",
        "call1 ringing agent 1005",
        "call1 ringing agent 1004",
        "call1 answered agent 1005",
        "call1 left agent 1004 26",
        "call1 ended 16",
    ]
    transferred = next(e for e in run.events if e.type is EventType.CALL_TRANSFERRED)
    assert transferred.data["to"] == "support"
    assert transferred.audience.agent_ids == {"1002"}


def test_redirect_out_of_an_answered_queue_call_counts_as_a_blind_transfer() -> None:
    run = replay(wire_events("ami_redirect_blind"))
    assert "call1 transferred blind" in run.facts()
    assert [f for f in run.facts() if "answered agent" in f] == [
        "call1 answered agent 1001",
        "call1 answered agent 1005",
    ]
    assert "call1 data queue=support" in run.facts()


def test_attended_transfer_holds_the_caller_consults_agent_1006_and_hands_over() -> None:
    run = replay(wire_events("ami_atxfer_complete"))
    assert _facts_without_data(run.facts()) == [
        "call1 created by caller Local/2001@customers",
        "call1 ringing caller Local/2001@customers",
        "call1 answered caller Local/2001@customers",
        "call1 ringing agent 1001",
        "call1 answered agent 1001",
        "call1 held caller Local/2001@customers",
        "call1 ringing agent 1006",
        "call1 answered agent 1006",
        "call1 retrieved caller Local/2001@customers",
        "call1 transferred attended",
        "call1 left agent 1001 16",
        "call1 ended 16",
    ]
    ended = run.events[-1]
    parties = {p["agent_id"] or p["role"]: p for p in ended.data["parties"]}
    assert set(parties) == {"caller", "1001", "1006"}
    assert all(p["end_cause"] == 16 for p in parties.values())


def test_aborted_attended_transfer_rings_the_target_but_transfers_nothing() -> None:
    facts = replay(wire_events("ami_atxfer_abort")).facts()
    assert "call1 ringing agent 1999" in facts
    assert not [f for f in facts if "transferred" in f]
    assert facts[-1] == "call1 ended 16"


def test_conference_merges_the_separately_dialed_parties_into_the_first_call() -> None:
    run = replay(raw_transcript_events("ami_confbridge"))
    assert run.facts() == [
        "call1 created by caller Local/2501@customers",
        "call1 ringing caller Local/2501@customers",
        "call2 created by caller Local/2502@customers",
        "call2 ringing caller Local/2502@customers",
        "call2 answered caller Local/2502@customers",
        "call1 answered caller Local/2501@customers",
        "call2 ended merged",
        "call1 conferenced room1 caller Local/2501@customers",
        "call1 conferenced room1 caller Local/2502@customers",
        "call1 ended 16",
    ]
    assert run.events[-1].data["conference"] == "room1"


def test_originate_outcomes_end_with_the_hangup_cause_of_each_kind_of_customer() -> None:
    facts = replay(wire_events("ami_originate_async_outcomes")).facts()
    endings = sorted(f.split()[-1] for f in facts if " ended " in f)
    # 2001 and 7001 answer (16), 3001 busy (17), 4001 no answer (19), 5001 congestion (34),
    # 8001 rejects (21), 0001 unallocated (1)
    assert endings == sorted(["16", "16", "17", "19", "34", "21", "1"])
    assert "call7 answered caller Local/7001@customers" in facts


def test_queue_ring_no_answer_rings_each_member_on_every_retry_and_the_caller_times_out() -> None:
    facts = replay(wire_events("ami_queue_ring_no_answer_and_timeout")).facts()
    assert [f for f in facts if "ringing agent" in f] == [
        "call1 ringing agent 1999",
        "call1 ringing agent 1998",
        "call1 ringing agent 1999",
        "call1 ringing agent 1998",
    ]
    assert not [f for f in facts if "answered agent" in f]


def test_sip_call_from_a_to_b_is_answered_and_ends_normally() -> None:
    assert replay(third_party_events("simple_ab_success_a_hangup")).facts() == [
        "call1 created by caller SIP/150010001",
        "call1 ringing external SIP/150010002",
        "call1 answered external SIP/150010002",
        "call1 ended 16",
    ]


def test_sip_call_rejected_by_b_ends_with_cause_busy() -> None:
    assert replay(third_party_events("simple_ab_reject")).facts() == [
        "call1 created by caller SIP/150010001",
        "call1 ringing external SIP/150010002",
        "call1 left external SIP/150010002 17",  # A still hears the busy tone
        "call1 ended 17",
    ]


def test_call_group_rings_both_phones_and_the_one_that_answers_takes_the_call() -> None:
    run = replay(third_party_events("simple_ab_callgroup"))
    assert run.facts() == [
        "call1 created by caller SIP/150010001",
        "call1 ringing external SIP/150010003",
        "call1 ringing external SIP/150010002",
        "call1 answered external SIP/150010002",
        "call1 left external SIP/150010003 26",
        "call1 ended 16",
    ]
    loser = next(p for p in run.events[-1].data["parties"] if p["endpoint"] == "SIP/150010003")
    assert loser["end_cause"] == 26  # answered elsewhere


def test_sip_attended_transfer_merges_the_consult_call_into_the_customer_call() -> None:
    run = replay(third_party_events("xfer_attended_xfer_abacbc"))
    assert run.facts() == [
        "call1 created by caller SIP/150010001",
        "call1 ringing external SIP/150010002",
        "call1 answered external SIP/150010002",
        "call2 created by caller SIP/150010001",
        "call2 ringing external SIP/150010003",
        "call2 answered external SIP/150010003",
        "call2 ended merged",
        "call1 transferred attended",
        "call1 left caller SIP/150010001 16",  # A's consult leg
        "call1 left caller SIP/150010001 16",  # A's first leg: B and C talk on
        "call1 ended 16",
    ]
    ended = run.events[-1].data
    assert {p["endpoint"] for p in ended["parties"]} == {"SIP/150010001", "SIP/150010002", "SIP/150010003"}


def test_sip_blind_transfer_rings_the_new_target_in_the_same_call() -> None:
    assert replay(third_party_events("xfer_blind_xfer_blind_abacbc")).facts() == [
        "call1 created by caller SIP/150010001",
        "call1 ringing external SIP/150010002",
        "call1 answered external SIP/150010002",
        "call1 transferred blind",
        "call1 left caller SIP/150010001 16",
        "call1 ringing external SIP/150010003",
        "call1 answered external SIP/150010003",
        "call1 ended 16",
    ]


def test_blonde_transfer_hands_over_a_target_that_is_still_ringing() -> None:
    assert replay(third_party_events("xfer_blonde_xfer_blonde_abacbc")).facts() == [
        "call1 created by caller SIP/150010001",
        "call1 ringing external SIP/150010002",
        "call1 answered external SIP/150010002",
        "call2 created by caller SIP/150010001",
        "call2 ringing external SIP/150010003",
        "call2 ended merged",
        "call1 transferred attended",
        "call1 left caller SIP/150010001 16",
        "call1 left caller SIP/150010001 16",
        "call1 answered external SIP/150010003",
        "call1 ended 16",
    ]


def test_local_routing_hops_never_become_parties() -> None:
    run = replay(third_party_events("originate_ctd-account-world"))
    endpoints = {p["endpoint"] for e in run.events for p in e.data["parties"]}
    assert not [endpoint for endpoint in endpoints if endpoint.startswith("Local/")]


def _all_recordings() -> list[tuple[str, str]]:
    return (
        [("txt", name) for name in raw_transcript_names()]
        + [("wire", name) for name in wire_scenario_names()]
        + [("third-party", name) for name in third_party_names()]
    )


@pytest.mark.parametrize(("kind", "name"), _all_recordings())
def test_no_call_event_is_duplicated_or_missing(kind: str, name: str) -> None:
    loader = {"txt": raw_transcript_events, "wire": wire_events, "third-party": third_party_events}[kind]
    run = replay(loader(name))
    problems = run.duplicates_and_gaps()
    if name in TRUNCATED:
        problems = [p for p in problems if "ended 0x" not in p and "still live" not in p]
    assert problems == []


@pytest.mark.parametrize(("kind", "name"), _all_recordings())
def test_every_ringing_event_names_the_party_with_its_channel_and_endpoint(kind: str, name: str) -> None:
    loader = {"txt": raw_transcript_events, "wire": wire_events, "third-party": third_party_events}[kind]
    for event in replay(loader(name)).events:
        if event.type is EventType.CALL_RINGING:
            party = event.data["party"]
            assert party["channel"] and party["endpoint"] and party["state"] == "ringing"
            if party["agent_id"]:
                assert party["agent_id"] in event.audience.agent_ids
