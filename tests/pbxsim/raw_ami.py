"""A raw AMI socket against an in-process pbxsim AMI server, for tests that check exact reply bytes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from pbxsim.ami import AmiServer
from pbxsim.engine import Engine, EngineConfig


class Client:
    """A raw AMI socket that keeps every byte received."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.buffer = reader, writer, b""

    async def send(self, *lines: str) -> None:
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()

    async def until(self, marker: bytes, timeout: float = 3.0) -> bytes:
        async def read() -> None:
            while marker not in self.buffer:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise ConnectionError("server closed the socket")
                self.buffer += chunk

        await asyncio.wait_for(read(), timeout)
        return self.buffer


async def login(server: AmiServer) -> Client:
    """A session logged in as `cti` with events on."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    client = Client(reader, writer)
    await client.send("Action: Login", "Username: cti", "Secret: cti-secret", "Events: on")
    await client.until(b"Authentication accepted")
    return client


@contextlib.asynccontextmanager
async def ami_server(engine: Engine) -> AsyncIterator[AmiServer]:
    """An AMI server on a free port with short login timers, stopped at the end."""
    server = AmiServer(engine, "127.0.0.1", 0, authtimeout=1.0, failed_login_delay=0.01)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def running_pbxsim(*, speed: float, seed: int) -> AsyncIterator[AmiServer]:
    """A started engine and its AMI server."""
    engine = Engine(EngineConfig(speed=speed, seed=seed))
    await engine.start()
    try:
        async with ami_server(engine) as server:
            yield server
    finally:
        await engine.stop()
