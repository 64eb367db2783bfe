"""Replays the HTTP side of a recorded ARI scenario against pbxsim and collects what came back.

The recorder chose every channel, bridge, playback and recording id (`wire-*`), so requests are sent
as recorded. Before each request the replayer waits (bounded) for the events the recorder had already
seen at that point (no longer than the recorded pause, scaled, plus a grace), keeping the recorded pace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from tests.support.wire import WireScenario

EVENT_GRACE_SECONDS = 0.05
GOOD_AUTH = ("cti", "cti-secret")


def event_subject(event: dict[str, Any]) -> str:
    """The id an event is about: its channel, Dial peer, playback, recording or bridge."""
    for key in ("channel", "peer"):
        if isinstance(event.get(key), dict):
            return str(event[key]["id"])
    if "playback" in event:
        return "playback:" + str(event["playback"]["id"])
    if "recording" in event:
        return "recording:" + str(event["recording"]["name"])
    if "bridge" in event:
        return "bridge:" + str(event["bridge"]["id"])
    return "?"


def key_shape(document: Any) -> Any:
    """Field names (recursively, in order) without values: what must match between real and simulated."""
    if isinstance(document, dict):
        return [(key, key_shape(value)) for key, value in document.items()]
    if isinstance(document, list):
        shapes = []
        for item in document:
            shape = key_shape(item)
            if shape not in shapes:
                shapes.append(shape)
        return shapes
    return type(document).__name__


@dataclass
class HttpExchange:
    """One request as recorded and the reply the simulator gave."""

    method: str
    path: str
    query: dict[str, str]
    recorded_status: int
    recorded_type: str | None
    recorded_body: str | None
    status: int = 0
    content_type: str | None = None
    body: str = ""


@dataclass
class ReplayResult:
    """Everything the replay produced, next to what the recording holds."""

    exchanges: list[HttpExchange] = field(default_factory=list)
    recorded_events: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def by_subject(self, events: list[dict[str, Any]]) -> dict[str, list[str]]:
        """Event types in arrival order, per subject id."""
        grouped: dict[str, list[str]] = {}
        for event in events:
            grouped.setdefault(event_subject(event), []).append(event["type"])
        return grouped

    def status_mismatches(self) -> list[str]:
        """Requests whose status, content type or error message differ from the recording."""
        problems = []
        for x in self.exchanges:
            where = f"{x.method} {x.path} {x.query}"
            if x.status != x.recorded_status:
                problems.append(f"{where}: status {x.status}, recorded {x.recorded_status} ({x.body[:120]})")
                continue
            if (x.content_type or None) != x.recorded_type:
                problems.append(f"{where}: content-type {x.content_type!r}, recorded {x.recorded_type!r}")
            if x.recorded_status >= 400 and x.recorded_body is not None and x.body != x.recorded_body:
                problems.append(f"{where}: error body {x.body!r}, recorded {x.recorded_body!r}")
        return problems

    def body_shape_mismatches(self) -> list[str]:
        """Successful JSON replies whose field names differ from the recording's."""
        problems = []
        for x in self.exchanges:
            if x.status != x.recorded_status or not x.recorded_body or x.recorded_status >= 400:
                continue
            recorded = key_shape(json.loads(x.recorded_body))
            produced = key_shape(json.loads(x.body)) if x.body else None
            if recorded != produced:
                problems.append(f"{x.method} {x.path}: fields {produced}, recorded {recorded}")
        return problems

    def event_sequence_mismatches(self) -> list[str]:
        """Subjects whose event types (in order) differ from the recording."""
        recorded = self.by_subject(self.recorded_events)
        produced = self.by_subject(self.events)
        problems = []
        for subject in sorted(set(recorded) | set(produced)):
            if recorded.get(subject, []) != produced.get(subject, []):
                mine, theirs = produced.get(subject, []), recorded.get(subject, [])
                problems.append(f"{subject}:\n    recorded {theirs}\n    produced {mine}")
        return problems

    def event_shape_mismatches(self) -> list[str]:
        """Events matched by subject and position whose field names differ from the recording."""
        produced: dict[str, list[dict[str, Any]]] = {}
        for event in self.events:
            produced.setdefault(event_subject(event), []).append(event)
        recorded: dict[str, list[dict[str, Any]]] = {}
        for event in self.recorded_events:
            recorded.setdefault(event_subject(event), []).append(event)
        problems = []
        for subject, events in recorded.items():
            for mine, theirs in zip(produced.get(subject, []), events, strict=False):
                if mine["type"] == theirs["type"] and key_shape(mine) != key_shape(theirs):
                    problems.append(f"{subject} {mine['type']}: fields differ")
        return problems


