"""How an agent's state follows from its queue memberships and its calls."""

from __future__ import annotations

from cti_gateway.agents import AgentState, DeviceStatus, QueueMembership, derive_state

SALES = QueueMembership("sales", "PJSIP/1001")
SUPPORT = QueueMembership("support", "PJSIP/1001")


def _paused(member: QueueMembership, reason: str = "") -> QueueMembership:
    return QueueMembership(member.queue, member.interface, paused=True, paused_reason=reason)


def test_an_agent_in_no_queue_and_on_no_call_is_logged_out() -> None:
    assert derive_state("1001", [], [], now=0).state is AgentState.LOGGED_OUT


def test_an_agent_paused_in_only_some_queues_can_still_take_calls_so_it_is_available() -> None:
    status = derive_state("1001", [_paused(SALES, "lunch"), SUPPORT], [], now=0)

    assert (status.state, status.reason, status.queues) == (AgentState.AVAILABLE, None, ("sales", "support"))


def test_an_agent_paused_in_every_queue_is_paused_with_its_reason() -> None:
    status = derive_state("1001", [_paused(SALES), _paused(SUPPORT, "lunch")], [], now=0)

    assert (status.state, status.reason) == (AgentState.PAUSED, "lunch")


def test_a_pause_without_a_reason_has_a_null_reason() -> None:
    assert derive_state("1001", [_paused(SALES)], [], now=0).reason is None


def test_a_call_wins_over_a_pause_and_talking_wins_over_ringing() -> None:
    on_call = derive_state("1001", [_paused(SALES, "lunch")], [("c-2", "ringing"), ("c-1", "held")], now=0)
    ringing = derive_state("1001", [_paused(SALES, "lunch")], [("c-2", "ringing")], now=0)

    assert (on_call.state, on_call.call_id, on_call.reason) == (AgentState.ON_CALL, "c-1", None)
    assert (ringing.state, ringing.call_id) == (AgentState.RINGING, "c-2")


def test_an_agent_whose_phone_asterisk_cannot_reach_is_unavailable() -> None:
    gone = QueueMembership("sales", "PJSIP/1001", status=DeviceStatus.UNAVAILABLE)

    assert derive_state("1001", [gone], [], now=0).state is AgentState.UNAVAILABLE
