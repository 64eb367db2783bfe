"""`/ws` over a real socket: authentication, close codes, scopes, resume after a kill, slow consumers."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from cti_gateway.api.routes.ws import WebSocketOptions
from cti_gateway.auth.tokens import token_id_of
from cti_gateway.events.model import Audience, CtiEvent, EventType
from cti_gateway.hub import CloseCode, HubLimits
from tests.cti_gateway.hub.helpers import LiveHub, live_hub, ringing

RECEIVE_TIMEOUT = 5.0


async def receive(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT))
    return message


async def receive_event(ws: ClientConnection) -> dict[str, Any]:
    """The next numbered event, skipping control frames (hello, pong, error)."""
    while "seq" not in (message := await receive(ws)):
        pass
    return message


async def close_code_of(ws: ClientConnection) -> int | None:
    """Read until the server closes the connection; return its close code."""
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT)
    return closed.value.rcvd.code if closed.value.rcvd else None


async def start_stream(ws: ClientConnection) -> dict[str, Any]:
    """Read the hello frame and the initial resync marker; return the marker."""
    hello = await receive(ws)
    assert hello["type"] == "hello"
    marker = await receive(ws)
    assert marker["type"] == "resync"
    return marker


def screen_pop(call_id: str, agent_id: str) -> CtiEvent:
    return CtiEvent(
        type=EventType.SCREEN_POP,
        call_id=call_id,
        data={"agent_id": agent_id, "caller": {"number": "+34600000001", "name": "Eva"}, "customer": None},
        audience=Audience(frozenset({agent_id})),
    )


async def test_an_agent_authenticates_with_the_token_in_the_url() -> None:
    async with live_hub() as live:
        token = await live.agent_token("1001")
        async with connect(f"{live.url}?token={token}") as ws:
            hello = await receive(ws)
            marker = await receive(ws)
            live.hub.publish(ringing("call-1", "1001"))
            event = await receive(ws)

    assert hello == {
        "type": "hello",
        "stream": "agent:1001",
        "principal": {
            "token_id": token_id_of(token),
            "name": "agent 1001",
            "kind": "agent",
            "agent_id": "1001",
            "scopes": ["calls:read", "calls:write"],
        },
    }
    assert marker["data"]["reason"] == "connected"
    assert event["type"] == "call.ringing"
    assert event["seq"] == marker["seq"] + 1


async def test_an_agent_authenticates_with_a_first_auth_message() -> None:
    async with live_hub() as live:
        token = await live.agent_token("1001")
        async with connect(live.url) as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            marker = await start_stream(ws)
            live.hub.publish(ringing("call-1", "1001"))
            event = await receive(ws)

    assert event["call_id"] == "call-1"
    assert event["seq"] == marker["seq"] + 1


async def test_an_unknown_token_is_closed_with_4401() -> None:
    async with live_hub() as live:
        async with connect(f"{live.url}?token=cti_0123456789ab_{'x' * 43}") as ws:
            assert await close_code_of(ws) == int(CloseCode.UNAUTHORIZED) == 4401
        async with connect(f"{live.url}?token=not-a-token") as ws:
            assert await close_code_of(ws) == 4401


async def test_no_token_in_time_is_closed_with_4401() -> None:
    async with live_hub(options=WebSocketOptions(auth_timeout=0.2)) as live, connect(live.url) as ws:
        assert await close_code_of(ws) == 4401


async def test_a_malformed_first_message_is_closed_with_4400_naming_the_problem() -> None:
    async with live_hub() as live, connect(live.url) as ws:
        await ws.send('{"type": "auth", "tokn": "x"}')
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), RECEIVE_TIMEOUT)

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == int(CloseCode.BAD_MESSAGE) == 4400
    assert "token" in closed.value.rcvd.reason


async def test_a_revoked_token_is_closed_with_4410() -> None:
    async with live_hub() as live:
        token = await live.agent_token("1001")
        await live.store.revoke(token_id_of(token), datetime.now(UTC))
        async with connect(f"{live.url}?token={token}") as ws:
            assert await close_code_of(ws) == int(CloseCode.TOKEN_REVOKED) == 4410


async def test_a_token_revoked_while_connected_closes_the_connection_with_4410() -> None:
    async with live_hub(options=WebSocketOptions(token_recheck_seconds=0.1)) as live:
        token = await live.agent_token("1001")
        async with connect(f"{live.url}?token={token}") as ws:
            await start_stream(ws)
            await live.store.revoke(token_id_of(token), datetime.now(UTC))
            assert await close_code_of(ws) == 4410


async def test_a_token_that_may_see_no_events_is_closed_with_4403() -> None:
    async with live_hub() as live:
        token = await live.integration_token("calls:write")
        async with connect(f"{live.url}?token={token}") as ws:
            assert await close_code_of(ws) == int(CloseCode.FORBIDDEN) == 4403


async def test_a_malformed_message_after_auth_gets_an_error_frame_and_loses_nothing() -> None:
    async with live_hub() as live:
        token = await live.agent_token("1001")
        async with connect(f"{live.url}?token={token}") as ws:
            marker = await start_stream(ws)
            live.hub.publish(ringing("call-1", "1001"))
            await ws.send("{not json")
            await ws.send(json.dumps({"type": "ping", "id": 7}))
            live.hub.publish(ringing("call-2", "1001"))
            frames = [await receive(ws) for _ in range(4)]

    events = [f for f in frames if "seq" in f]
    controls = [f for f in frames if "seq" not in f]
    assert [e["seq"] - marker["seq"] for e in events] == [1, 2]
    assert controls == [
        {"type": "error", "code": "bad_message", "message": "message is not valid JSON"},
        {"type": "pong", "id": 7},
    ]


async def test_agent_a_never_sees_agent_b_screen_pop() -> None:
    async with live_hub() as live:
        token_a, token_b = await live.agent_token("1001"), await live.agent_token("1002")
        async with (
            connect(f"{live.url}?token={token_a}") as ana,
            connect(f"{live.url}?token={token_b}") as bruno,
        ):
            await start_stream(ana), await start_stream(bruno)
            live.hub.publish(screen_pop("call-b", "1002"))
            live.hub.publish(screen_pop("call-a", "1001"))
            bruno_pop = await receive_event(bruno)
            ana_first = await receive_event(ana)

    assert (bruno_pop["type"], bruno_pop["data"]["agent_id"]) == ("screen_pop", "1002")
    assert (ana_first["type"], ana_first["call_id"]) == ("screen_pop", "call-a"), "B's pop never reached A"


async def test_a_supervisor_receives_its_queues_only() -> None:
    async with live_hub() as live:
        token = await live.integration_token("supervisor", "queue:sales")
        async with connect(f"{live.url}?token={token}") as ws:
            await start_stream(ws)
            live.hub.publish(ringing("support-call", "1002", queue="support"))
            live.hub.publish(ringing("sales-call", "1001", queue="sales"))
            event = await receive_event(ws)

    assert event["call_id"] == "sales-call"


async def publish_numbered(live: LiveHub, agent_id: str, count: int, pause: float) -> None:
    for n in range(count):
        live.hub.publish(ringing(f"call-{n:04d}", agent_id, n=n))
        await asyncio.sleep(pause)


async def test_a_client_killed_mid_stream_resumes_without_gaps_or_duplicates() -> None:
    total = 300
    async with live_hub() as live:
        token = await live.agent_token("1001")
        received: list[dict[str, Any]] = []
        ws = await connect(f"{live.url}?token={token}")
        marker = await start_stream(ws)
        publisher = asyncio.create_task(publish_numbered(live, "1001", total, pause=0.002))
        while len(received) < 80:
            received.append(await receive_event(ws))
        ws.transport.abort()  # the desktop dies without a close handshake
        await asyncio.sleep(0.1)  # events keep coming while it is away

        async with connect(f"{live.url}?token={token}&last_seq={received[-1]['seq']}") as again:
            assert (await receive(again))["type"] == "hello"
            while received[-1]["data"]["n"] < total - 1:
                received.append(await receive_event(again))
        await publisher

    seqs = [e["seq"] for e in received]
    assert seqs == list(range(marker["seq"] + 1, marker["seq"] + 1 + total)), "no gap, no duplicate"
    assert [e["data"]["n"] for e in received] == list(range(total))


async def test_a_client_resuming_after_the_buffer_moved_on_gets_a_resync_marker() -> None:
    async with live_hub(HubLimits(buffer_max_events=5)) as live:
        token = await live.agent_token("1001")
        async with connect(f"{live.url}?token={token}") as ws:
            marker = await start_stream(ws)
        await publish_numbered(live, "1001", 8, pause=0)
        async with connect(live.url) as again:
            await again.send(json.dumps({"type": "auth", "token": token, "last_seq": marker["seq"]}))
            await receive(again)
            resync = await receive(again)
            live.hub.publish(ringing("next", "1001"))
            after = await receive(again)

    assert resync["type"] == "resync"
    assert resync["data"]["reason"] == "buffer_exceeded"
    assert resync["data"]["snapshot"] == {"calls": []}
    assert resync["seq"] == marker["seq"] + 8
    assert after["seq"] == resync["seq"] + 1


def small_buffer_socket(port: int) -> socket.socket:
    """A client socket with a tiny receive buffer, so an unread stream backs up quickly."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    return sock


