"""Run the real gateway (wiring, adapters, API) in-process against pbxsim running in its own process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from adapters.asterisk.ami import AmiClient
from cti_gateway.api.app import create_app
from cti_gateway.gateway import Gateway
from cti_gateway.settings import Settings
from cti_gateway.wiring import build_gateway
from tests.support.processes import PbxsimProcess, RealAsterisk


class Pbx(Protocol):
    """An Asterisk the tests can kill and start again: pbxsim or the real thing."""

    ami_port: int

    @property
    def ari_url(self) -> str: ...

    def start(self) -> None: ...

    def kill(self) -> None: ...

    def restart(self) -> None: ...


@pytest.fixture(params=["pbxsim", "asterisk"])
def pbx(request: pytest.FixtureRequest) -> Iterator[Pbx]:
    """pbxsim in its own process on free ports, and, when configured, the real Asterisk 22 too."""
    if request.param == "asterisk":
        real = RealAsterisk.from_environment()
        if real is None:
            pytest.skip("real Asterisk not configured: set CTI_TEST_ASTERISK_CONTROL (docs/testing.md)")
        real.start()
        yield real
        real.restart()  # leaves no test call behind for the next test
        return
    process = PbxsimProcess()
    process.start()
    try:
        yield process
    finally:
        process.kill()


def gateway_settings(pbx: Pbx, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "ami_port": pbx.ami_port,
        "ari_url": pbx.ari_url,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}",
        "reconnect_backoff_base": 0.2,
        "reconnect_backoff_max": 1.0,
        "ami_ping_interval": 1.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


class RunningGateway:
    """A started gateway and an HTTP client for its API."""

    def __init__(self, gateway: Gateway, http: httpx.AsyncClient) -> None:
        self.gateway = gateway
        self.http = http

    async def readyz(self) -> httpx.Response:
        return await self.http.get("/readyz")

    async def wait_for_readyz(self, status_code: int, timeout: float = 20.0) -> httpx.Response:
        """Poll /readyz until it answers `status_code`; fail with the last answer otherwise."""
        deadline = asyncio.get_running_loop().time() + timeout
        response = await self.readyz()
        while response.status_code != status_code:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"/readyz stayed {response.status_code}: {response.json()}")
            await asyncio.sleep(0.1)
            response = await self.readyz()
        return response


GatewayStarter = Callable[[Settings], Awaitable[RunningGateway]]


@pytest.fixture
async def start_gateway() -> AsyncIterator[GatewayStarter]:
    """Start gateways from settings; all are stopped when the test ends."""
    running: list[RunningGateway] = []

    async def start(settings: Settings) -> RunningGateway:
        gateway = await build_gateway(settings)
        app = create_app(gateway)
        await gateway.start()
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        running.append(RunningGateway(gateway, http))
        return running[-1]

    yield start
    for item in running:
        await item.http.aclose()
        await item.gateway.stop()


async def eventually(condition: Callable[[], bool], timeout: float = 10.0, message: str = "") -> None:
    """Wait until `condition()` holds, polling; fail with `message` after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(message or "condition not met in time")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def ami_session(pbx: Pbx) -> AsyncIterator[AmiClient]:
    """A second AMI session beside the gateway's, as a carrier, a softphone or a queue console acts."""
    ami = AmiClient("127.0.0.1", pbx.ami_port, "cti", "cti-secret")
    await ami.start()
    try:
        await asyncio.wait_for(ami.wait_until_up(), 15)
        yield ami
    finally:
        await ami.stop()
