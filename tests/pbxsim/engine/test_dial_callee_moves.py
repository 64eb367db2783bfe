"""A Dial() callee taken out of Dial's bridge (Redirect, BlindTransfer, Park) lives on, as on Asterisk 22.

Checked on the reference Asterisk: click-to-call `Local/1001@agents` → dial-out,2001, then a Redirect (or a
BlindTransfer by the agent leg, or a Park) of the customer's `Local/2001@customers-…;1`. The agent leg
carries on in its dialplan and hangs up; the customer's `;1` and `;2` stay up until the customer hangs up.
"""

from __future__ import annotations

import asyncio

from pbxsim.engine import Engine
from pbxsim.engine import messages as m
from pbxsim.engine.transfers import blind_transfer
from tests.pbxsim.engine.conftest import Journal

LONG_CALL = {"__CUSTOMER_TALK_SECS": "600", "__AGENT_TALK_SECS": "600"}
CUSTOMER = "Local/2001@customers-"
_PLACING: set[asyncio.Task[object]] = set()


async def _click_to_call(engine: Engine, journal: Journal) -> tuple[str, str]:
    """Agent 1001 calls customer 2001; returns (agent `;1` id, customer `;1` id) once they are bridged."""
    placing = asyncio.create_task(
        engine.originate("Local/1001@agents", context="dial-out", exten="2001", variables=LONG_CALL)
    )
    _PLACING.add(placing)
    placing.add_done_callback(_PLACING.discard)
    entered = await _bridged(journal, "Local/1001@agents-")
    customer = next(c for c in engine.channels() if c.name.startswith(CUSTOMER) and c.name.endswith(";1"))
    return entered.channel.id, customer.id


async def _bridged(journal: Journal, prefix: str, *, besides: str = "") -> m.ChannelEnteredBridge:
    entered = await journal.wait_for(
        lambda x: (
            isinstance(x, m.ChannelEnteredBridge)
            and x.channel.name.startswith(prefix)
            and x.channel.id != besides
        )
    )
    assert isinstance(entered, m.ChannelEnteredBridge)
    return entered


def _customer_ended(journal: Journal) -> list[str]:
    return sorted(
        x.channel.name
        for x in journal.messages
        if isinstance(x, m.ChannelEnded) and x.channel.name.startswith(CUSTOMER)
    )


async def _customer_hangs_up(engine: Engine, journal: Journal, customer: str) -> None:
    engine.hangup(customer, 16)
    await journal.wait_for(lambda x: len(_customer_ended(journal)) == 2)


async def test_a_redirected_dial_callee_and_its_local_half_stay_up_until_the_customer_hangs_up(
    engine: Engine, journal: Journal
) -> None:
    agent, customer = await _click_to_call(engine, journal)

    engine.redirect(customer, "dial-out", "1002", 1)
    await _bridged(journal, "Local/1002@agents-")

    assert _customer_ended(journal) == []
    assert agent not in {c.id for c in engine.channels()}
    moved = journal.about(customer)
    newexten = next(
        x for x in moved if isinstance(x, m.ChannelDialplanEntered) and x.channel.dialplan.exten == "1002"
    )
    left = next(x for x in moved if isinstance(x, m.ChannelLeftBridge))
    assert newexten.channel.dialplan.app_name == "AppDial"  # the new place, still naming the old app
    assert moved.index(newexten) < moved.index(left)

    await _customer_hangs_up(engine, journal, customer)

    assert [name[-2:] for name in _customer_ended(journal)] == [";1", ";2"]
    assert engine.channels() == []


async def test_a_blind_transfer_by_the_agent_leg_keeps_the_customer_alive(
    engine: Engine, journal: Journal
) -> None:
    agent, customer = await _click_to_call(engine, journal)

    blind_transfer(engine, agent, "dial-out", "1002")
    await _bridged(journal, "Local/1002@agents-")

    assert _customer_ended(journal) == []
    await _customer_hangs_up(engine, journal, customer)
    assert engine.channels() == []


async def test_a_parked_dial_callee_frees_the_agent_at_once_and_a_redirect_brings_it_back(
    engine: Engine, journal: Journal
) -> None:
    agent, customer = await _click_to_call(engine, journal)
    agent_name = engine.channel(agent).name  # type: ignore[union-attr]

    engine.parking.park(customer, agent_name, 60)
    await journal.ended(agent)  # Dial's caller leaves the bridge and runs on to Hangup() at once

    assert _customer_ended(journal) == []
    engine.redirect(customer, "dial-out", "1001", 1)
    await _bridged(journal, "Local/1001@agents-", besides=agent)

    kinds = [type(x).__name__ for x in journal.about(customer)]
    assert kinds[kinds.index("MusicOnHoldStopped") :][:3] == [
        "MusicOnHoldStopped",
        "ChannelDialplanEntered",
        "ChannelLeftBridge",
    ]
    parked = [x.kind for x in journal.messages if isinstance(x, m.ParkedCallChanged)]
    assert parked == ["ParkedCall", "ParkedCallGiveUp"]
    assert _customer_ended(journal) == []

    await _customer_hangs_up(engine, journal, customer)
    assert kinds.count("MusicOnHoldStopped") == 1
    assert [x.kind for x in journal.messages if isinstance(x, m.ParkedCallChanged)] == parked


async def test_an_originate_of_a_local_leg_that_dials_on_is_answered_when_the_dialled_party_answers(
    engine: Engine, journal: Journal
) -> None:
    """Originate Local/1002@dial-out: Dial() answers its caller (the `;2`); chan_local tells the `;1`."""
    outcome = await engine.originate(
        "Local/1002@dial-out", context="util", exten="wait", variables={"__AGENT_TALK_SECS": "600"}
    )

    assert outcome.reason == 4
    assert outcome.channel is not None and outcome.channel.name.startswith("Local/1002@dial-out-")
