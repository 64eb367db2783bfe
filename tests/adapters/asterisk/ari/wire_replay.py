"""Replay the ARI side of a recorded Asterisk 22 scenario: its HTTP exchanges and its WebSocket events.

`HttpReplay` is an httpx transport handler: each request the client sends must equal the next recorded one
(method, path, query, body), and gets the recorded response. Before answering, it can push the WebSocket
events that Asterisk sent before that response, reproducing the recorded interleaving.
`EventServer` is a tiny real `websockets` server standing in for Asterisk's `/ari/events`.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from adapters.asterisk.ari import AriClient
from adapters.asterisk.ari.models import Channel
from tests.support.wire import WIRE_DIR, WireScenario, load_wire_scenario

ARI_USER = "cti"
ARI_PASSWORD = "cti-secret"


@dataclass(frozen=True)
class HttpExchange:
    """One recorded request, its response, and the WebSocket events Asterisk sent before that response."""

    request: dict[str, Any]
    response: dict[str, Any]
    events_before_response: tuple[str, ...]


@dataclass(frozen=True)
class AriRecording:
    """The ARI part of one scenario (default connection only)."""

    name: str
    exchanges: tuple[HttpExchange, ...]
    trailing_events: tuple[str, ...]

    @property
    def all_events(self) -> tuple[str, ...]:
        return tuple(e for x in self.exchanges for e in x.events_before_response) + self.trailing_events


def load_ari_recording(name: str) -> AriRecording:
    """Pair each ari-http send with its recv and attach the ari-ws events in between, in file order."""
    scenario: WireScenario = load_wire_scenario(name)
    exchanges: list[HttpExchange] = []
    pending_request: dict[str, Any] | None = None
    events: list[str] = []
    for frame in scenario.frames:
        if frame.data is None or frame.cid is not None:
            continue
        if frame.conn == "ari-ws" and frame.dir == "recv":
            events.append(frame.data)
        elif frame.conn == "ari-http" and frame.dir == "send":
            assert pending_request is None, "two requests in flight: the recording is not sequential"
            pending_request = frame.data
        elif frame.conn == "ari-http" and frame.dir == "recv":
            assert pending_request is not None
            exchanges.append(HttpExchange(pending_request, frame.data, tuple(events)))
            pending_request, events = None, []
    return AriRecording(name, tuple(exchanges), tuple(events))


def response_from_recording(recorded: dict[str, Any]) -> httpx.Response:
    """The recorded response as httpx would have received it."""
    body = recorded["body"]
    return httpx.Response(
        recorded["status"],
        headers=recorded.get("headers") or {},
        content=body.encode() if body is not None else b"",
    )


def request_as_recorded(request: httpx.Request) -> dict[str, Any]:
    """A sent request in the recording's shape: method, path, query dict, body text or None."""
    content = request.content.decode() if request.content else None
    return {
        "method": request.method,
        "path": request.url.path,
        "query": dict(parse_qsl(request.url.query.decode(), keep_blank_values=True)),
        "body": content,
    }


def _same_body(sent: str | None, recorded: str | None) -> bool:
    if sent is None or recorded is None:
        return sent == recorded
    try:
        return bool(json.loads(sent) == json.loads(recorded))
    except ValueError:
        return sent == recorded


BeforeResponse = Callable[[tuple[str, ...]], Awaitable[None]]


@dataclass
class HttpReplay:
    """An httpx handler that checks each request against the recording and answers as Asterisk did."""

    exchanges: deque[HttpExchange]
    before_response: BeforeResponse | None = None
    extra_routes: dict[tuple[str, str], Callable[[], httpx.Response]] = field(default_factory=dict)
    check_credentials: bool = True
    handled: int = 0

    @classmethod
    def of(cls, name: str, **kwargs: Any) -> HttpReplay:
        return cls(deque(load_ari_recording(name).exchanges), **kwargs)

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.check_credentials:
            credentials = base64.b64encode(f"{ARI_USER}:{ARI_PASSWORD}".encode()).decode()
            assert request.headers["authorization"] == f"Basic {credentials}"
        route = self.extra_routes.get((request.method, request.url.path))
        if route is not None:
            return route()
        assert self.exchanges, f"unexpected extra request {request.method} {request.url}"
        expected = self.exchanges.popleft()
        sent = request_as_recorded(request)
        recorded = expected.request
        assert (sent["method"], sent["path"]) == (recorded["method"], recorded["path"]), (sent, recorded)
        assert sent["query"] == recorded["query"], (sent, recorded)
        assert _same_body(sent["body"], recorded["body"]), (sent, recorded)
        if self.before_response is not None and expected.events_before_response:
            await self.before_response(expected.events_before_response)
        self.handled += 1
        return response_from_recording(expected.response)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def assert_all_replayed(self) -> None:
        assert not self.exchanges, f"{len(self.exchanges)} recorded requests were never sent"