async def test_a_slow_client_is_closed_with_4408_while_a_fast_one_keeps_receiving() -> None:
    big = "x" * 16_384
    async with live_hub(HubLimits(max_pending=20)) as live:
        slow_token, fast_token = await live.agent_token("1001"), await live.agent_token("1002")
        slow = await connect(
            f"{live.url}?token={slow_token}",
            sock=small_buffer_socket(live.port),
            max_queue=1,
            max_size=None,
            compression=None,
        )
        fast = await connect(f"{live.url}?token={fast_token}", max_size=None)
        await start_stream(slow)
        await start_stream(fast)
        fast_received: list[dict[str, Any]] = []

        async def read_fast() -> None:
            while True:
                fast_received.append(await receive_event(fast))

        reader = asyncio.create_task(read_fast())
        published = 0
        while live.hub.stats().connections == 2 and published < 5_000:
            live.hub.publish(
                CtiEvent(
                    EventType.CALL_DATA_UPDATED,
                    {"n": published, "blob": big},
                    f"call-{published}",
                    Audience(frozenset({"1001", "1002"})),
                )
            )
            published += 1
            await asyncio.sleep(0.001)
        assert live.hub.stats().connections == 1, "the slow client was dropped"
        while len(fast_received) < published:
            await asyncio.sleep(0.01)
        reader.cancel()

        slow_received = []
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                slow_received.append(json.loads(await asyncio.wait_for(slow.recv(), RECEIVE_TIMEOUT)))
        await fast.close()

        resumed = await connect(
            f"{live.url}?token={slow_token}&last_seq={slow_received[-1]['seq']}", max_size=None
        )
        await receive(resumed)
        live.hub.publish(
            CtiEvent(EventType.CALL_ENDED, {"n": published}, "last", Audience(frozenset({"1001"})))
        )
        while (event := await receive_event(resumed))["call_id"] != "last":
            slow_received.append(event)
        slow_received.append(event)
        await resumed.close()

    assert [e["data"]["n"] for e in fast_received] == list(range(published))
    assert closed.value.rcvd is not None and closed.value.rcvd.code == int(CloseCode.SLOW_CONSUMER) == 4408
    numbered = [e for e in slow_received if e["type"] != "resync"]
    assert [e["data"]["n"] for e in numbered] == list(range(published + 1)), "resumed without loss"
