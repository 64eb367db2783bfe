"""ARI snoop channels for supervisors (ari_snoop_whisper, INDEX items 23 and 26)."""

from __future__ import annotations

import pytest

from pbxsim.engine import Engine, InvalidMediaRequest
from pbxsim.engine import messages as m
from pbxsim.engine.model import ChannelState, PartyId
from tests.pbxsim.engine.conftest import Journal, app_originated_call, inbound_stasis_call


async def test_a_snoop_channel_is_named_after_the_spied_channel_and_enters_stasis_with_its_args(
    engine: Engine, journal: Journal
) -> None:
    await app_originated_call(engine, journal, "agent")

    snoop = engine.snoop(
        "agent", spy="both", whisper="out", app="cti", app_args=("supervisor",), snoop_id="sn"
    )

    assert snoop.name == "Snoop/agent-00000001"
    assert snoop.state == ChannelState.UP
    assert (snoop.dialplan.context, snoop.dialplan.exten, snoop.dialplan.app_name) == ("default", "s", "")
    assert journal.kinds("sn") == ["ChannelCreated", "StasisStarted"]
    started = journal.about("sn")[-1]
    assert isinstance(started, m.StasisStarted)
    assert (started.app, started.args) == ("cti", ("supervisor",))
    assert started.channel.dialplan.app_data == "cti,supervisor"
    session = engine.snoops.session("sn")
    assert session is not None and (session.spied_id, session.spy, session.whisper) == (
        "agent",
        "both",
        "out",
    )
    assert engine.channel_app("sn") == "cti"


async def test_deleting_a_snoop_channel_ends_its_stasis_without_stasis_status(
    engine: Engine, journal: Journal
) -> None:
    await app_originated_call(engine, journal, "agent")
    engine.snoop("agent", spy="both", app="cti", snoop_id="sn")

    engine.hangup("sn", 16, soft_request=True)
    await journal.ended("sn")

    assert journal.kinds("sn")[2:] == ["HangupRequested(32, soft)", "StasisEnded", "Ended(16)"]
    assert engine.channel_app("sn") is None
    assert engine.snoops.session("sn") is None


async def test_snooping_on_a_bridged_call_republishes_the_bridge_peers(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "caller", caller_id=PartyId("5551330", "Wire Snoop"))
    await app_originated_call(engine, journal, "agent")
    bridge = engine.create_bridge("mixing")
    engine.add_to_bridge(bridge.id, "caller")
    engine.add_to_bridge(bridge.id, "agent")
    before = journal.kinds("caller")

    engine.snoop("agent", whisper="out", app="cti", snoop_id="sn")

    assert journal.kinds("caller")[len(before) :] == [f"BRIDGEPEER={engine.channel('agent').name}"]  # type: ignore[union-attr]


async def test_the_snoop_hangs_up_with_the_spied_channel(engine: Engine, journal: Journal) -> None:
    await app_originated_call(engine, journal, "agent")
    engine.snoop("agent", spy="in", app="cti", snoop_id="sn")

    engine.hangup("agent", 16, soft_request=True)
    await journal.ended("sn")

    assert engine.channel("sn") is None


async def test_snoop_requests_need_a_direction_and_an_app(engine: Engine, journal: Journal) -> None:
    await app_originated_call(engine, journal, "agent")

    with pytest.raises(InvalidMediaRequest, match="spy or a whisper"):
        engine.snoop("agent", app="cti")
    with pytest.raises(InvalidMediaRequest, match="sideways"):
        engine.snoop("agent", spy="sideways", app="cti")
    with pytest.raises(InvalidMediaRequest, match="Stasis application"):
        engine.snoop("agent", spy="both", app="")
