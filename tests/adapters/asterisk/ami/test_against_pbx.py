"""`AmiClient` over a real TCP socket against a live PBX: pbxsim, and the real Asterisk 22 when configured.

Each test states one behaviour of real Asterisk 22.10.1 (see `../shared/asterisk/transcripts/wire/INDEX.md`)
that the client must cope with; pbxsim must show the same behaviour.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable

import pytest

from adapters.asterisk.ami import AmiActionFailed, AmiHeaderInjection, AmiLoginFailed
from cti_gateway.ports.pbx import LinkState, PbxEvent
from tests.adapters.asterisk.conftest import (
    AMI_PROTOCOL_VERSION,
    ASTERISK_VERSION,
    LinkObserver,
    LivePbx,
    running,
)

LONG_CUSTOMER_CALL = {
    "Channel": "Local/2001@customers",
    "Context": "util",
    "Exten": "wait",
    "Priority": "1",
    "Variable": "CUSTOMER_TALK_SECS=600",
}
"""Customer 2001 answers after CUSTOMER_RING_SECS (2 s) and, with this variable, stays on the line."""


def is_channel_event(name: str, prefix: str) -> Callable[[PbxEvent], bool]:
    """A predicate: event `name` about a channel whose name starts with `prefix`."""

    def matches(event: PbxEvent) -> bool:
        return event.name == name and str(event.fields.get("Channel", "")).startswith(prefix)

    return matches


async def test_client_logs_in_and_reports_up_with_asterisk_version_and_ami_protocol(
    live_pbx: LivePbx,
) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    async with running(client):
        assert client.status.state is LinkState.UP
        assert client.status.server_version == ASTERISK_VERSION
        assert client.protocol_version == AMI_PROTOCOL_VERSION
        assert observer.states()[:2] == [LinkState.CONNECTING, LinkState.UP]
        pong = await client.send_action("Ping")
        assert pong.get("Ping") == "Pong"
        assert pong.get("Timestamp")
    assert observer.statuses[-1].state is LinkState.DOWN


async def test_login_is_followed_by_fully_booted_then_successful_auth(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    async with running(client):
        await observer.until(lambda: len(observer.events) >= 2, 5.0, "the first two events")
    first, second = observer.events[:2]
    assert (first.name, second.name) == ("FullyBooted", "SuccessfulAuth")
    assert first.fields["Status"] == "Fully Booted"
    assert "Timestamp" not in first.fields  # although timestampevents=yes (wire INDEX item 1)
    assert second.fields["AccountID"] == "cti"
    assert second.fields["Service"] == "AMI"


async def test_wrong_secret_raises_login_failed_not_connection_lost(live_pbx: LivePbx) -> None:
    # Asterisk answers a bad secret about 1 s late with "Authentication failed", then closes the socket.
    client = live_pbx.ami_client(secret="not-the-secret")
    await client.start()
    try:
        with pytest.raises(
            AmiLoginFailed, match=r"refused the AMI login of user 'cti': Authentication failed"
        ):
            await asyncio.wait_for(client.wait_until_up(), 10.0)
        assert client.status.state is not LinkState.UP
        assert "Authentication failed" in client.status.detail
    finally:
        await client.stop()
    assert client.status.detail == "stopped"


async def test_other_sessions_see_invalid_password_for_a_refused_login(live_pbx: LivePbx) -> None:
    watcher = live_pbx.ami_client()
    observer = LinkObserver().attach(watcher)
    async with running(watcher):
        intruder = live_pbx.ami_client(secret="not-the-secret")
        await intruder.start()
        try:
            with pytest.raises(AmiLoginFailed):
                await asyncio.wait_for(intruder.wait_until_up(), 10.0)
        finally:
            await intruder.stop()
        event = await observer.event(
            lambda e: e.name == "InvalidPassword", 5.0, "InvalidPassword security event"
        )
    assert event.fields["AccountID"] == "cti"
    assert event.fields["Service"] == "AMI"


@pytest.mark.parametrize(
    "forged_value",
    ["x\r\nUserEvent: Forged", "x\nAction: Hangup", "x\rAction: Hangup", "x\x00Forged"],
    ids=["crlf", "lf", "cr", "nul"],
)
async def test_control_characters_in_a_value_raise_header_injection_and_nothing_reaches_asterisk(
    live_pbx: LivePbx, forged_value: str
) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    marker = f"CtiProbe{uuid.uuid4().hex[:8]}"
    async with running(client):
        with pytest.raises(AmiHeaderInjection, match="header 'Note'"):
            await client.send_action("UserEvent", UserEvent=f"{marker}Forged", Note=forged_value)
        # The next, clean UserEvent is the fence: everything sent before it has been seen by now.
        response = await client.send_action("UserEvent", UserEvent=f"{marker}Clean", Note="ok")
        assert response.name == "Success"
        await observer.event(
            lambda e: e.name == "UserEvent" and e.fields.get("UserEvent") == f"{marker}Clean",
            5.0,
            "the clean UserEvent",
        )
        user_events = [e.fields.get("UserEvent") for e in observer.events if e.name == "UserEvent"]
        assert user_events == [f"{marker}Clean"]
        assert (await client.send_action("Ping")).get("Ping") == "Pong"
        assert client.connections_made == 1


async def test_user_event_keeps_repeated_custom_headers_in_order(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    marker = f"CtiOrder{uuid.uuid4().hex[:8]}"
    async with running(client):
        await client.send_action("UserEvent", UserEvent=marker, Skill=["sales", "support"])
        event = await observer.event(
            lambda e: e.name == "UserEvent" and e.fields.get("UserEvent") == marker, 5.0, "UserEvent"
        )
    assert event.fields["Skill"] == ["sales", "support"]


async def test_queue_status_lists_sales_members_with_their_penalties_and_the_complete_event(
    live_pbx: LivePbx,
) -> None:
    client = live_pbx.ami_client()
    async with running(client):
        reply = await client.send_list_action("QueueStatus", Queue="sales")

    assert reply.response.name == "Success"
    assert reply.response.get("EventList") == "start"
    assert [e.name for e in reply.events if e.name == "QueueParams"] == ["QueueParams"]
    params = next(e for e in reply.events if e.name == "QueueParams")
    assert params.get("Queue") == "sales"
    members = {str(e.get("Location")): e for e in reply.events if e.name == "QueueMember"}
    assert sorted(members) == ["Local/1001@agents/n", "Local/1002@agents/n", "Local/1003@agents/n"]
    assert {location: m.get("Penalty") for location, m in members.items()} == {
        "Local/1001@agents/n": "0",
        "Local/1002@agents/n": "0",
        "Local/1003@agents/n": "1",
    }
    assert members["Local/1003@agents/n"].get("StateInterface") == "Local/1003@agents"
    assert reply.complete is not None
    assert reply.complete.name == "QueueStatusComplete"
    assert reply.complete.get("EventList") == "Complete"
    assert reply.complete.get("ListItems") == str(len(reply.events))


async def test_core_show_channels_during_a_call_lists_both_local_halves_and_completes(
    live_pbx: LivePbx,
) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    async with running(client):
        await client.send_action("Originate", **LONG_CUSTOMER_CALL, Async="true")
        await observer.event(
            lambda e: e.name == "OriginateResponse", live_pbx.seconds(2.0) + 10.0, "OriginateResponse"
        )
        reply = await client.send_list_action("CoreShowChannels")

    ours = sorted(
        str(e.get("Channel"))
        for e in reply.events
        if str(e.get("Channel")).startswith("Local/2001@customers-")
    )
    assert len(ours) == 2
    assert ours[0].endswith(";1")
    assert ours[1].endswith(";2")
    first_half = next(e for e in reply.events if e.get("Channel") == ours[0])
    assert first_half.name == "CoreShowChannel"
    assert first_half.get("ChannelStateDesc") == "Up"
    assert (first_half.get("Context"), first_half.get("Exten"), first_half.get("Application")) == (
        "util",
        "wait",
        "Wait",
    )
    assert first_half.get("Uniqueid")
    assert first_half.get("Linkedid")
    assert reply.complete is not None
    assert reply.complete.name == "CoreShowChannelsComplete"
    assert reply.complete.get("ListItems") == str(len(reply.events))
    assert not any(e.name == "CoreShowChannel" for e in observer.events), "list items leaked as events"


@pytest.mark.parametrize(
    ("customer", "reason"),
    [("2001", "4"), ("3001", "5"), ("5001", "8"), ("0001", "0")],
    ids=["answered-reason-4", "busy-reason-5", "congestion-reason-8", "unallocated-reason-0"],
)
async def test_async_originate_reports_the_dialer_outcome_in_originate_response(
    live_pbx: LivePbx, customer: str, reason: str
) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    async with running(client):
        response = await client.send_action(
            "Originate",
            Channel=f"Local/{customer}@customers",
            Context="util",
            Exten="wait",
            Priority="1",
            CallerID="Dialer <700>",
            Timeout="10000",
            Async="true",
        )
        assert response.get("Message") == "Originate successfully queued"
        action_id = response.get("ActionID")
        outcome = await observer.event(
            lambda e: e.name == "OriginateResponse" and e.fields.get("ActionID") == action_id,
            live_pbx.seconds(2.0) + 10.0,
            f"OriginateResponse for {customer}",
        )

    assert outcome.fields["Reason"] == reason
    if reason == "4":
        assert outcome.fields["Response"] == "Success"
        assert str(outcome.fields["Channel"]).startswith(f"Local/{customer}@customers-")
        assert outcome.fields["Uniqueid"] != "<unknown>"
    else:
        assert outcome.fields["Response"] == "Failure"
        assert outcome.fields["Channel"] == f"Local/{customer}@customers"  # as requested, no suffix
        assert outcome.fields["Uniqueid"] == "<unknown>"


async def test_synchronous_originate_answers_after_the_call_is_answered_and_the_session_goes_on(
    live_pbx: LivePbx,
) -> None:
    # Short pings: the client must not take the silence of a blocked session for a dead server.
    answer_after = live_pbx.seconds(2.0)
    client = live_pbx.ami_client(ping_interval=answer_after / 4, ping_timeout=answer_after / 4)
    observer = LinkObserver().attach(client)
    async with running(client):
        sent_at = time.monotonic()
        response = await client.send_action("Originate", **LONG_CUSTOMER_CALL, Timeout="10000")
        answered_after = time.monotonic() - sent_at

        assert response.name == "Success"
        assert response.get("Message") == "Originate successfully queued"
        assert answered_after >= 0.8 * answer_after
        newchannel = await observer.event(
            is_channel_event("Newchannel", "Local/2001@customers-"), 5.0, "Newchannel of the call"
        )
        # Asterisk holds the session's events back until the synchronous Originate is answered.
        assert observer.arrivals[observer.events.index(newchannel)] - sent_at >= 0.8 * answer_after
        assert (await client.send_action("Ping")).get("Ping") == "Pong"
        status = await client.send_action("CoreStatus")
        assert int(str(status.get("CoreCurrentCalls"))) >= 1
        assert client.connections_made == 1
        assert client.status.state is LinkState.UP


async def test_synchronous_originate_to_a_busy_customer_fails_with_originate_failed(
    live_pbx: LivePbx,
) -> None:
    client = live_pbx.ami_client()
    async with running(client):
        with pytest.raises(AmiActionFailed, match="Originate failed"):
            await client.send_action(
                "Originate",
                Channel="Local/3001@customers",
                Context="util",
                Exten="wait",
                Priority="1",
                Timeout="10000",
            )
        assert (await client.send_action("Ping")).get("Ping") == "Pong"


async def test_resync_snapshot_after_connect_lists_live_channels_and_sales_queue_members(
    live_pbx: LivePbx,
) -> None:
    dialer = live_pbx.ami_client()
    dialer_events = LinkObserver().attach(dialer)
    async with running(dialer):
        await dialer.send_action("Originate", **LONG_CUSTOMER_CALL, Async="true")
        answered = await dialer_events.event(
            lambda e: e.name == "OriginateResponse", live_pbx.seconds(2.0) + 10.0, "OriginateResponse"
        )
        assert answered.fields["Reason"] == "4"

        client = live_pbx.ami_client()
        observer = LinkObserver().attach(client)
        async with running(client):
            await observer.until(lambda: bool(observer.snapshots), 5.0, "resync snapshot")

    snapshot = observer.snapshots[0]
    assert snapshot.source == "ami"
    call = [c for c in snapshot.channels if c.name.startswith("Local/2001@customers-")]
    assert sorted(c.name[-2:] for c in call) == [";1", ";2"]
    assert all(c.state == "Up" and c.unique_id for c in call)
    first_half = next(c for c in call if c.name.endswith(";1"))
    assert (first_half.context, first_half.extension, first_half.application) == ("util", "wait", "Wait")
    assert first_half.unique_id == answered.fields["Uniqueid"]
    sales = sorted(
        (m.interface, m.state_interface, m.penalty) for m in snapshot.queue_members if m.queue == "sales"
    )
    assert sales == [
        ("Local/1001@agents/n", "Local/1001@agents", 0),
        ("Local/1002@agents/n", "Local/1002@agents", 0),
        ("Local/1003@agents/n", "Local/1003@agents", 1),
    ]
    assert {m.queue for m in snapshot.queue_members} >= {"sales", "support", "noanswer"}


async def test_keepalive_ping_detects_a_hung_server_and_the_client_reconnects_once_it_answers(
    live_pbx: LivePbx,
) -> None:
    client = live_pbx.ami_client(ping_interval=0.3, ping_timeout=0.5, login_timeout=1.0, connect_timeout=1.0)
    observer = LinkObserver().attach(client)
    async with running(client):
        await observer.until(lambda: len(observer.snapshots) == 1, 5.0, "first snapshot")
        with live_pbx.frozen():  # socket open, nobody answering
            await observer.until(
                lambda: client.status.state is not LinkState.UP, 5.0, "link leaving UP on a missed Pong"
            )
            assert any("no Pong" in s.detail for s in observer.statuses if s.state is LinkState.DOWN)
        await observer.until(lambda: client.status.state is LinkState.UP, 20.0, "link UP again")
        await observer.until(lambda: len(observer.snapshots) >= 2, 5.0, "resync after reconnecting")
        assert client.connections_made >= 2
        assert (await client.send_action("Ping")).get("Ping") == "Pong"


async def test_client_notices_a_killed_server_and_logs_in_again_when_it_returns(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client(ping_interval=0.5, ping_timeout=1.0)
    observer = LinkObserver().attach(client)
    async with running(client):
        await observer.until(lambda: len(observer.snapshots) == 1, 5.0, "first snapshot")
        live_pbx.kill()
        await observer.until(lambda: client.status.state is LinkState.DOWN, 5.0, "link DOWN after the kill")
        live_pbx.start()
        await observer.until(lambda: client.status.state is LinkState.UP, 20.0, "link UP again")
        await observer.until(lambda: len(observer.snapshots) >= 2, 5.0, "resync after reconnecting")
        assert client.status.server_version == ASTERISK_VERSION
        assert (await client.send_action("Ping")).get("Ping") == "Pong"
    states = observer.states()
    assert states[:2] == [LinkState.CONNECTING, LinkState.UP]
    assert LinkState.DOWN in states[2:]
    assert states.index(LinkState.UP, 2) > states.index(LinkState.DOWN, 2)


@pytest.mark.parametrize(
    ("action", "fields", "message"),
    [
        ("FooBarAction", {}, "Invalid/unknown command: FooBarAction."),
        ("Hangup", {"Channel": "Local/9999@nowhere-00000000;1"}, "No such channel"),
        ("Originate", {"Context": "util", "Exten": "wait", "Priority": "1"}, "Channel not specified"),
        ("QueueAdd", {"Queue": "nosuchqueue", "Interface": "Local/1001@agents/n"}, "No such queue"),
        ("UserEvent", {"UserEvent": "LongHeader", "Payload": "y" * 3000}, "line too long"),
    ],
    ids=[
        "unknown-action",
        "hangup-unknown-channel",
        "originate-without-channel",
        "unknown-queue",
        "long-line",
    ],
)
async def test_refused_action_raises_action_failed_with_asterisks_message_and_the_session_goes_on(
    live_pbx: LivePbx, action: str, fields: dict[str, str], message: str
) -> None:
    client = live_pbx.ami_client()
    async with running(client):
        with pytest.raises(AmiActionFailed) as refused:
            await client.send_action(action, **fields)
        assert message in str(refused.value.response.get("Message"))
        assert refused.value.action == action
        assert (await client.send_action("Ping")).get("Ping") == "Pong"
        assert client.connections_made == 1


async def test_hangup_by_regex_is_a_list_of_channel_hungup_events(live_pbx: LivePbx) -> None:
    client = live_pbx.ami_client()
    observer = LinkObserver().attach(client)
    async with running(client):
        await client.send_action("Originate", **LONG_CUSTOMER_CALL, Async="true")
        answered = await observer.event(
            lambda e: e.name == "OriginateResponse", live_pbx.seconds(2.0) + 10.0, "OriginateResponse"
        )
        assert answered.fields["Reason"] == "4"
        reply = await client.send_list_action("Hangup", Channel=r"/^Local\/2001@customers-.*$/")
        await observer.event(
            lambda e: e.name == "Hangup" and e.fields.get("Uniqueid") == answered.fields["Uniqueid"],
            5.0,
            "Hangup event of the call",
        )

    assert reply.response.get("Message") == "Channels hung up will follow"
    hung_up = sorted(str(e.get("Channel")) for e in reply.events)
    assert {e.name for e in reply.events} == {"ChannelHungup"}
    assert len(hung_up) >= 1
    assert all(name.startswith("Local/2001@customers-") for name in hung_up)
    assert reply.complete is not None
    assert reply.complete.name == "ChannelsHungupListComplete"
    assert reply.complete.get("ListItems") == str(len(reply.events))