class WireReplayer:
    """Drives one scenario's recorded ARI requests against a running pbxsim ARI server."""

    def __init__(self, scenario: WireScenario, base_url: str, events_url: str, speed: float) -> None:
        self.scenario = scenario
        self.base_url = base_url.removesuffix("/ari")
        self.events_url = events_url
        self.speed = speed
        self.result = ReplayResult()
        self._arrived = asyncio.Event()

    async def run(self) -> ReplayResult:
        """Open the events socket, replay every request in order, then collect the trailing events."""
        url = f"{self.events_url}?app=cti&api_key=cti:cti-secret"
        async with (
            websockets.connect(url) as socket,
            httpx.AsyncClient(base_url=self.base_url, timeout=10) as client,
        ):
            reader = asyncio.create_task(self._read(socket))
            try:
                await self._replay(client)
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        return self.result

    async def _read(self, socket: websockets.ClientConnection) -> None:
        async for text in socket:
            self.result.events.append(json.loads(text))
            self._arrived.set()

    async def _wait_for(self, wanted: Counter[tuple[str, str]], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            have = Counter((e["type"], event_subject(e)) for e in self.result.events)
            if all(have[key] >= count for key, count in wanted.items()):
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def _replay(self, client: httpx.AsyncClient) -> None:
        frames = [f for f in self.scenario.frames if f.conn in ("ari-http", "ari-ws")]
        seen: Counter[tuple[str, str]] = Counter()
        last_t = 0.0
        pending: dict[str, Any] | None = None
        for frame in frames:
            if frame.conn == "ari-ws" and frame.dir == "recv" and frame.data is not None:
                event = json.loads(frame.data)
                self.result.recorded_events.append(event)
                seen[(event["type"], event_subject(event))] += 1
            elif frame.conn == "ari-http" and frame.dir == "send":
                pending = frame.data
                started = time.monotonic()
                gap = (frame.t - last_t) / self.speed
                await self._wait_for(Counter(seen), gap + EVENT_GRACE_SECONDS)
                pause = gap - (time.monotonic() - started)
                if pause > 0:
                    await asyncio.sleep(pause)
            elif frame.conn == "ari-http" and frame.dir == "recv" and pending is not None:
                await self._send(client, pending, frame.data)
                last_t = frame.t
                pending = None
        await self._wait_for(Counter(seen), 4 * EVENT_GRACE_SECONDS)
        await asyncio.sleep(1.0 / self.speed + 0.05)

    async def _send(
        self, client: httpx.AsyncClient, request: dict[str, Any], recorded: dict[str, Any]
    ) -> None:
        auth = ("cti", "wrong") if recorded["status"] == 401 else GOOD_AUTH
        body = request["body"]
        response = await client.request(
            request["method"],
            request["path"],
            params=request["query"],
            content=body.encode() if body is not None else None,
            headers={"content-type": "application/json"} if body is not None else None,
            auth=auth,
        )
        self.result.exchanges.append(
            HttpExchange(
                method=request["method"],
                path=request["path"],
                query=request["query"],
                recorded_status=recorded["status"],
                recorded_type=recorded["headers"].get("content-type"),
                recorded_body=recorded["body"],
                status=response.status_code,
                content_type=response.headers.get("content-type"),
                body=response.text,
            )
        )
