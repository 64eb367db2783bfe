"""Fixtures: a started bus of each kind, a private key prefix on the shared Redis, a private Redis to kill."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from adapters.bus import InProcessBus, RedisStreamsBus
from cti_gateway.ports.bus import EventBus

SHARED_REDIS_URL = "redis://127.0.0.1:6379/0"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


async def delete_keys(prefix: str) -> None:
    """Delete the keys under `prefix` (ours alone) from the shared Redis."""
    client = Redis.from_url(SHARED_REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


def new_shared_prefix() -> str:
    if not _listening(6379):
        pytest.skip("Redis is not listening on 127.0.0.1:6379")
    return f"test:{uuid.uuid4().hex[:10]}:"


@pytest.fixture
async def shared_redis_prefix() -> AsyncIterator[str]:
    """A key prefix of our own on the shared Redis at 6379; only our keys are deleted afterwards."""
    prefix = new_shared_prefix()
    yield prefix
    await delete_keys(prefix)


def fast_redis_bus(url: str, prefix: str, **options: object) -> RedisStreamsBus:
    """A Redis bus with short timers, so that outage tests run in seconds."""
    settings: dict[str, object] = {
        "stream_prefix": prefix,
        "block_ms": 200,
        "retry_initial": 0.05,
        "retry_max": 0.3,
        "health_interval": 0.2,
    }
    settings.update(options)
    return RedisStreamsBus(url, **settings)  # type: ignore[arg-type]


@pytest.fixture(params=["in_process", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    """A started bus of each kind; Redis buses get a private prefix on the shared server."""
    if request.param == "in_process":
        in_process = InProcessBus(history=100)
        await in_process.start()
        yield in_process
        await in_process.stop()
        return
    prefix = new_shared_prefix()
    redis_bus = fast_redis_bus(SHARED_REDIS_URL, prefix)
    await redis_bus.start()
    try:
        yield redis_bus
    finally:
        await redis_bus.stop()
        await delete_keys(prefix)


class PrivateRedis:
    """A redis-server of our own, without persistence, that a test may kill -9 and start again."""

    def __init__(self, workdir: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while not _listening(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save; every stream in it is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    async def restart_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self.start()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.kill()