async def originate_recorded_caller(
    ari: AriClient,
    did: str,
    stasis_leg: str,
    *,
    context: str,
    extension: str,
    variables: Mapping[str, str],
    caller_id: str | None = None,
) -> Channel:
    """Place a customer call the way the recordings do: `Local/<did>@stasis-in` with a 30 s timeout.

    Its `;2` half (`stasis_leg`) enters Stasis; its `;1` half (`peer-<stasis_leg>`, returned) runs
    `context,extension` as the customer.
    """
    return await ari.channels.originate(
        f"Local/{did}@stasis-in",
        context=context,
        extension=extension,
        priority=1,
        timeout=30,
        channel_id=f"peer-{stasis_leg}",
        other_channel_id=stasis_leg,
        caller_id=caller_id,
        variables=variables,
    )


def recorded_ws_rejection(name: str, cid: str) -> dict[str, Any]:
    """The refused WebSocket upgrade recorded for connection `cid`: status, headers and body."""
    for line in (WIRE_DIR / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()[1:]:
        raw = json.loads(line)
        if raw.get("ctl") == "rejected" and raw.get("cid") == cid:
            return {"status": raw["status"], "headers": raw["headers"], "body": raw["body"]}
    raise LookupError(f"{name} has no rejected WebSocket upgrade for cid {cid}")


class EventServer:
    """A real `websockets` server playing Asterisk's `/ari/events` for app `cti`, restartable on its port."""

    def __init__(self, api_key: str = f"{ARI_USER}:{ARI_PASSWORD}") -> None:
        self.api_key = api_key
        self.port = 0
        self.connections: list[ServerConnection] = []
        self.requests: list[str] = []
        self.refused = 0
        self.accepted = 0
        self._server: Server | None = None
        self._unauthorized = recorded_ws_rejection("ari_errors", "badkey")
        self.rest_routes: dict[str, Any] = {}
        """Plain HTTP GET paths (e.g. `/ari/asterisk/info`) answered with this JSON, for real-socket REST."""

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/ari"

    async def start(self) -> None:
        self._server = await serve(
            self._handler, "127.0.0.1", self.port, process_request=self._check_request, ping_interval=None
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def kill(self) -> None:
        """Stop listening and drop every connection, as when Asterisk restarts."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        self.connections.clear()
        self._server = None

    def _check_request(self, connection: ServerConnection, request: Request) -> Response | None:
        self.requests.append(request.path)
        url = urlsplit(request.path)
        query = dict(parse_qsl(url.query))
        if url.path in self.rest_routes:
            body = json.dumps(self.rest_routes[url.path]).encode()
            headers = Headers(
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("Connection", "close"),
                ]
            )
            return Response(200, "OK", headers, body)
        if url.path != "/ari/events":
            return connection.respond(404, "Not found\n")
        if query.get("api_key") != self.api_key:
            self.refused += 1
            body = self._unauthorized["body"].encode()
            content_type = self._unauthorized["headers"]["content-type"]
            headers = Headers([("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return Response(self._unauthorized["status"], "Unauthorized", headers, body)
        if "app" not in query:
            return connection.respond(400, "HTTP request is missing param: [app]\n")
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        self.connections.append(connection)
        self.accepted += 1
        await connection.wait_closed()

    async def push(self, frames: tuple[str, ...] | list[str]) -> None:
        """Send frames to the newest connection, verbatim."""
        assert self.connections, "no ARI events client connected"
        for frame in frames:
            await self.connections[-1].send(frame)

    async def wait_for_connections(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` WebSocket connections were accepted since this server object was created."""

        async def _poll() -> None:
            while self.accepted < count:
                await asyncio.sleep(0.005)

        await asyncio.wait_for(_poll(), timeout)
