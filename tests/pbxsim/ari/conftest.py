"""A real engine and ARI server on a free loopback port for each test."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets

from pbxsim.ari import AriServer
from pbxsim.engine import Engine, EngineConfig

SPEED = 20.0


@pytest.fixture
async def engine() -> AsyncIterator[Engine]:
    running = Engine(EngineConfig(speed=SPEED, seed=1))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def ari_server(engine: Engine) -> AsyncIterator[AriServer]:
    server = AriServer(engine, port=0)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class EventStream:
    """The `cti` events WebSocket as a test sees it: every event in arrival order, with waits."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.arrival: list[float] = []
        self._changed = asyncio.Event()

    def feed(self, text: str) -> None:
        self.events.append(json.loads(text))
        self.arrival.append(time.monotonic())
        self._changed.set()

    def of(self, event_type: str, subject: str | None = None) -> list[dict[str, Any]]:
        """Events of one type, optionally about one channel id."""
        return [
            e
            for e in self.events
            if e["type"] == event_type and (subject is None or e.get("channel", {}).get("id") == subject)
        ]

    def types_for(self, channel_id: str) -> list[str]:
        """Event types about one channel, in order."""
        return [e["type"] for e in self.events if e.get("channel", {}).get("id") == channel_id]

    async def wait_for(
        self, event_type: str, subject: str | None = None, timeout: float = 3.0
    ) -> dict[str, Any]:
        """The first event of this type (about `subject`), waiting for it if needed."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.of(event_type, subject)
            if found:
                return found[0]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {event_type} for {subject} within {timeout}s; got {self.events}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)


@dataclass
class AriSession:
    """An authenticated HTTP client plus the `cti` event stream, against the test server."""

    http: httpx.AsyncClient
    events: EventStream
    server: AriServer


@pytest.fixture
async def ari(ari_server: AriServer) -> AsyncIterator[AriSession]:
    stream = EventStream()
    url = f"{ari_server.events_url}?app=cti&api_key=cti:cti-secret"
    async with (
        websockets.connect(url) as socket,
        httpx.AsyncClient(base_url=ari_server.base_url + "/", auth=("cti", "cti-secret"), timeout=5) as http,
    ):

        async def read() -> None:
            async for text in socket:
                stream.feed(str(text))

        reader = asyncio.create_task(read())
        try:
            yield AriSession(http, stream, ari_server)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
