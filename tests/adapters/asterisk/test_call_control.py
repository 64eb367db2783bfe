"""`AsteriskCallControl` against a live PBX over AMI, and its action choices against real Asterisk traffic.

The live tests run against pbxsim and, when `CTI_TEST_ASTERISK_CONTROL` is set, the real Asterisk 22.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest

from adapters.asterisk.call_control import AsteriskCallControl, DialplanSettings, agent_extension
from adapters.asterisk.call_control import actions as ami_actions
from cti_gateway.call_control.destinations import Destination
from cti_gateway.call_control.errors import OriginateFailed, PbxRefused
from cti_gateway.call_control.port import OriginatedLeg, OriginateRequest
from cti_gateway.calls.model import MonitorMode
from cti_gateway.ports.pbx import PbxEvent
from tests.adapters.asterisk.conftest import LinkObserver, LivePbx, running
from tests.support.wire import load_wire_scenario

CUSTOMER = Destination("extension", "2001")
LONG_CALL = (("__CUSTOMER_TALK_SECS", "600"), ("__AGENT_TALK_SECS", "600"))


def _sent_actions(scenario: str, action: str) -> list[dict[str, str]]:
    """The headers of every `action` the recorder sent in a wire scenario."""
    found = []
    for frame in load_wire_scenario(scenario).frames_of("ami", "send"):
        headers = dict(re.findall(r"^([^:\r\n]+): ?(.*?)\r$", frame.data, flags=re.MULTILINE))
        if headers.get("Action") == action:
            found.append(headers)
    return found


def _click_to_call(correlation_id: str | None = None) -> OriginateRequest:
    return OriginateRequest(
        endpoint="Local/1001@agents",
        destination=CUSTOMER,
        correlation_id=correlation_id or uuid.uuid4().hex,
        channel_variables=LONG_CALL,
    )


def _about(name: str, channel_prefix: str) -> Callable[[PbxEvent], bool]:
    def matches(event: PbxEvent) -> bool:
        return event.name == name and str(event.fields.get("Channel", "")).startswith(channel_prefix)

    return matches


# --- the actions chosen, compared with what the reference recordings sent -----------------------


def test_click_to_call_is_the_originate_of_the_reference_click_to_dial() -> None:
    recorded = _sent_actions("ami_chanspy", "Originate")[0]
    action = ami_actions.originate(_click_to_call("c1"), DialplanSettings())

    assert action.name == "Originate"
    for header in ("Channel", "Context", "Exten", "Priority", "Async"):
        assert str(action.fields[header]) == recorded[header]
    assert "CTI_ORIGINATE_ID=c1" in action.fields["Variable"]  # type: ignore[operator]


def test_blind_transfer_uses_the_recorded_blindtransfer_headers() -> None:
    recorded = _sent_actions("ami_blindtransfer", "BlindTransfer")[0]
    action = ami_actions.blind_transfer(
        recorded["Channel"], Destination("extension", recorded["Exten"]), DialplanSettings("queue-in")
    )

    assert action.name == "BlindTransfer"
    assert {k: str(v) for k, v in action.fields.items()} == {
        "Channel": recorded["Channel"],
        "Context": recorded["Context"],
        "Exten": recorded["Exten"],
    }


def test_hold_parks_the_partner_as_the_recorded_park_did() -> None:
    recorded = _sent_actions("ami_hold_moh", "Park")[0]
    action = ami_actions.park(recorded["Channel"], recorded["TimeoutChannel"])

    assert (action.name, dict(action.fields)) == (
        "Park",
        {"Channel": recorded["Channel"], "TimeoutChannel": recorded["TimeoutChannel"]},
    )


def test_attended_transfer_and_its_cancel_use_the_recorded_atxfer_actions() -> None:
    atxfer = _sent_actions("ami_atxfer_abort", "Atxfer")[0]
    cancel = _sent_actions("ami_atxfer_abort", "CancelAtxfer")[0]

    start = ami_actions.attended_transfer(
        atxfer["Channel"], Destination("extension", atxfer["Exten"]), DialplanSettings(atxfer["Context"])
    )
    stop = ami_actions.cancel_attended_transfer(cancel["Channel"])

    assert {k: str(v) for k, v in start.fields.items()} == {
        "Channel": atxfer["Channel"],
        "Context": atxfer["Context"],
        "Exten": atxfer["Exten"],
    }
    assert (stop.name, dict(stop.fields)) == ("CancelAtxfer", {"Channel": cancel["Channel"]})


@pytest.mark.parametrize(("mode", "options"), [(MonitorMode.WHISPER, "qwE"), (MonitorMode.BARGE, "qBE")])
def test_monitor_originates_chanspy_with_the_recorded_options(mode: MonitorMode, options: str) -> None:
    recorded = next(
        a for a in _sent_actions("ami_chanspy", "Originate") if a.get("Data", "").endswith(f",{options}")
    )
    spied = recorded["Data"].split(",")[0]
    action = ami_actions.spy(spied, recorded["Channel"], mode)

    assert action.fields["Application"] == "ChanSpy"
    assert action.fields["Data"] == recorded["Data"]
    assert action.fields["Channel"] == recorded["Channel"]


def test_a_channel_name_that_would_split_chanspy_arguments_is_refused() -> None:
    with pytest.raises(ami_actions.UnusableChannelName):
        ami_actions.spy("PJSIP/evil,B", "Local/2901@customers", MonitorMode.LISTEN)


def test_recording_uses_mixmonitor_and_pause_mutes_both_directions_as_recorded() -> None:
    start = _sent_actions("ami_mixmonitor", "MixMonitor")[0]
    mute = _sent_actions("ami_mixmonitor", "MixMonitorMute")[0]

    action = ami_actions.start_recording(start["Channel"], "wire-mixmon", DialplanSettings())
    pause = ami_actions.mute_recording(mute["Channel"], muted=True)

    assert (action.name, action.fields["File"]) == ("MixMonitor", start["File"])
    assert {k: str(v) for k, v in pause.fields.items()} == {
        "Channel": mute["Channel"],
        "Direction": mute["Direction"],
        "State": mute["State"],
    }


def test_a_swap_feeds_the_atxferswap_digits_to_the_transferer_as_received_dtmf() -> None:
    swap = [
        ami_actions.swap_digit("Local/1001@agents-00000001;1", d)
        for d in DialplanSettings().atxfer_swap_digits
    ]

    assert [(a.name, a.fields["Digit"], a.fields["Receive"]) for a in swap] == [
        ("PlayDTMF", "*", "true"),
        ("PlayDTMF", "4", "true"),
    ]


def test_a_conference_moves_a_bridged_pair_with_one_dual_redirect_and_rings_the_new_party() -> None:
    dialplan = DialplanSettings()
    moves = ami_actions.redirect_to_conference(["A;1", "B;1", "C;1"], "cti42", dialplan)
    ring = ami_actions.ring_into_conference(Destination("e164", "+34911234567"), "cti42", dialplan)

    assert [dict(a.fields) for a in moves] == [
        {
            "Channel": "A;1",
            "Context": "conf",
            "Exten": "roomcti42",
            "Priority": 1,
            "ExtraChannel": "B;1",
            "ExtraContext": "conf",
            "ExtraExten": "roomcti42",
            "ExtraPriority": 1,
        },
        {"Channel": "C;1", "Context": "conf", "Exten": "roomcti42", "Priority": 1},
    ]
    assert (ring.fields["Channel"], ring.fields["Exten"]) == ("Local/34911234567@dial-out", "roomcti42")


def test_mute_is_muteaudio_on_what_the_phone_says() -> None:
    assert dict(ami_actions.mute_audio("X;1", muted=True).fields) == {
        "Channel": "X;1",
        "Direction": "in",
        "State": "on",
    }
    assert ami_actions.mute_audio("X;1", muted=False).fields["State"] == "off"


def test_e164_numbers_are_dialled_with_the_configured_prefix_instead_of_plus() -> None:
    number = Destination("e164", "+34911234567")

    assert DialplanSettings().extension_for(number) == "34911234567"
    assert DialplanSettings(e164_prefix="00").extension_for(number) == "0034911234567"
    assert DialplanSettings(e164_prefix="+").extension_for(number) == "+34911234567"
    assert DialplanSettings().extension_for(CUSTOMER) == "2001"


def test_an_agent_is_rung_again_on_the_extension_of_its_endpoint() -> None:
    assert agent_extension("Local/1001@agents") == "1001"
    assert agent_extension("PJSIP/1002") == "1002"


# --- live: pbxsim and, when configured, the real Asterisk 22 ------------------------------------


async def _connected_call(
    live_pbx: LivePbx, control: AsteriskCallControl, observer: LinkObserver
) -> tuple[OriginatedLeg, str]:
    """Click-to-call 1001 → 2001 until both are bridged; returns the agent leg and the customer channel."""
    leg = await control.originate(_click_to_call())
    await observer.event(_about("BridgeEnter", "Local/2001@customers-"), live_pbx.seconds(8) + 2, "bridged")
    customer = next(
        str(e.fields["Channel"]) for e in observer.events if _about("BridgeEnter", "Local/2001@customers-")(e)
    )
    return leg, customer


async def test_originate_returns_the_agent_leg_as_soon_as_asterisk_creates_it(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    control = AsteriskCallControl(client)
    async with running(client):
        leg = await control.originate(_click_to_call())

        assert re.fullmatch(r"Local/1001@agents-[0-9a-f]{8};1", leg.channel)
        assert leg.linked_id == leg.unique_id
        created = await observer.event(_about("Newchannel", leg.channel), 2, "Newchannel of the agent leg")
        assert created.fields["Uniqueid"] == leg.unique_id
        await control.hang_up(leg.channel)
        hangup = await observer.event(_about("Hangup", leg.channel), 5, "agent leg hung up")
        assert hangup.fields["Uniqueid"] == leg.unique_id


async def test_an_originate_asterisk_refuses_raises_instead_of_waiting(live_pbx: LivePbx) -> None:
    # A channel technology Asterisk lacks fails before any channel exists (OriginateResponse Failure).
    # (`Local/nowhere` would not do: Asterisk creates the Local pair first and fails it afterwards.)
    client = live_pbx.ami_client()
    control = AsteriskCallControl(client, originate_wait_seconds=3)
    async with running(client):
        request = OriginateRequest("Bogus/nowhere", CUSTOMER, uuid.uuid4().hex)
        with pytest.raises((OriginateFailed, PbxRefused)):
            await control.originate(request)


async def test_hanging_up_a_channel_that_is_gone_is_refused_by_asterisk(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client()
    control = AsteriskCallControl(client)
    async with running(client):
        with pytest.raises(PbxRefused, match="No such channel"):
            await control.hang_up("Local/1001@agents-deadbeef;1")


async def test_blind_transfer_sends_the_customer_to_another_agent(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    control = AsteriskCallControl(client)
    async with running(client):
        leg, customer = await _connected_call(live_pbx, control, observer)

        await control.blind_transfer(leg.channel, Destination("extension", "1002"))

        transfer = await observer.event(lambda e: e.name == "BlindTransfer", 5, "BlindTransfer event")
        assert transfer.fields["TransfererChannel"] == leg.channel
        assert transfer.fields["Extension"] == "1002"
        await observer.event(_about("Hangup", leg.channel), 5, "transferer hung up")
        dial = await observer.event(
            lambda e: (
                e.name == "DialBegin" and str(e.fields.get("DestChannel", "")).startswith("Local/1002@")
            ),
            5,
            "agent 1002 rung",
        )
        assert dial.fields["Channel"] == customer
        await _customer_hangs_up_last(control, observer, customer)


async def _customer_hangs_up_last(
    control: AsteriskCallControl, observer: LinkObserver, customer: str
) -> None:
    """After a transfer or retrieve the customer's Local pair is still up; its hangup ends both halves."""
    await observer.event(
        lambda e: e.name == "BridgeEnter" and e.fields.get("Channel") == customer, 5, "customer bridged again"
    )
    assert not any(_about("Hangup", customer.removesuffix(";1"))(e) for e in observer.events)

    await control.hang_up(customer)

    await observer.event(_about("Hangup", customer), 5, "customer ;1 hung up")
    await observer.event(_about("Hangup", customer.removesuffix("1") + "2"), 5, "customer ;2 hung up")


