"""Supervisors monitoring a call (ChanSpy, ARI snoop) and parties leaving a call that goes on.

`ami_chanspy` is the real recording; the dialplan-ChanSpy and ARI-snoop cases have no AMI recording, so
they splice events shaped like the real ones (INDEX.md item 23: `Snoop/<spied Uniqueid>-<n>`) into it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from cti_gateway.calls import MonitorMode, PartyRole
from cti_gateway.calls.tracker import MONITOR_STOPPED, monitor_mode_of
from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.ports.pbx import ChannelSnapshot, PbxEvent, PbxSnapshot
from tests.cti_gateway.calls.recordings import reference_agent_for, replay, wire_events

AGENT_LEG = "Local/1001@agents-000000cd;1"
AGENT_LEG_ID = "1795377189.406"


def _chanspy_until_the_call_is_bridged() -> list[PbxEvent]:
    events = wire_events("ami_chanspy")
    bridged = [
        i for i, e in enumerate(events) if e.name == "BridgeEnter" and e.fields["Channel"] == AGENT_LEG
    ]
    return events[: bridged[0] + 1]


def _chanspy_from_the_agents_hangup() -> list[PbxEvent]:
    events = wire_events("ami_chanspy")
    start = next(
        i for i, e in enumerate(events) if e.name == "BridgeLeave" and e.fields["Channel"] == AGENT_LEG
    )
    return events[start:]


def _ami(name: str, **fields: str) -> PbxEvent:
    return PbxEvent("ami", name, {"Event": name, **fields})


def _parties(event: CtiEvent) -> list[Mapping[str, Any]]:
    parties: list[Mapping[str, Any]] = event.data["parties"]
    return parties


def test_gateway_monitor_joins_the_agents_call_as_a_whisper_then_a_barge_supervisor() -> None:
    run = replay(wire_events("ami_chanspy"))
    assert run.facts() == [
        "call1 created by agent 1001",
        "call1 ringing agent 1001",
        "call1 answered agent 1001",
        "call1 ringing external Local/2001@customers",
        "call1 answered external Local/2001@customers",
        # the supervisor's phone rings as a call of its own until ChanSpy starts, then merges
        "call2 created by caller Local/2901@customers",
        "call2 ringing caller Local/2901@customers",
        "call2 answered caller Local/2901@customers",
        "call2 ended merged",
        "call1 answered supervisor whisper Local/2901@customers",
        "call1 left supervisor whisper Local/2901@customers 16",
        "call3 created by caller Local/2902@customers",
        "call3 ringing caller Local/2902@customers",
        "call3 answered caller Local/2902@customers",
        "call3 ended merged",
        "call1 answered supervisor barge Local/2902@customers",
        "call1 left supervisor barge Local/2902@customers 16",
        "call1 ended 16",
    ]
    assert run.duplicates_and_gaps() == []


def test_a_supervisor_leaving_keeps_the_monitored_call_and_its_other_parties_talking() -> None:
    run = replay(wire_events("ami_chanspy"))
    merged = next(
        e for e in run.events if e.type is EventType.CALL_ENDED and e.data.get("reason") == "merged"
    )
    left = next(e for e in run.events if e.type is EventType.CALL_PARTY_LEFT)
    assert merged.data["merged_into"] == left.call_id
    assert left.data["party"]["role"] == "supervisor"
    assert left.data["party"]["monitor_mode"] == "whisper"
    assert left.data["party"]["state"] == "ended"
    assert left.data["state"] == "answered"
    talking = {p["agent_id"] or p["endpoint"] for p in _parties(left) if p["state"] == "talking"}
    assert talking == {"1001", "Local/2001@customers"}
    ended = run.events[-1]
    assert ended.type is EventType.CALL_ENDED and ended.call_id == left.call_id
    assert ended.data["cause"] == 16


def test_a_supervisor_may_only_hang_up_remove_mute_or_unmute_itself() -> None:
    run = replay(wire_events("ami_chanspy"))
    joined = next(
        e
        for e in run.events
        if e.type is EventType.CALL_ANSWERED and e.data["party"]["role"] == PartyRole.SUPERVISOR.value
    )
    assert joined.data["party"]["allowed_actions"] == ["hangup", "remove", "mute", "unmute"]


def test_the_monitored_calls_events_reach_a_supervisor_whose_phone_is_an_agent_endpoint() -> None:
    def agent_for(name: str) -> str | None:
        return "2901" if name.startswith("Local/2901@customers") else reference_agent_for(name)

    run = replay(wire_events("ami_chanspy"), agent_for)
    joined = next(e for e in run.events if e.data.get("party", {}).get("role") == "supervisor")
    assert joined.data["party"]["agent_id"] == "2901"
    monitored_events = [e for e in run.events if e.call_id == joined.call_id]
    after_join = monitored_events[monitored_events.index(joined) :]
    assert all("2901" in e.audience.agent_ids for e in after_join)
    assert "2901" not in monitored_events[0].audience.agent_ids


def test_a_supervisor_still_listening_never_keeps_the_monitored_call_alive() -> None:
    events = wire_events("ami_chanspy")
    first_spy = next(i for i, e in enumerate(events) if e.name == "ChanSpyStart")
    run = replay(events[: first_spy + 1] + _chanspy_from_the_agents_hangup())
    assert run.facts()[-1] == "call1 ended 16"
    assert run.tracker.calls() == []
    supervisor = next(p for p in _parties(run.events[-1]) if p["role"] == "supervisor")
    assert (supervisor["state"], supervisor["end_cause_text"]) == ("ended", MONITOR_STOPPED)


def test_a_dialplan_chanspy_turns_the_supervisors_own_call_into_a_barge_on_the_agents_call() -> None:
    phone = {"Channel": "PJSIP/2950-00000042", "Uniqueid": "1795377300.900", "Linkedid": "1795377300.900"}
    spy = [
        _ami("Newchannel", **phone, ChannelStateDesc="Ring", CallerIDNum="2950", Exten="*222"),
        _ami("Newexten", **phone, Application="ChanSpy", AppData=f"{AGENT_LEG},qBv(-1)"),
        _ami(
            "ChanSpyStart",
            SpyerChannel=phone["Channel"],
            SpyerUniqueid=phone["Uniqueid"],
            SpyeeChannel=AGENT_LEG,
            SpyeeUniqueid=AGENT_LEG_ID,
        ),
        _ami("Hangup", **phone, Cause="16", **{"Cause-txt": "Normal Clearing"}),
        _ami("ChanSpyStop", SpyerUniqueid=phone["Uniqueid"], SpyeeUniqueid=AGENT_LEG_ID),
    ]
    run = replay(_chanspy_until_the_call_is_bridged() + spy + _chanspy_from_the_agents_hangup())
    assert run.facts()[5:] == [
        "call2 created by caller PJSIP/2950",  # the supervisor dialled *222 before ChanSpy started
        "call2 ended merged",
        "call1 answered supervisor barge PJSIP/2950",
        "call1 left supervisor barge PJSIP/2950 16",
        "call1 ended 16",
    ]
    assert run.duplicates_and_gaps() == []


def test_a_phone_bridged_with_an_ari_snoop_supervises_the_snooped_call_and_is_never_a_call_of_its_own() -> (
    None
):
    snoop = {"Channel": f"Snoop/{AGENT_LEG_ID}-00000001", "Uniqueid": "wire-snoop", "Linkedid": "wire-snoop"}
    phone = {"Channel": "PJSIP/2950-00000043", "Uniqueid": "1795377300.901", "Linkedid": "1795377300.901"}
    supervision = [
        _ami("Newchannel", **snoop, ChannelStateDesc="Up"),
        _ami("Newchannel", **phone, ChannelStateDesc="Down", CallerIDNum="2950"),
        _ami("Newstate", **phone, ChannelStateDesc="Up"),
        _ami("BridgeEnter", **snoop, BridgeUniqueid="wire-supbr", BridgeTechnology="simple_bridge"),
        _ami("BridgeEnter", **phone, BridgeUniqueid="wire-supbr", BridgeTechnology="simple_bridge"),
        _ami("BridgeLeave", **snoop, BridgeUniqueid="wire-supbr"),
        _ami("Hangup", **snoop, Cause="16"),
        _ami("BridgeLeave", **phone, BridgeUniqueid="wire-supbr"),
        _ami("Hangup", **phone, Cause="16"),
    ]
    run = replay(_chanspy_until_the_call_is_bridged() + supervision + _chanspy_from_the_agents_hangup())
    supervisor_facts = [f for f in run.facts() if "2950" in f]
    assert supervisor_facts == [
        "call1 answered supervisor PJSIP/2950",  # an ARI snoop does not tell the mode
        "call1 left supervisor PJSIP/2950 0",
    ]
    left = next(e for e in run.events if e.type is EventType.CALL_PARTY_LEFT)
    assert left.data["party"]["end_cause_text"] == MONITOR_STOPPED
    assert left.data["party"]["monitor_mode"] is None
    assert not [p for p in _parties(run.events[-1]) if p["endpoint"].startswith("Snoop/")]
    assert run.facts()[-1] == "call1 ended 16"
    assert run.duplicates_and_gaps() == []


def test_ari_only_recordings_make_no_calls_because_the_tracker_learns_channels_from_ami() -> None:
    assert replay(wire_events("ari_snoop_whisper")).events == []


@pytest.mark.parametrize(
    ("arguments", "mode"),
    [
        (f"{AGENT_LEG},qE", MonitorMode.LISTEN),
        (f"{AGENT_LEG},qwE", MonitorMode.WHISPER),
        (f"{AGENT_LEG},qBE", MonitorMode.BARGE),
        ("PJSIP/1001,W", MonitorMode.WHISPER),
        ("PJSIP/1001", MonitorMode.LISTEN),
        ("PJSIP/1001,qg(Bw)", MonitorMode.LISTEN),  # a group named Bw is no barge
    ],
)
def test_chanspy_options_name_the_monitor_mode(arguments: str, mode: MonitorMode) -> None:
    assert monitor_mode_of(arguments) is mode


def test_a_ring_all_loser_hears_it_has_left_as_soon_as_the_winner_answers() -> None:
    run = replay(wire_events("ami_blindtransfer"))
    facts = run.facts()
    assert facts.index("call1 left agent 1004 26") == facts.index("call1 answered agent 1005") + 1
    left = next(
        e for e in run.events if e.type is EventType.CALL_PARTY_LEFT and e.data["party"]["agent_id"] == "1004"
    )
    assert "1004" in left.audience.agent_ids
    assert left.data["party"]["end_cause"] == 26
    assert left.data["party"]["allowed_actions"] == []


def test_a_caller_hanging_up_a_two_party_call_ends_it_without_a_separate_departure() -> None:
    facts = replay(wire_events("ami_queue_call_answered")).facts()
    assert not [f for f in facts if " left " in f]
    assert facts[-1] == "call1 ended 16"


def test_parties_gone_after_a_resync_leave_a_call_that_goes_on() -> None:
    events = wire_events("ami_chanspy")
    first_spy = next(i for i, e in enumerate(events) if e.name == "ChanSpyStart")
    run = replay(events[: first_spy + 1])
    (call,) = run.tracker.calls()
    before = len(run.events)
    # the supervisor's channels vanished during the outage; the agent's and the customer's are still up
    still_up = [p for p in call.parties.values() if p.role is not PartyRole.SUPERVISOR]
    run.tracker.replace_with(
        PbxSnapshot(
            source="ami",
            channels=tuple(
                ChannelSnapshot(p.unique_id, p.channel, "Up", linked_id=call.linked_id) for p in still_up
            ),
        )
    )
    new = run.events[before:]
    assert [(e.type, e.data["party"]["role"], e.data.get("reason")) for e in new] == [
        (EventType.CALL_PARTY_LEFT, "supervisor", "resync")
    ]
    assert run.tracker.get(call.call_id) is call
