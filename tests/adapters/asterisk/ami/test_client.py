"""The AMI client against a loopback server replaying real Asterisk 22 sessions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from adapters.asterisk.ami import AmiActionFailed, AmiClient, AmiLoginFailed, AmiNotConnected
from cti_gateway.ports.pbx import LinkState, LinkStatus, PbxEvent, PbxSnapshot
from tests.adapters.asterisk.ami.replay_server import (
    ReplayAmiServer,
    recorded_session,
    responder_from_turn,
)
from tests.support.wire import load_wire_scenario

CHANNEL_LIST = recorded_session(load_wire_scenario("ami_coreshowchannels_status")).turn("CoreShowChannels")
QUEUE_STATUS = recorded_session(load_wire_scenario("ami_queue_actions")).turn("QueueStatus")
LIVE_PBX = {
    "CoreShowChannels": responder_from_turn(CHANNEL_LIST),
    "QueueStatus": responder_from_turn(QUEUE_STATUS),
}


class Observer:
    """Collects what a client hands to the core."""

    def __init__(self, client: AmiClient) -> None:
        self.events: list[PbxEvent] = []
        self.snapshots: list[PbxSnapshot] = []
        self.statuses: list[LinkStatus] = []
        self.timeline: list[str] = []
        client.on_event(self._event)
        client.on_snapshot(self._snapshot)
        client.on_status(self.statuses.append)

    def _event(self, event: PbxEvent) -> None:
        self.events.append(event)
        self.timeline.append(event.name)

    def _snapshot(self, snapshot: PbxSnapshot) -> None:
        self.snapshots.append(snapshot)
        self.timeline.append("<snapshot>")

    def names(self) -> list[str]:
        return [event.name for event in self.events]


async def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def make_client(server: ReplayAmiServer, **options: float) -> AmiClient:
    settings: dict[str, float] = {"ping_interval": 30.0, "backoff_base": 0.05, "backoff_max": 0.2}
    settings.update(options)
    return AmiClient("127.0.0.1", server.port, "cti", "cti-secret", **settings)  # type: ignore[arg-type]


@pytest.fixture
async def login_ok_server() -> AsyncIterator[ReplayAmiServer]:
    session = recorded_session(load_wire_scenario("ami_login_ok_logoff"))
    async with ReplayAmiServer(session, responders=LIVE_PBX) as server:
        yield server


async def test_client_logs_in_learns_versions_resyncs_pings_and_logs_off(
    login_ok_server: ReplayAmiServer,
) -> None:
    client = make_client(login_ok_server)
    observer = Observer(client)
    assert client.name == "ami"
    assert client.status.state is LinkState.DOWN
    await client.start()
    await client.wait_until_up()
    await eventually(lambda: len(observer.snapshots) == 1)

    assert client.status.state is LinkState.UP
    assert client.status.server_version == "22.10.1"
    assert client.protocol_version == "11.0.0"
    pong = await client.send_action("Ping")
    assert pong.get("Ping") == "Pong"
    await client.stop()

    assert login_ok_server.actions() == [
        "Login",
        "CoreSettings",
        "CoreShowChannels",
        "QueueStatus",
        "Ping",
        "Logoff",
    ]
    login = login_ok_server.received[0]
    assert (login.get("Username"), login.get("Secret"), login.get("Events")) == ("cti", "cti-secret", "on")
    assert observer.names() == ["FullyBooted", "SuccessfulAuth"]
    assert all(event.source == "ami" for event in observer.events)
    assert observer.events[0].fields["Status"] == "Fully Booted"
    assert [s.state for s in observer.statuses] == [
        LinkState.CONNECTING,
        LinkState.UP,
        LinkState.DOWN,
    ]
    assert client.status.detail == "stopped"


async def test_resync_snapshot_lists_live_channels_and_queue_members(
    login_ok_server: ReplayAmiServer,
) -> None:
    client = make_client(login_ok_server)
    observer = Observer(client)
    await client.start()
    await eventually(lambda: len(observer.snapshots) == 1)
    await client.stop()

    snapshot = observer.snapshots[0]
    assert snapshot.source == "ami"
    assert len(snapshot.channels) == 6
    agent = next(c for c in snapshot.channels if c.name == "Local/1001@agents-000000d5;1")
    assert agent.unique_id == "1795377215.422"
    assert agent.state == "Up"
    assert agent.bridge_id == "c45ee947-9fdc-4eb2-9b11-c87ae0f2ba8f"
    assert agent.application == "Dial"
    assert agent.caller_number == ""  # "<unknown>" on the wire
    assert snapshot.bridges == ("c45ee947-9fdc-4eb2-9b11-c87ae0f2ba8f",)
    recorded_members = sum(1 for _, text in QUEUE_STATUS.frames if text.startswith("Event: QueueMember\r\n"))
    assert len(snapshot.queue_members) == recorded_members > 5
    member = next(
        m for m in snapshot.queue_members if m.queue == "sales" and m.interface == "Local/1003@agents/n"
    )
    assert (member.penalty, member.paused, member.in_call, member.status) == (1, False, False, 1)
    assert member.state_interface == "Local/1003@agents"
    assert "CoreShowChannel" not in observer.names()
    assert "QueueMember" not in observer.names()


async def test_list_action_returns_response_and_items_with_the_clients_action_id(
    login_ok_server: ReplayAmiServer,
) -> None:
    client = make_client(login_ok_server)
    observer = Observer(client)
    await client.start()
    await client.wait_until_up()
    reply = await client.send_list_action("CoreShowChannels")
    await client.stop()

    assert reply.response.get("EventList") == "start"
    assert [event.name for event in reply.events] == ["CoreShowChannel"] * 6
    assert reply.complete is not None
    assert reply.complete.name == "CoreShowChannelsComplete"
    assert reply.complete.get("ListItems") == "6"
    assert {event.action_id for event in reply.events} == {reply.response.action_id}
    assert reply.response.action_id != "wire-4"
    assert "CoreShowChannel" not in observer.names()


async def test_bad_secret_fails_with_a_clear_error_after_asterisks_late_answer() -> None:
    session = recorded_session(load_wire_scenario("ami_login_bad"), cid="badsecret")
    async with ReplayAmiServer(session, time_scale=0.3) as server:
        client = make_client(server, backoff_base=5.0, backoff_max=5.0)
        observer = Observer(client)
        started = time.monotonic()
        await client.start()
        with pytest.raises(AmiLoginFailed, match="Authentication failed") as caught:
            await asyncio.wait_for(client.wait_until_up(), 5)
        elapsed = time.monotonic() - started
        await eventually(lambda: client.status.state is LinkState.DOWN)
        with pytest.raises(AmiNotConnected):
            await client.send_action("Ping")
        await client.stop()

    assert elapsed >= 0.25  # the recorded 1 s delay, scaled
    assert "'cti'" in str(caught.value)
    assert "manager.conf" in str(caught.value)
    assert "refused the AMI login" in observer.statuses[1].detail
    assert server.actions() == ["Login"]
    assert observer.events == []


async def test_synchronous_originate_gets_its_response_then_the_held_back_events_in_order() -> None:
    scenario = load_wire_scenario("ami_originate_sync_answered")
    session = recorded_session(scenario)
    async with ReplayAmiServer(session, time_scale=0.1) as server:
        client = make_client(server)
        observer = Observer(client)
        await client.start()
        await client.wait_until_up()
        response = await client.send_action(
            "Originate",
            Channel="Local/2001@customers",
            Context="util",
            Exten="wait",
            Priority=1,
            Timeout=10000,
            CallerID="Sync Test <5550001>",
            Variable=["CUSTOMER_TALK_SECS=3"],
        )
        events_at_response = len(observer.events)
        with pytest.raises(AmiActionFailed, match="Originate failed"):
            await client.send_action(
                "Originate", Channel="Local/3001@customers", Context="util", Exten="wait", Priority=1
            )
        await client.send_action("Originate", Channel="Local/7001@customers", Application="Wait", Data=5)
        await eventually(lambda: observer.names().count("Hangup") == 6)
        await client.stop()

    assert response.get("Message") == "Originate successfully queued"
    assert events_at_response <= 2  # FullyBooted (+ SuccessfulAuth): the call's events follow the response
    expected = [
        frame.data.split("\r\n", 1)[0][7:]
        for frame in scenario.frames_of("ami", "recv")
        if frame.data.startswith("Event: ")
    ]
    assert observer.names() == expected


async def test_a_synchronous_originate_longer_than_the_ping_timeout_does_not_force_a_reconnect() -> None:
    session = recorded_session(load_wire_scenario("ami_originate_sync_answered"))
    async with ReplayAmiServer(session, time_scale=0.25) as server:
        client = make_client(server, ping_interval=0.05, ping_timeout=0.15)
        observer = Observer(client)
        await client.start()
        await eventually(lambda: len(observer.snapshots) == 1 and "Ping" in server.actions())
        started = time.monotonic()
        await client.send_action(
            "Originate", Channel="Local/2001@customers", Context="util", Exten="wait", Priority=1
        )
        assert time.monotonic() - started >= 0.4  # the recorded 2 s answer time, scaled
        assert client.status.state is LinkState.UP
        await client.stop()
    assert server.connections == 1
    assert not any("no Pong" in s.detail for s in observer.statuses)


async def test_error_responses_raise_action_failed_and_leave_the_session_usable() -> None:
    session = recorded_session(load_wire_scenario("ami_errors"))
    async with ReplayAmiServer(session) as server:
        client = make_client(server)
        await client.start()
        await client.wait_until_up()
        with pytest.raises(AmiActionFailed, match="Invalid/unknown command: FooBarAction"):
            await client.send_action("FooBarAction")
        with pytest.raises(AmiActionFailed, match="Channel not specified") as caught:
            await client.send_action("Originate", Context="util", Exten="wait", Priority=1)
        assert caught.value.response.name == "Error"
        assert caught.value.action == "Originate"
        with pytest.raises(AmiActionFailed, match="No such channel"):
            await client.send_action("Hangup", Channel="Local/9999@nowhere-00000000;1")
        with pytest.raises(AmiActionFailed, match="No such channel"):
            await client.send_list_action("Status", Channel="Local/bogus-00000000;1")
        with pytest.raises(AmiActionFailed, match="No such queue"):
            await client.send_action("QueueAdd", Queue="nosuchqueue", Interface="Local/1001@agents/n")
        await client.send_action("UserEvent", UserEvent="LongHeader1000", Payload="x" * 1000)
        with pytest.raises(AmiActionFailed, match="line too long"):
            await client.send_action("UserEvent", UserEvent="LongHeader3000", Payload="y" * 3000)
        assert (await client.send_action("Ping")).get("Ping") == "Pong"
        with pytest.raises(AmiActionFailed) as unknown_command:
            await client.send_action("Command", Command="no such cli command")
        assert unknown_command.value.response.output[0].startswith("No such command")
        uptime = await client.send_action("Command", Command="core show uptime")
        assert uptime.output == [
            "System uptime: 21 minutes, 28 seconds",
            "Last reload: 21 minutes, 28 seconds",
        ]
        assert client.status.state is LinkState.UP
        await client.stop()


async def test_closed_socket_takes_the_link_down_and_it_reconnects_and_resyncs(
    login_ok_server: ReplayAmiServer,
) -> None:
    client = make_client(login_ok_server)
    observer = Observer(client)
    await client.start()
    await eventually(lambda: len(observer.snapshots) == 1)
    login_ok_server.drop_clients()
    await eventually(lambda: len(observer.snapshots) == 2)
    await client.stop()

    states = [s.state for s in observer.statuses]
    assert states[:5] == [
        LinkState.CONNECTING,
        LinkState.UP,
        LinkState.DOWN,
        LinkState.CONNECTING,
        LinkState.UP,
    ]
    assert "reconnecting in" in observer.statuses[2].detail
    assert login_ok_server.connections == 2
    assert login_ok_server.actions().count("Login") == 2
    assert observer.snapshots[0].channels == observer.snapshots[1].channels


async def test_an_unanswered_ping_forces_a_reconnect(login_ok_server: ReplayAmiServer) -> None:
    login_ok_server.responders["ping"] = lambda action: []
    client = make_client(login_ok_server, ping_interval=0.05, ping_timeout=0.1)
    observer = Observer(client)
    await client.start()
    await eventually(lambda: login_ok_server.connections >= 2)
    await client.stop()
    assert any("no Pong within 0.1 s" in s.detail for s in observer.statuses)


async def test_unreachable_asterisk_keeps_the_link_down_and_retrying() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    client = AmiClient("127.0.0.1", port, "cti", "cti-secret", backoff_base=0.02, backoff_max=0.05)
    observer = Observer(client)
    await client.start()
    await eventually(lambda: sum(s.state is LinkState.CONNECTING for s in observer.statuses) >= 3)
    await client.stop()
    assert LinkState.UP not in [s.state for s in observer.statuses]
    assert any("reconnecting in" in s.detail for s in observer.statuses)


async def test_events_after_the_channel_list_reach_handlers_only_after_the_snapshot() -> None:
    def channels_with_traffic(action: object) -> list[str]:
        frames = LIVE_PBX["CoreShowChannels"](action)  # type: ignore[arg-type]
        before = "Event: BeforeList\r\nPrivilege: call,all\r\n\r\n"
        after = "Event: AfterList\r\nPrivilege: call,all\r\n\r\n"
        return [before, frames[0], after, *frames[1:]]

    session = recorded_session(load_wire_scenario("ami_login_ok_logoff"))
    responders = {**LIVE_PBX, "CoreShowChannels": channels_with_traffic}
    async with ReplayAmiServer(session, responders=responders) as server:  # type: ignore[arg-type]
        client = make_client(server)
        observer = Observer(client)
        release = asyncio.Event()

        async def slow_snapshot_handler(snapshot: PbxSnapshot) -> None:
            await release.wait()

        client.on_snapshot(slow_snapshot_handler)
        await client.start()
        await eventually(lambda: "<snapshot>" in observer.timeline)
        await asyncio.sleep(0.05)
        assert "AfterList" not in observer.timeline
        release.set()
        await eventually(lambda: "AfterList" in observer.timeline)
        await client.stop()

    timeline = observer.timeline
    assert timeline.index("BeforeList") < timeline.index("<snapshot>") < timeline.index("AfterList")
