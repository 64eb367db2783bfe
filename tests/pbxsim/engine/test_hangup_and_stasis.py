"""ARI hangups, Stasis entry/exit noise and which app owns a channel, as Asterisk 22 publishes them."""

from __future__ import annotations

import asyncio

import pytest

from pbxsim.engine import ChannelNotFound, Engine
from pbxsim.engine import messages as m
from pbxsim.engine.model import ChannelSnapshot
from tests.pbxsim.engine.conftest import Journal, app_originated_call, inbound_stasis_call


async def test_ari_delete_of_an_originated_stasis_channel_requests_soft_hangup_32_then_ends_stasis(
    engine: Engine, journal: Journal
) -> None:
    await app_originated_call(engine, journal, "agent")

    engine.hangup("agent", 16, soft_request=True)
    await journal.ended("agent")
    await journal.ended("agent-peer")

    after_stasis = journal.kinds("agent")[journal.kinds("agent").index("StasisStarted") + 1 :]
    assert after_stasis == ["HangupRequested(32, soft)", "StasisEnded", "STASISSTATUS=SUCCESS", "Ended(16)"]
    peer_end = journal.kinds("agent-peer")[-3:]
    assert peer_end == ["HangupRequested(16)", "HangupRequested(16, soft)", "Ended(16)"]


async def test_ari_delete_of_a_bridged_dialplan_stasis_channel_leaves_bridge_before_stasis_end(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "caller")
    bridge = engine.create_bridge("mixing", bridge_id="acd")
    engine.add_to_bridge(bridge.id, "caller")
    engine.bridge_moh_start(bridge.id)

    engine.hangup("caller", 17, soft_request=True)
    ended = await journal.ended("caller")

    tail = journal.kinds("caller")[journal.kinds("caller").index("HangupRequested(32, soft)") :]
    assert tail[:5] == [
        "HangupRequested(32, soft)",
        "BRIDGEPEER=",
        "ChannelLeftBridge",
        "StasisEnded",
        "STASISSTATUS=SUCCESS",
    ]
    assert ended.cause == 17
    assert engine.bridge("acd") is not None and engine.bridge("acd").channel_ids == ()  # type: ignore[union-attr]


async def test_ari_delete_works_on_a_channel_that_is_not_in_stasis(engine: Engine, journal: Journal) -> None:
    await engine.originate("Local/2001@customers", context="util", exten="wait", channel_id="plain")

    engine.hangup("plain", 16, soft_request=True)
    ended = await journal.ended("plain")

    kinds = journal.kinds("plain")
    assert kinds.index("HangupRequested(32, soft)") < kinds.index("Ended(16)")
    assert "StasisEnded" not in kinds
    assert ended.cause == 16


async def test_hangup_of_an_unknown_channel_names_it(engine: Engine) -> None:
    with pytest.raises(ChannelNotFound, match="nope"):
        engine.hangup("nope", 16, soft_request=True)


async def test_stasis_status_is_cleared_just_before_stasis_start_and_success_just_after_stasis_end(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "ivr")
    engine.continue_in_dialplan("ivr")
    await journal.wait_for(lambda msg: isinstance(msg, m.StasisEnded) and msg.channel.id == "ivr")

    kinds = journal.kinds("ivr")
    start, end = kinds.index("StasisStarted"), kinds.index("StasisEnded")
    assert kinds[start - 1] == "STASISSTATUS="
    assert kinds[end + 1] == "STASISSTATUS=SUCCESS"


async def test_both_local_halves_of_an_app_originate_belong_to_the_app_from_their_creation(
    engine: Engine, journal: Journal
) -> None:
    owners: dict[str, str | None] = {}

    def note_owner(message: m.EngineMessage) -> None:
        if isinstance(message, m.ChannelCreated):
            owners[message.channel.id] = engine.channel_app(message.channel.id)

    engine.subscribe(note_owner)
    engine.create_channel("Local/2001@customers", app="cti", channel_id="made", other_channel_id="made-peer")

    assert owners == {"made": "cti", "made-peer": "cti"}


async def test_a_dialplan_stasis_channel_belongs_to_the_app_only_while_in_stasis(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "inbound")
    assert engine.channel_app("inbound") == "cti"
    assert engine.channel_app("peer-inbound") is None

    engine.continue_in_dialplan("inbound")
    await journal.wait_for(lambda msg: isinstance(msg, m.StasisEnded) and msg.channel.id == "inbound")

    assert engine.channel_app("inbound") is None


async def test_originate_reports_the_first_half_as_soon_as_it_exists(
    engine: Engine, journal: Journal
) -> None:
    created: list[ChannelSnapshot] = []
    call = asyncio.create_task(
        engine.originate("Local/4001@customers", app="cti", channel_id="ringing", on_created=created.append)
    )
    await journal.wait_for(lambda msg: isinstance(msg, m.DialBegun))

    assert [c.id for c in created] == ["ringing"]
    assert created[0].name.endswith(";1")
    engine.hangup("ringing", 16, soft_request=True)
    await call