async def test_hold_parks_the_customer_and_retrieve_rings_the_agent_again(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    control = AsteriskCallControl(client)
    async with running(client):
        leg, customer = await _connected_call(live_pbx, control, observer)

        await control.hold(customer, leg.channel)
        parked = await observer.event(lambda e: e.name == "ParkedCall", 5, "ParkedCall")
        assert parked.fields["ParkeeChannel"] == customer
        await observer.event(_about("MusicOnHoldStart", customer), 5, "music on hold for the customer")

        await control.retrieve(customer, "Local/1001@agents")
        await observer.event(_about("MusicOnHoldStop", customer), 5, "music stops")
        await observer.until(
            lambda: sum(1 for e in observer.events if _about("Newchannel", "Local/1001@agents-")(e)) >= 4,
            5,
            "agent 1001 rung again",
        )
        await observer.event(
            lambda e: (
                e.name == "DialBegin"
                and e.fields.get("Channel") == customer
                and str(e.fields.get("DestChannel", "")).startswith("Local/1001@")
            ),
            5,
            "the parked customer dials agent 1001",
        )
        await _customer_hangs_up_last(control, observer, customer)


async def test_dtmf_is_played_digit_by_digit_towards_the_customer(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    control = AsteriskCallControl(client)
    async with running(client):
        leg, customer = await _connected_call(live_pbx, control, observer)

        await control.send_dtmf(customer, "1#")

        await observer.until(
            lambda: (
                [e.fields.get("Digit") for e in observer.events if e.name == "DTMFEnd"][-2:] == ["1", "#"]
            ),
            5,
            "DTMFEnd 1 then #",
        )
        await control.hang_up(leg.channel)
