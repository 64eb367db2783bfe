"""Which application receives which event, per Asterisk 22's subscription rules (INDEX 26)."""

from __future__ import annotations

import json
from dataclasses import replace

from pbxsim.ari.routing import EventRouter
from pbxsim.engine import messages as m
from pbxsim.engine.model import (
    BridgeSnapshot,
    ChannelSnapshot,
    ChannelState,
    DialplanLocation,
    PartyId,
    PlaybackSnapshot,
)

T = 1_795_377_236.0


def channel(channel_id: str, name: str, state: ChannelState = ChannelState.UP) -> ChannelSnapshot:
    return ChannelSnapshot(
        id=channel_id,
        name=name,
        state=state,
        caller=PartyId(),
        connected=PartyId(),
        dialplan=DialplanLocation("stasis-in", "5550100", 2, "Stasis", "cti,inbound"),
        creation_time=T,
        linkedid=channel_id,
    )


BRIDGE = BridgeSnapshot("wire-acd", "simple_bridge", "mixing", "stasis", "Stasis", "", (), T)


def types_for(router: EventRouter, app: str, messages: list[m.EngineMessage]) -> list[tuple[str, str]]:
    seen = []
    for message in messages:
        for routed in router.route(message):
            if routed.application == app:
                body = json.loads(routed.event.render(app, "id"))
                subject = body.get("channel", body.get("peer", body.get("bridge", {})))
                seen.append((body["type"], subject.get("id", "")))
    return seen


def test_channel_that_entered_stasis_from_dialplan_gets_no_channel_destroyed() -> None:
    router = EventRouter()
    router.register("cti")
    inbound = channel("wire-in", "Local/5550100@stasis-in-000000da;2", ChannelState.RING)
    seen = types_for(
        router,
        "cti",
        [
            m.ChannelCreated(timestamp=T, channel=inbound),
            m.ChannelVarSet(timestamp=T, channel=inbound, variable="STASISSTATUS", value=""),
            m.StasisStarted(timestamp=T, app="cti", args=("inbound",), channel=inbound),
            m.ChannelHangupRequested(timestamp=T, channel=inbound, cause=32, soft=True),
            m.StasisEnded(timestamp=T, app="cti", channel=inbound),
            m.ChannelVarSet(timestamp=T, channel=inbound, variable="STASISSTATUS", value="SUCCESS"),
            m.ChannelEnded(timestamp=T, channel=inbound, cause=16, cause_txt="Normal Clearing"),
        ],
    )
    assert seen == [
        ("StasisStart", "wire-in"),
        ("ChannelHangupRequest", "wire-in"),
        ("StasisEnd", "wire-in"),
    ]


def test_channel_originated_with_app_is_followed_until_destroyed_with_its_second_half() -> None:
    router = EventRouter()
    router.register("cti")
    router.expect_originated("cti", ["wire-2001", "wire-2001-peer"])
    one = channel("wire-2001", "Local/2001@customers-000000fc;1", ChannelState.DOWN)
    two = channel("wire-2001-peer", "Local/2001@customers-000000fc;2", ChannelState.DOWN)
    seen = types_for(
        router,
        "cti",
        [
            m.ChannelCreated(timestamp=T, channel=one),
            m.ChannelCreated(timestamp=T, channel=two),
            m.ChannelVarSet(timestamp=T, channel=two, variable="CUSTOMER_TALK_SECS", value="10"),
            m.DialBegun(timestamp=T, caller=None, peer=one, dialstring="2001@customers"),
            m.DialStateChanged(timestamp=T, caller=None, peer=one, dialstatus="RINGING"),
            m.StasisStarted(timestamp=T, app="cti", args=("dialer",), channel=one),
            m.StasisEnded(timestamp=T, app="cti", channel=one),
            m.ChannelEnded(timestamp=T, channel=one, cause=16, cause_txt="Normal Clearing"),
            m.ChannelEnded(timestamp=T, channel=two, cause=16, cause_txt="Normal Clearing"),
        ],
    )
    assert seen == [
        ("ChannelVarset", "wire-2001-peer"),
        ("Dial", "wire-2001"),
        ("Dial", "wire-2001"),
        ("StasisStart", "wire-2001"),
        ("StasisEnd", "wire-2001"),
        ("ChannelDestroyed", "wire-2001"),
        ("ChannelDestroyed", "wire-2001-peer"),
    ]


