"""pbxsim's AMI server answers the recorded client frames as the real Asterisk 22 did (wire transcripts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

import pytest

from pbxsim.ami import AmiServer
from pbxsim.engine import Engine, EngineConfig
from tests.pbxsim.wire_replay import (
    assert_replay_matches,
    bridge_variables_by_join_order,
    recorded_stream,
    replay,
)
from tests.support.wire import load_wire_scenario

SPEED = 20.0
# Whether the agent's `;1` is already hung up when app_queue sends AgentComplete is racy (INDEX 18: the
# event then lacks its Dest block). QueueMemberStatus follows that hangup (the device state of the `;1`),
# so its place next to BridgeDestroy moves with the same race; only its count is compared.
AGENT_HANGUP_RACE = ("QueueMemberStatus",)


@pytest.fixture
async def ami() -> AsyncIterator[AmiServer]:
    engine = Engine(EngineConfig(speed=SPEED, seed=7))
    await engine.start()
    server = AmiServer(engine, "127.0.0.1", 0, authtimeout=10.0 / SPEED, failed_login_delay=1.0 / SPEED)
    await server.start()
    # The reference rig had served earlier sales calls (its rrmemory pointer is set per scenario, see
    # _compare), and an earlier scenario (ami_hold_moh) had parked a call, leaving the lot's bridge
    # (INDEX 21).
    engine.parking.bridge()
    yield server
    await server.stop()
    await engine.stop()


async def _compare(
    server: AmiServer,
    name: str,
    *,
    order_free: Iterable[str] = (),
    next_sales_agent: int = 1,
    next_parking_space: int = 701,
) -> None:
    """`next_sales_agent`: where the rig's sales rrmemory pointer stood (0 = 1001, 1 = 1002);
    `next_parking_space`: where its `findslot = next` parking search stood after earlier runs."""
    server.engine.queues.queues["sales"].rr_next = next_sales_agent
    server.engine.parking.next_space = next_parking_space
    scenario = load_wire_scenario(name)
    simulated, names = await replay(scenario, server.port, SPEED)
    assert_replay_matches(scenario, simulated, names, order_free=order_free)


async def test_login_ping_logoff_replays_like_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_login_ok_logoff")


async def test_failed_logins_and_actions_before_login_replay_like_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_login_bad")


async def test_error_responses_match_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_errors")


async def test_userevent_setvar_getvar_match_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_userevent_setvar_getvar")


async def test_sync_originate_outcomes_match_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_originate_sync_answered")


async def test_async_originate_outcomes_match_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_originate_async_outcomes")


async def test_coreshowchannels_status_and_channel_map_match_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_coreshowchannels_status")


async def test_queue_management_actions_match_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_queue_actions", order_free=AGENT_HANGUP_RACE)


async def test_answered_queue_call_matches_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_queue_call_answered", order_free=AGENT_HANGUP_RACE)


async def test_queue_ring_no_answer_and_timeout_match_asterisk(ami: AmiServer) -> None:
    # Members of one ringall round are rung together; app_queue reports the RINGING of one and the
    # BUSY of another in the order its poll() sees their frames, which differed between the two rounds
    # of this very recording. Only DialState's place among the caller's events is left free.
    await _compare(ami, "ami_queue_ring_no_answer_and_timeout", order_free=("DialState",))


async def test_queue_abandon_matches_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_queue_abandon")


async def test_mixmonitor_matches_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_mixmonitor")


async def test_redirect_of_a_queue_caller_to_another_queue_matches_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_redirect_blind", next_sales_agent=0, order_free=AGENT_HANGUP_RACE)


async def test_blind_transfer_of_a_queue_caller_to_another_queue_matches_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_blindtransfer")


async def test_confbridge_actions_match_asterisk(ami: AmiServer) -> None:
    """The order in which the three callers enter the conference bridge is racy (INDEX 22: ConfbridgeJoin does
    not follow originate order, ConfbridgeLeave and BridgeLeave of a kicked caller swap between runs), and
    each join re-announces BRIDGEPEER to every member. So the VarSets are compared apart, with members named
    by their place in the join order; per channel everything else is compared in order. DialBegin of the
    three concurrent originates came before `;1`'s Newstate for two of them and after it for the third."""
    ami.engine.queues.queues["sales"].rr_next = 1
    scenario = load_wire_scenario("ami_confbridge")
    simulated, names = await replay(scenario, ami.port, SPEED)
    assert_replay_matches(
        scenario,
        simulated,
        names,
        order_free=("ConfbridgeJoin", "ConfbridgeLeave", "DialBegin"),
        left_out=("VarSet",),
    )
    noise = ("BRIDGEPEER", "CONFBRIDGE_RESULT")
    recorded = bridge_variables_by_join_order(recorded_stream(scenario), "ConfBridge", noise)
    assert bridge_variables_by_join_order(simulated[None], "ConfBridge", noise) == recorded
    assert len(recorded) == 15


async def test_dtmf_into_an_ivr_read_matches_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_dtmf_ivr")


async def test_chanspy_whisper_and_barge_match_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_chanspy")


# Whether the transfer target's `;2` runs Ringing() (Newstate of its `;1`) before or after the feature puts
# that `;1` into the consultation bridge is a race between two threads: ami_atxfer_abort and
# ami_atxfer_noanswer show Newstate before NewConnectedLine/BridgeEnter, ami_atxfer_complete after them.
# pbxsim rings first; in ami_atxfer_complete only the place of Newstate is left free.
TARGET_RINGING_RACE = ("Newstate",)


async def test_attended_transfer_completed_by_the_transferer_hanging_up_matches_asterisk(
    ami: AmiServer,
) -> None:
    await _compare(ami, "ami_atxfer_complete", next_sales_agent=0, order_free=TARGET_RINGING_RACE)


async def test_attended_transfer_cancelled_with_cancelatxfer_matches_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_atxfer_abort")


async def test_attended_transfer_to_a_target_that_never_answers_times_out_like_asterisk(
    ami: AmiServer,
) -> None:
    await _compare(ami, "ami_atxfer_noanswer", next_sales_agent=0)


async def test_music_on_hold_and_parking_a_queue_caller_match_asterisk(ami: AmiServer) -> None:
    await _compare(ami, "ami_hold_moh", next_parking_space=703)
