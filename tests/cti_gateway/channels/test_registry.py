"""The channel registry, driven by the events of real Asterisk 22 sessions."""

from __future__ import annotations

import pytest

from adapters.asterisk.ami.protocol.frames import AmiFrameParser, AmiMessage, AmiMessageKind
from adapters.asterisk.ami.resync import build_snapshot
from cti_gateway.channels import ChannelRegistry
from cti_gateway.ports.pbx import ChannelSnapshot, PbxEvent, PbxSnapshot
from tests.support.wire import load_wire_scenario, wire_scenario_names


def _messages(scenario_name: str) -> list[AmiMessage]:
    received = load_wire_scenario(scenario_name).ami_received_bytes()
    return [m for m in AmiFrameParser().feed(received) if isinstance(m, AmiMessage)]


def _as_event(message: AmiMessage) -> PbxEvent:
    return PbxEvent("ami", message.name, message.fields)


def _spontaneous_events(messages: list[AmiMessage]) -> list[PbxEvent]:
    return [_as_event(m) for m in messages if m.kind is AmiMessageKind.EVENT and "EventList" not in m.fields]


def _list_items(messages: list[AmiMessage], name: str) -> list[AmiMessage]:
    return [m for m in messages if m.name == name]


@pytest.mark.parametrize("scenario_name", wire_scenario_names("ami_"))
def test_every_recorded_call_leaves_no_live_channel_behind(scenario_name: str) -> None:
    registry = ChannelRegistry()
    saw_channels = False
    for event in _spontaneous_events(_messages(scenario_name)):
        registry.apply(event)
        saw_channels = saw_channels or len(registry) > 0
    assert len(registry) == 0
    if scenario_name not in {"ami_login_ok_logoff", "ami_login_bad", "ami_errors"}:
        assert saw_channels


def test_registry_matches_what_core_show_channels_reports_at_the_same_moment() -> None:
    messages = _messages("ami_coreshowchannels_status")
    registry = ChannelRegistry()
    for message in messages:
        if message.kind is AmiMessageKind.RESPONSE and message.get("Message") == "Channels will follow":
            break
        if message.kind is AmiMessageKind.EVENT:
            registry.apply(_as_event(message))
    reported = build_snapshot(_list_items(messages, "CoreShowChannel"), [])

    assert len(reported.channels) == 6
    tracked = {c.unique_id: c.to_snapshot() for c in registry}
    assert tracked == {c.unique_id: c for c in reported.channels}


def test_answered_queue_call_shows_both_parties_bridged_with_their_caller_ids() -> None:
    registry = ChannelRegistry()
    for event in _spontaneous_events(_messages("ami_queue_call_answered")):
        registry.apply(event)
        if event.name == "BridgeEnter" and event.fields["BridgeNumChannels"] == "2":
            break
    caller = registry.by_name("Local/2001@customers-000000ae;1")
    assert caller is not None
    assert (caller.caller_number, caller.caller_name) == ("5551234", "Wire Caller")
    assert caller.state == "Up"
    agent = registry.get("1795377053.346")
    assert agent is not None
    assert agent.bridge_id == caller.bridge_id != ""
    assert (agent.caller_number, agent.connected_number, agent.connected_name) == (
        "sales",
        "5551234",
        "Wire Caller",
    )


def test_bridge_leave_clears_the_bridge() -> None:
    registry = ChannelRegistry()
    bridged_then_left = False
    for event in _spontaneous_events(_messages("ami_queue_call_answered")):
        registry.apply(event)
        if event.name == "BridgeLeave":
            channel = registry.get(event.fields["Uniqueid"])
            assert channel is None or channel.bridge_id == ""
            bridged_then_left = True
    assert bridged_then_left


def test_rename_changes_the_channel_name_but_keeps_its_identity() -> None:
    registry = ChannelRegistry()
    registry.apply(PbxEvent("ami", "Newchannel", {"Channel": "PJSIP/100-0001", "Uniqueid": "1.1"}))
    registry.apply(
        PbxEvent(
            "ami",
            "Rename",
            {"Channel": "PJSIP/100-0001", "Newname": "PJSIP/100-0001<ZOMBIE>", "Uniqueid": "1.1"},
        )
    )
    channel = registry.get("1.1")
    assert channel is not None
    assert channel.name == "PJSIP/100-0001<ZOMBIE>"


def test_events_for_a_hung_up_channel_do_not_bring_it_back() -> None:
    registry = ChannelRegistry()
    registry.apply(PbxEvent("ami", "Newchannel", {"Channel": "Local/1@a-1;1", "Uniqueid": "9.1"}))
    registry.apply(PbxEvent("ami", "Hangup", {"Channel": "Local/1@a-1;1", "Uniqueid": "9.1"}))
    registry.apply(PbxEvent("ami", "Newstate", {"Uniqueid": "9.1", "ChannelStateDesc": "Up"}))
    registry.apply(PbxEvent("ami", "BridgeEnter", {"Uniqueid": "9.1", "BridgeUniqueid": "b"}))
    assert "9.1" not in registry


def test_resync_drops_stale_channels_adds_missing_ones_and_refreshes_the_rest() -> None:
    messages = _messages("ami_coreshowchannels_status")
    reported = build_snapshot(_list_items(messages, "CoreShowChannel"), [])
    registry = ChannelRegistry()
    kept = reported.channels[0]
    registry.apply(PbxEvent("ami", "Newchannel", {"Channel": kept.name, "Uniqueid": kept.unique_id}))
    registry.apply(PbxEvent("ami", "Newchannel", {"Channel": "Local/9@gone-1;1", "Uniqueid": "stale.1"}))

    changes = registry.replace_with(reported)

    assert changes.dropped == ("stale.1",)
    assert set(changes.added) == {c.unique_id for c in reported.channels[1:]}
    assert "stale.1" not in registry
    refreshed = registry.get(kept.unique_id)
    assert refreshed is not None
    assert refreshed.to_snapshot() == kept


def test_an_empty_snapshot_empties_the_registry() -> None:
    registry = ChannelRegistry()
    registry.apply(PbxEvent("ami", "Newchannel", {"Channel": "Local/1@a-1;1", "Uniqueid": "9.1"}))
    changes = registry.replace_with(PbxSnapshot(source="ami", channels=()))
    assert changes.dropped == ("9.1",)
    assert len(registry) == 0


def test_a_registry_can_be_registered_directly_as_an_event_handler() -> None:
    registry = ChannelRegistry()
    handler = registry  # PbxLink.on_event takes any callable of PbxEvent
    handler(
        PbxEvent(
            "ami", "Newchannel", {"Channel": "Local/1@a-1;1", "Uniqueid": "9.1", "CallerIDNum": "<unknown>"}
        )
    )
    channel = registry.get("9.1")
    assert channel is not None
    assert channel.caller_number == ""
    assert isinstance(channel.to_snapshot(), ChannelSnapshot)
