"""DTMF across a Local pair: a digit sent out of one half is received on the other (INDEX item 8)."""

from __future__ import annotations

from pbxsim.engine import Engine
from pbxsim.engine import messages as m
from tests.pbxsim.engine.conftest import Journal, inbound_stasis_call


def _received(journal: Journal, channel_id: str) -> list[str]:
    return [
        msg.digit
        for msg in journal.about(channel_id)
        if isinstance(msg, m.DtmfEnded) and msg.direction == "Received"
    ]


async def test_a_customer_pressing_keys_on_the_first_half_reaches_the_stasis_half(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "ivr", context="customers", exten="9001")

    await journal.wait_for(lambda msg: isinstance(msg, m.DtmfEnded) and msg.digit == "#")

    assert _received(journal, "ivr") == ["1", "#"]
    assert _received(journal, "peer-ivr") == []


async def test_send_dtmf_on_the_second_half_is_received_on_the_first(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "ivr")

    await engine.send_dtmf("ivr", "42", between_ms=10, duration_ms=10)

    assert _received(journal, "peer-ivr") == ["4", "2"]
    assert _received(journal, "ivr") == []
