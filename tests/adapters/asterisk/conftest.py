"""A live PBX for the adapter tests, over real sockets: pbxsim in its own process, and the real Asterisk 22.

Every test that takes `live_pbx` runs twice: against pbxsim (always) and against the real Asterisk 22.10.1
configured as in `../shared/asterisk/conf/` (only when `CTI_TEST_ASTERISK_CONTROL` names its control folder,
see `tests.support.processes.RealAsterisk`). pbxsim gets a fresh process per test; the real Asterisk keeps
running and every call left behind is hung up after the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from adapters.asterisk.ami import AmiClient, AmiError
from adapters.asterisk.ari import AriEventLink
from cti_gateway.ports.pbx import LinkState, LinkStatus, PbxEvent, PbxSnapshot
from tests.support.processes import PbxsimProcess, RealAsterisk

AMI_USER = "cti"
AMI_SECRET = "cti-secret"
ARI_USER = "cti"
ARI_PASSWORD = "cti-secret"
ASTERISK_VERSION = "22.10.1"
AMI_PROTOCOL_VERSION = "11.0.0"
ARI_APP = "cti-adapter-tests"
"""A Stasis app of our own, so that a gateway subscribed to `cti` elsewhere never takes our channels."""

EVERY_LOCAL_CHANNEL = r"/^Local\/.*$/"

PbxKind = Literal["pbxsim", "asterisk"]


@dataclass
class LivePbx:
    """The PBX one test runs against, with the controls fault tests need (kill, start, freeze, thaw)."""

    kind: PbxKind
    server: PbxsimProcess | RealAsterisk
    speed: float = 1.0
    """How much faster than real time the dialplan runs (pbxsim's `--speed`; 1 for the real Asterisk)."""

    @property
    def ami_port(self) -> int:
        return self.server.ami_port

    @property
    def ari_url(self) -> str:
        return self.server.ari_url

    def seconds(self, dialplan_seconds: float) -> float:
        """Wall-clock time that `dialplan_seconds` of the dialplan (Wait, ring times) take on this PBX."""
        return dialplan_seconds / self.speed

    def kill(self) -> None:
        """SIGKILL, like a crash: the kernel closes every socket, no goodbye frame is sent."""
        self.server.kill()

    def start(self) -> None:
        """Start (again) on the same ports and wait until AMI and ARI accept connections."""
        self.server.start()

    def pid(self) -> int:
        """The PBX's process id, for freezing it."""
        if isinstance(self.server, PbxsimProcess):
            assert self.server.process is not None, "pbxsim is not running"
            return self.server.process.pid
        pid_file = self.server.control / "var" / "run" / "asterisk" / "asterisk.pid"
        return int(pid_file.read_text().strip())

    @contextlib.contextmanager
    def frozen(self) -> Iterator[None]:
        """SIGSTOP the PBX for the block: its sockets stay open but nothing answers (a hung server)."""
        pid = self.pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(pid, signal.SIGCONT)

    def ami_client(self, secret: str = AMI_SECRET, **options: Any) -> AmiClient:
        """An AMI client for this PBX with quick reconnects (override any `AmiClient` option)."""
        settings: dict[str, Any] = {
            "ping_interval": 30.0,
            "backoff_base": 0.1,
            "backoff_max": 0.5,
            "connect_timeout": 2.0,
            "login_timeout": 5.0,
        }
        settings.update(options)
        return AmiClient("127.0.0.1", self.ami_port, AMI_USER, secret, **settings)

    def ari_link(self, **options: Any) -> AriEventLink:
        """An ARI events link for `ARI_APP` on this PBX with quick reconnects."""
        settings: dict[str, Any] = {"backoff_base": 0.1, "backoff_max": 0.5, "open_timeout": 2.0}
        settings.update(options)
        return AriEventLink.for_server(self.ari_url, ARI_USER, ARI_PASSWORD, ARI_APP, timeout=5.0, **settings)


@pytest.fixture(params=["pbxsim", "asterisk"])
def live_pbx(request: pytest.FixtureRequest) -> Iterator[LivePbx]:
    """pbxsim in a fresh process on free ports; or the real Asterisk 22, left with no calls afterwards."""
    if request.param == "asterisk":
        real = RealAsterisk.from_environment()
        if real is None:
            pytest.skip(
                "real Asterisk not configured: set CTI_TEST_ASTERISK_CONTROL to its control folder "
                "(start.sh/stop.sh), e.g. /opt/asterisk"
            )
        real.start()
        pbx = LivePbx("asterisk", real)
        try:
            yield pbx
        finally:
            real.start()  # a fault test may have killed it; start.sh is a no-op when it runs
            hang_up_every_call(pbx)
        return
    process = PbxsimProcess()
    process.start()
    try:
        yield LivePbx("pbxsim", process, speed=process.speed)
    finally:
        process.kill()


def hang_up_every_call(pbx: LivePbx, timeout: float = 15.0) -> None:
    """Hang up every Local channel and wait until the PBX reports none; fail the test if some remain."""

    async def clean() -> int:
        client = pbx.ami_client()
        await client.start()
        try:
            await asyncio.wait_for(client.wait_until_up(), 10.0)
            deadline = time.monotonic() + timeout
            while True:
                channels = await client.send_list_action("CoreShowChannels")
                if not channels.events or time.monotonic() > deadline:
                    return len(channels.events)
                with contextlib.suppress(AmiError):
                    await client.send_action("Hangup", Channel=EVERY_LOCAL_CHANNEL)
                await asyncio.sleep(0.5)
        finally:
            await client.stop()

    left = asyncio.run(clean())
    assert left == 0, f"{left} channel(s) still up on the {pbx.kind} after hanging up every Local channel"


@dataclass
class LinkObserver:
    """Everything a link hands to the core: events (with arrival times), snapshots and status changes."""

    events: list[PbxEvent] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    snapshots: list[PbxSnapshot] = field(default_factory=list)
    statuses: list[LinkStatus] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def attach(self, link: AmiClient | AriEventLink) -> LinkObserver:
        link.on_event(self._event)
        link.on_snapshot(self._snapshot)
        link.on_status(self._status)
        return self

    def _event(self, event: PbxEvent) -> None:
        self.events.append(event)
        self.arrivals.append(time.monotonic())
        self._wake()

    def _snapshot(self, snapshot: PbxSnapshot) -> None:
        self.snapshots.append(snapshot)
        self._wake()

    def _status(self, status: LinkStatus) -> None:
        self.statuses.append(status)
        self._wake()

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def states(self) -> list[LinkState]:
        return [status.state for status in self.statuses]

    async def until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        """Wait until `condition()` holds after some event, snapshot or status change."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"{what}: not seen within {timeout:g} s")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def event(self, predicate: Callable[[PbxEvent], bool], timeout: float, what: str) -> PbxEvent:
        """The first event (already seen or still to come) matching `predicate`."""
        await self.until(lambda: any(predicate(e) for e in self.events), timeout, what)
        return next(e for e in self.events if predicate(e))


@contextlib.asynccontextmanager
async def running(link: AmiClient | AriEventLink, timeout: float = 15.0) -> AsyncIterator[None]:
    """Start `link`, wait until it is UP, and stop (and close) it when the block ends."""
    await link.start()
    try:
        if isinstance(link, AmiClient):
            await asyncio.wait_for(link.wait_until_up(), timeout)
        else:
            await link.wait_until_up(timeout)
        yield
    finally:
        if isinstance(link, AriEventLink):
            await link.aclose()
        else:
            await link.stop()