def test_dial_state_changes_carry_the_dial_string_of_their_dial_begin() -> None:
    router = EventRouter()
    router.register("cti")
    router.expect_originated("cti", ["wire-a"])
    one = channel("wire-a", "Local/1001@agents-00000001;1")
    router.route(m.ChannelCreated(timestamp=T, channel=one))
    router.route(m.DialBegun(timestamp=T, caller=None, peer=one, dialstring="1001@agents"))
    [answered] = router.route(m.DialEnded(timestamp=T, caller=None, peer=one, dialstatus="ANSWER"))
    body = json.loads(answered.event.render("cti", "id"))
    assert (body["dialstatus"], body["dialstring"]) == ("ANSWER", "1001@agents")
    assert "caller" not in body


def test_app_follows_a_bridge_its_channel_entered_until_the_bridge_is_destroyed() -> None:
    router = EventRouter()
    router.register("cti")
    caller = channel("wire-caller", "Local/5550110@stasis-in-000000dc;2")
    in_bridge = replace(BRIDGE, channel_ids=("wire-caller",))
    seen = types_for(
        router,
        "cti",
        [
            m.BridgeCreated(timestamp=T, bridge=BRIDGE),
            m.StasisStarted(timestamp=T, app="cti", args=(), channel=caller),
            m.ChannelEnteredBridge(timestamp=T, bridge=in_bridge, channel=caller),
            m.ChannelLeftBridge(timestamp=T, bridge=BRIDGE, channel=caller),
            m.StasisEnded(timestamp=T, app="cti", channel=caller),
            m.BridgeDestroyed(timestamp=T, bridge=BRIDGE),
        ],
    )
    assert seen == [
        ("StasisStart", "wire-caller"),
        ("ChannelEnteredBridge", "wire-caller"),
        ("ChannelLeftBridge", "wire-caller"),
        ("StasisEnd", "wire-caller"),
        ("BridgeDestroyed", "wire-acd"),
    ]


def test_channel_created_reaches_only_subscribe_all_applications() -> None:
    router = EventRouter()
    router.register("cti")
    router.register("monitor", subscribe_all=True)
    created = m.ChannelCreated(timestamp=T, channel=channel("x", "Local/2001@customers-00000001;1"))
    assert [r.application for r in router.route(created)] == ["monitor"]


def test_playback_events_go_to_the_app_watching_the_target_channel() -> None:
    router = EventRouter()
    router.register("cti")
    router.register("other")
    inbound = channel("wire-in", "Local/5550100@stasis-in-000000da;2")
    router.route(m.StasisStarted(timestamp=T, app="cti", args=(), channel=inbound))
    playback = PlaybackSnapshot("pb", "sound:beep", "channel:wire-in", "en", "playing")
    routed = router.route(m.PlaybackStarted(timestamp=T, playback=playback))
    assert [r.application for r in routed] == ["cti"]


def test_dtmf_sent_by_the_channel_is_not_an_ari_event() -> None:
    router = EventRouter()
    router.register("cti", subscribe_all=True)
    leg = channel("wire-in", "Local/5550100@stasis-in-000000da;2")
    assert (
        router.route(m.DtmfEnded(timestamp=T, channel=leg, digit="1", duration_ms=100, direction="Sent"))
        == []
    )
    received = m.DtmfEnded(timestamp=T, channel=leg, digit="1", duration_ms=100, direction="Received")
    assert [r.event.type for r in router.route(received)] == ["ChannelDtmfReceived"]


def test_unregistered_application_receives_nothing() -> None:
    router = EventRouter()
    inbound = channel("wire-in", "Local/5550100@stasis-in-000000da;2")
    assert router.route(m.StasisStarted(timestamp=T, app="cti", args=(), channel=inbound)) == []
