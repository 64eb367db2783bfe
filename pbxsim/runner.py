"""Start and stop the whole simulator: engine, AMI server, ARI server (when present) and scenario traffic."""

from __future__ import annotations

from typing import Any

from pbxsim.ami import AmiServer
from pbxsim.ari import AriServer
from pbxsim.engine import Engine, EngineConfig


class Pbxsim:
    """The simulator as one object with async start()/stop(); ports 0 pick free ports (see `.ami_port`)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        ami_port: int = 5038,
        ari_port: int | None = 8088,
        username: str = "cti",
        secret: str = "cti-secret",
        scenario: str = "idle",
        seed: int = 0,
        speed: float = 1.0,
        noisy: bool = True,
    ) -> None:
        self.engine = Engine(EngineConfig(speed=speed, seed=seed, noisy=noisy))
        self.ami = AmiServer(self.engine, host, ami_port, username=username, secret=secret)
        self.ari: AriServer | None = None
        self._ari_port = ari_port
        self._host = host
        self._credentials = (username, secret)
        self.scenario_name = scenario
        self._traffic: Any = None

    @property
    def ami_port(self) -> int:
        """The AMI port actually bound."""
        return self.ami.port

    async def start(self) -> None:
        """Start engine, AMI, ARI (if pbxsim.ari.AriServer exists) and the scenario's traffic."""
        await self.engine.start()
        await self.ami.start()
        if self._ari_port is not None:
            username, password = self._credentials
            self.ari = AriServer(
                self.engine, host=self._host, port=self._ari_port, username=username, password=password
            )
            await self.ari.start()
        from pbxsim.scenarios import start_scenario

        self._traffic = start_scenario(self.engine, self.scenario_name)

    async def stop(self) -> None:
        """Stop traffic, servers and engine."""
        if self._traffic is not None:
            self._traffic.cancel()
        if self.ari is not None:
            await self.ari.stop()
        await self.ami.stop()
        await self.engine.stop()


async def run(**kwargs: Any) -> Pbxsim:
    """Build and start a Pbxsim (keyword arguments as for `Pbxsim`)."""
    sim = Pbxsim(**kwargs)
    await sim.start()
    return sim


async def run_pbxsim(
    *, host: str, ami_port: int, ari_port: int, scenario: str, seed: int, speed: float
) -> None:
    """Run the simulator until SIGINT or SIGTERM, then stop it cleanly."""
    import asyncio
    import signal

    sim = await run(
        host=host, ami_port=ami_port, ari_port=ari_port, scenario=scenario, seed=seed, speed=speed
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await sim.stop()
