"""Agent states derived from what the reference Asterisk 22 really sent (wire transcripts), and resyncs."""

from __future__ import annotations

import itertools

import pytest

from cti_gateway.agents import AgentState
from cti_gateway.calls import Call, CallDirection, Party, PartyRole, PartyState
from cti_gateway.events.model import EventType
from cti_gateway.ports.pbx import PbxSnapshot, QueueMemberSnapshot
from cti_gateway.screen_pops import Agent, AgentDirectory
from tests.cti_gateway.agents.replay import AgentReplay, reference_queue_status, replay
from tests.cti_gateway.calls.recordings import wire_events
from tests.support.wire import wire_scenario_names


def test_a_dynamic_member_is_reported_through_add_pause_unpause_ring_answer_hangup_and_remove() -> None:
    replayed = replay("ami_queue_actions", snapshot=reference_queue_status())

    assert replayed.transitions("1011") == [
        ("logged_out", "available", None),
        ("available", "paused", "lunch"),
        ("paused", "available", None),
        ("available", "ringing", None),
        ("ringing", "on_call", None),
        ("on_call", "available", None),
        ("available", "logged_out", None),
    ]
    changes = replayed.changes("1011")
    assert all(c["queues"] == ["dynamic"] for c in changes[:-1])
    assert changes[-1]["queues"] == []
    assert changes[3]["call_id"] == changes[4]["call_id"] == "1795377087.360"


def test_state_changes_go_to_the_agent_and_to_supervisors_of_the_queues_it_was_in() -> None:
    replayed = replay("ami_queue_actions", snapshot=reference_queue_status())

    events = [e for e in replayed.emitted if e.type is EventType.AGENT_STATE_CHANGED]
    logged_out = events[-1]

    assert {e.audience.agent_ids for e in events} == {frozenset({"1011"})}
    assert {e.audience.queues for e in events} == {frozenset({"dynamic"})}
    assert logged_out.data["state"] == "logged_out"
    assert logged_out.call_id is None


def test_a_member_added_already_paused_shows_its_break_until_removed() -> None:
    replayed = replay("ami_queue_abandon", snapshot=reference_queue_status())

    assert replayed.transitions("1010") == [("logged_out", "paused", "break"), ("paused", "logged_out", None)]


def test_a_member_of_two_queues_gets_one_event_per_change_although_asterisk_reports_it_per_queue() -> None:
    member_reports = [
        e
        for e in wire_events("ami_chanspy")
        if e.name == "QueueMemberStatus" and e.fields["Interface"] == "Local/1001@agents/n"
    ]
    replayed = replay("ami_chanspy", snapshot=reference_queue_status())

    assert {e.fields["Queue"] for e in member_reports} == {"sales", "support"}
    assert len(member_reports) == 4
    assert replayed.transitions("1001") == [
        ("available", "ringing", None),
        ("ringing", "on_call", None),
        ("on_call", "available", None),
    ]
    assert {tuple(c["queues"]) for c in replayed.changes("1001")} == {("sales", "support")}


def test_the_static_members_of_the_reference_queues_are_available_after_the_first_resync() -> None:
    replayed = AgentReplay(AgentDirectory([Agent("1001", "Ana", "Local/1001@agents")]))

    replayed.resync(reference_queue_status())

    assert replayed.changes() == [
        {
            "agent_id": "1001",
            "state": "available",
            "previous": "logged_out",
            "reason": None,
            "queues": ["sales", "support"],
            "call_id": None,
            "since": replayed.changes()[0]["since"],
        }
    ]


@pytest.mark.parametrize("scenario", wire_scenario_names("ami_"))
def test_every_recorded_scenario_reports_each_agent_change_once_and_in_sequence(scenario: str) -> None:
    replayed = replay(scenario, snapshot=reference_queue_status())

    for agent_id in {c["agent_id"] for c in replayed.changes()}:
        changes = replayed.changes(agent_id)
        for before, after in itertools.pairwise(changes):
            assert after["previous"] == before["state"], (scenario, agent_id, changes)
            seen = (before["state"], before["reason"], before["queues"], before["call_id"])
            assert (after["state"], after["reason"], after["queues"], after["call_id"]) != seen, (
                scenario,
                agent_id,
                changes,
            )


