"""BRIDGEPEER and connected-line noise of ARI mixing bridges (ari_bridge_agent, ari_record, snoop)."""

from __future__ import annotations

import re

from pbxsim.engine import Engine
from pbxsim.engine import messages as m
from pbxsim.engine.model import PartyId
from tests.pbxsim.engine.conftest import Journal, app_originated_call, inbound_stasis_call

CUSTOMER = PartyId("5551310", "Wire Caller")
AGENT = PartyId("1001", "Agent Smith")
ANNOUNCER = re.compile(r"^BRIDGEPEER=Announcer/ARI_MOH-[0-9a-f]{8};2$")
RECORDER = re.compile(r"^BRIDGEPEER=Recorder/ARI-[0-9a-f]{8};2$")


def _since(kinds: list[str], marker: str) -> list[str]:
    return kinds[len(kinds) - kinds[::-1].index(marker) - 1 :]


async def test_two_parties_get_each_others_name_and_the_caller_gets_the_agent_as_connected_line(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "caller", caller_id=CUSTOMER)
    await app_originated_call(engine, journal, "agent", caller_id=AGENT)
    caller = engine.channel("caller")
    agent = engine.channel("agent")
    assert caller is not None and agent is not None
    bridge = engine.create_bridge("mixing", bridge_id="acd")
    engine.add_to_bridge(bridge.id, "caller")
    assert _since(journal.kinds("caller"), "ChannelEnteredBridge") == ["ChannelEnteredBridge"]

    engine.add_to_bridge(bridge.id, "agent")

    assert _since(journal.kinds("caller"), "ChannelEnteredBridge") == [
        "ChannelEnteredBridge",
        f"BRIDGEPEER={agent.name}",
        "ChannelConnectedLineChanged",
    ]
    assert _since(journal.kinds("agent"), "ChannelEnteredBridge")[:2] == [
        "ChannelEnteredBridge",
        f"BRIDGEPEER={caller.name}",
    ]
    assert engine.channel("caller").connected == agent.caller  # type: ignore[union-attr]


async def test_a_new_connected_line_on_a_local_half_becomes_its_peers_caller_id(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "caller", caller_id=CUSTOMER)
    await app_originated_call(engine, journal, "agent", caller_id=AGENT)
    bridge = engine.create_bridge("mixing")
    engine.add_to_bridge(bridge.id, "caller")
    engine.add_to_bridge(bridge.id, "agent")

    agent_connected = engine.channel("agent").connected  # type: ignore[union-attr]
    assert engine.channel("agent-peer").caller == agent_connected  # type: ignore[union-attr]
    assert "ChannelCallerIdChanged" in journal.kinds("agent-peer")


async def test_the_leaving_channel_clears_its_bridgepeer_and_the_one_left_alone_keeps_it(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "caller", caller_id=CUSTOMER)
    await app_originated_call(engine, journal, "agent", caller_id=AGENT)
    bridge = engine.create_bridge("mixing")
    engine.add_to_bridge(bridge.id, "caller")
    engine.add_to_bridge(bridge.id, "agent")
    caller_before = journal.kinds("caller")

    engine.remove_from_bridge(bridge.id, "agent")

    assert _since(journal.kinds("agent"), "BRIDGEPEER=") == ["BRIDGEPEER=", "ChannelLeftBridge"]
    assert journal.kinds("caller") == caller_before


async def test_bridge_music_on_hold_makes_the_announcer_the_lone_callers_peer(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "caller", caller_id=CUSTOMER)
    bridge = engine.create_bridge("mixing")
    engine.add_to_bridge(bridge.id, "caller")

    engine.bridge_moh_start(bridge.id)
    kinds = _since(journal.kinds("caller"), "ChannelEnteredBridge")
    engine.bridge_moh_stop(bridge.id)

    assert ANNOUNCER.match(kinds[1]), kinds
    assert kinds[2:] == ["ChannelConnectedLineChanged"]
    assert _since(journal.kinds("caller"), "ChannelEnteredBridge") == kinds  # stopping MOH publishes nothing
    caller_pair = journal.about("caller")[0]
    assert isinstance(caller_pair, m.ChannelCreated)
    local_sequence = int(caller_pair.channel.name.split("-")[-1].split(";")[0], 16)
    assert kinds[1].endswith(f"-{local_sequence + 1:08x};2")  # Local and Announcer share one sequence


async def test_a_bridge_recording_joins_a_recorder_party_before_recording_starts(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "rec")
    bridge = engine.create_bridge("mixing")
    engine.add_to_bridge(bridge.id, "rec")

    engine.record(f"bridge:{bridge.id}", "bridge-rec", if_exists="overwrite")

    assert RECORDER.match(journal.kinds("rec")[-1])
    last_varset = max(i for i, msg in enumerate(journal.messages) if isinstance(msg, m.ChannelVarSet))
    assert isinstance(journal.messages[last_varset + 1], m.RecordingStarted)


async def test_dialplan_bridges_are_left_to_the_dialplan(engine: Engine, journal: Journal) -> None:
    await inbound_stasis_call(engine, journal, "caller", caller_id=CUSTOMER)
    holding = engine.create_bridge("holding")
    engine.add_to_bridge(holding.id, "caller")
    engine.bridge_moh_start(holding.id)

    assert not any(k.startswith("BRIDGEPEER") for k in journal.kinds("caller"))


async def test_destroying_a_recorded_bridge_finishes_the_recording_without_peer_noise(
    engine: Engine, journal: Journal
) -> None:
    await inbound_stasis_call(engine, journal, "caller", caller_id=CUSTOMER)
    await app_originated_call(engine, journal, "agent", caller_id=AGENT)
    bridge = engine.create_bridge("mixing")
    engine.add_to_bridge(bridge.id, "caller")
    engine.add_to_bridge(bridge.id, "agent")
    engine.record(f"bridge:{bridge.id}", "call-rec")
    varsets_before = sum(isinstance(msg, m.ChannelVarSet) for msg in journal.messages)

    engine.destroy_bridge(bridge.id)

    finished = [msg for msg in journal.messages if isinstance(msg, m.RecordingFinished)]
    assert [msg.recording.name for msg in finished] == ["call-rec"]
    new_varsets = [msg for msg in journal.messages if isinstance(msg, m.ChannelVarSet)][varsets_before:]
    assert [(msg.variable, msg.value) for msg in new_varsets] == [("BRIDGEPEER", ""), ("BRIDGEPEER", "")]