def _member(queue: str, interface: str, *, paused: bool = False, reason: str = "") -> QueueMemberSnapshot:
    return QueueMemberSnapshot(
        queue=queue,
        interface=interface,
        name="",
        state_interface=interface.removesuffix("/n"),
        penalty=0,
        paused=paused,
        in_call=False,
        status=1,
        paused_reason=reason,
    )


def test_a_resync_recomputes_states_from_queue_status() -> None:
    replayed = replay("ami_queue_call_answered", snapshot=reference_queue_status())
    assert replayed.states.status("1002").state is AgentState.AVAILABLE
    replayed.emitted.clear()

    replayed.resync(
        PbxSnapshot(
            "ami",
            channels=(),
            queue_members=(
                _member("sales", "Local/1002@agents/n", paused=True, reason="training"),
                _member("sales", "Local/1003@agents/n"),
            ),
        )
    )

    by_agent = {
        c["agent_id"]: (c["previous"], c["state"], c["reason"], c["queues"]) for c in replayed.changes()
    }
    assert by_agent == {
        "1001": ("available", "logged_out", None, []),
        "1002": ("available", "paused", "training", ["sales"]),
        "1004": ("available", "logged_out", None, []),
        "1005": ("available", "logged_out", None, []),
        "1998": ("available", "logged_out", None, []),
        "1999": ("available", "logged_out", None, []),
    }


class _LiveCalls:
    def __init__(self, *calls: Call) -> None:
        self._calls = list(calls)

    def calls(self) -> list[Call]:
        return self._calls


def test_a_resync_puts_an_agent_on_a_call_the_tracker_learned_from_the_snapshot() -> None:
    replayed = AgentReplay(AgentDirectory([Agent("1001", "Ana", "Local/1001@agents")]))
    call = Call("c-1", "c-1", CallDirection.INBOUND, created_at=0.0, queue="sales")
    call.parties["p-1"] = Party(
        "p-1",
        PartyRole.AGENT,
        "Local/1001@agents-0000000a;1",
        "u-1",
        agent_id="1001",
        state=PartyState.TALKING,
    )
    replayed.states.bind(_LiveCalls(call))

    replayed.states.replace_with(
        PbxSnapshot("ami", channels=(), queue_members=(_member("sales", "Local/1001@agents/n"),))
    )

    assert replayed.transitions("1001") == [("logged_out", "on_call", None)]
    assert replayed.changes("1001")[0]["call_id"] == "c-1"


def test_an_agent_added_later_is_resolved_from_the_memberships_already_reported() -> None:
    directory = AgentDirectory()
    replayed = AgentReplay(directory)
    replayed.resync(reference_queue_status())
    assert replayed.changes() == []

    directory.add(Agent("1004", "Dora", "Local/1004@agents"))
    replayed.states.refresh(["1004"])

    assert replayed.transitions("1004") == [("logged_out", "available", None)]
    assert replayed.changes("1004")[0]["queues"] == ["support"]


def test_a_removed_agent_is_reported_logged_out_once_and_forgotten() -> None:
    directory = AgentDirectory([Agent("1004", "Dora", "Local/1004@agents")])
    replayed = AgentReplay(directory)
    replayed.resync(reference_queue_status())

    directory.remove("1004")
    replayed.states.forget("1004")

    assert replayed.transitions("1004") == [
        ("logged_out", "available", None),
        ("available", "logged_out", None),
    ]
    assert replayed.states.memberships("1004") == []


def test_call_events_pass_through_unchanged_before_the_state_change_they_cause() -> None:
    replayed = replay("ami_queue_call_answered", snapshot=reference_queue_status())

    types = [e.type for e in replayed.emitted]
    ringing_at = next(
        i
        for i, e in enumerate(replayed.emitted)
        if e.type is EventType.CALL_RINGING and e.data["party"]["agent_id"]
    )
    assert types[ringing_at + 1] is EventType.AGENT_STATE_CHANGED
    assert replayed.emitted[ringing_at + 1].data["state"] == "ringing"
    assert types.count(EventType.CALL_ENDED) == 1
