"""`AriEventLink`: the events WebSocket of one Stasis app, self-healing, implementing the core's `PbxLink`.

After every (re)connect it asks `GET /asterisk/info` (for the version), rebuilds a `PbxSnapshot` from
`GET /channels` and `GET /bridges`, reports UP, hands the snapshot over and only then relays events, in
wire order. A lost or refused connection is retried with exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException

from adapters.asterisk.ari.client import AriClient
from adapters.asterisk.ari.errors import AriError, AriEventDecodeError, AriUnauthorized, AriUnavailable
from adapters.asterisk.ari.errors import error_for_status as _error_for_status
from adapters.asterisk.ari.events import (
    EventPredicate,
    RecentEvents,
    decode_event_leniently,
    parse_event_message,
)
from adapters.asterisk.ari.models import AriEvent
from adapters.asterisk.ari.snapshot import build_snapshot
from adapters.link_handlers import LinkHandlers, StatusHandler
from adapters.reconnect import ReconnectBackoff
from cti_gateway.ports.pbx import (
    EventHandler,
    LinkState,
    LinkStatus,
    PbxEvent,
    PbxSnapshot,
    PbxSource,
    SnapshotHandler,
)

log = logging.getLogger(__name__)

MAX_EVENT_BYTES = 16 * 1024 * 1024
"""Largest WebSocket message accepted; events with many channel variables stay far below it."""


class AriEventLink:
    """A self-healing ARI events connection for Stasis `app`, reporting `PbxEvent(source="ari")`s."""

    def __init__(
        self,
        client: AriClient,
        app: str,
        *,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        open_timeout: float = 10.0,
        ping_interval: float | None = 20.0,
        recent_seconds: float = 30.0,
        recent_max: int = 2000,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._app = app
        self._url = client.events_url(app)
        self._redacted_url = client.redacted_events_url(app)
        self._open_timeout = open_timeout
        self._ping_interval = ping_interval
        self._backoff = ReconnectBackoff(backoff_base, backoff_max, rng or random.Random())
        self._status = LinkStatus(LinkState.DOWN, "not started")
        self._handlers = LinkHandlers(log, "ARI")
        self._recent = RecentEvents(keep_seconds=recent_seconds, max_events=recent_max)
        self._task: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self.last_error: AriError | None = None
        """The reason of the latest failed (re)connect, e.g. `AriUnauthorized` for a wrong password."""
        self.connect_attempts = 0
        """How many times the WebSocket was tried since `start()`."""

    @classmethod
    def for_server(
        cls,
        base_url: str,
        username: str,
        password: str,
        app: str,
        *,
        timeout: float = 10.0,
        **options: Any,
    ) -> AriEventLink:
        """A link with its own `AriClient`, e.g. `for_server("http://127.0.0.1:8088/ari", "cti", "s", "cti")`.

        Use `link.client` for REST calls and `await link.aclose()` at shutdown.
        """
        return cls(AriClient(base_url, username, password, timeout=timeout), app, **options)

    @property
    def client(self) -> AriClient:
        """The REST client this link resyncs with; call operations through it."""
        return self._client

    @property
    def name(self) -> PbxSource:
        """Always "ari"."""
        return "ari"

    @property
    def app(self) -> str:
        """The Stasis application this link subscribes to."""
        return self._app

    @property
    def status(self) -> LinkStatus:
        """Current state; UP only with the WebSocket open, `/asterisk/info` read and the resync done."""
        return self._status

    def on_event(self, handler: EventHandler) -> None:
        """Call `handler` for every event, in wire order, with the decoded JSON as `fields`."""
        self._handlers.add_event_handler(handler)

    def on_snapshot(self, handler: SnapshotHandler) -> None:
        """Call `handler` with a fresh snapshot after every successful (re)connect."""
        self._handlers.add_snapshot_handler(handler)

    def on_status(self, handler: StatusHandler) -> None:
        """Call `handler` on every status change (for health checks and metrics)."""
        self._handlers.add_status_handler(handler)

    async def start(self) -> None:
        """Begin connecting in the background; returns at once."""
        if self._task is not None and not self._task.done():
            return
        self._task = asyncio.create_task(self._run(), name=f"ari-link-{self._app}")

    async def stop(self) -> None:
        """Disconnect and stop reconnecting."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_status(LinkState.DOWN, "stopped")

    async def aclose(self) -> None:
        """Stop the link and close its REST client's connection pool."""
        await self.stop()
        await self._client.aclose()

    async def wait_until_up(self, timeout: float) -> LinkStatus:
        """Wait for the link to be UP; raises `TimeoutError` naming the last failure when it does not."""
        try:
            await asyncio.wait_for(self._up.wait(), timeout)
        except TimeoutError:
            raise TimeoutError(f"ARI link not up after {timeout:g} s: {self._status.detail}") from None
        return self._status

    def mark(self) -> int:
        """A position in the event stream; `wait_for(..., after=mark)` then ignores older events."""
        return self._recent.mark()

    async def wait_for(
        self, predicate: EventPredicate, timeout: float = 5.0, *, after: int | None = 0
    ) -> AriEvent:
        """The first typed event matching `predicate`, even if it arrived before this call (Asterisk often
        sends StasisStart before originate's HTTP response). `after=link.mark()` taken before the request
        ignores older events; `after=None` waits for new ones only. Raises `AriEventTimeout`."""
        return await self._recent.wait_for(predicate, timeout, after=after)

    async def _run(self) -> None:
        attempt = 0
        while True:
            self._set_status(LinkState.CONNECTING, f"connecting to {self._redacted_url}")
            reached_up = False
            try:
                reached_up = await self._session()
                detail = "Asterisk closed the ARI events WebSocket"
            except AriError as exc:
                self.last_error = exc
                detail = str(exc)
                if isinstance(exc, AriUnauthorized) and "ari.conf" not in detail:
                    detail += "; check the ARI user/password in ari.conf and the gateway settings"
            except (OSError, TimeoutError, WebSocketException) as exc:
                error = AriUnavailable(
                    f"ARI events WebSocket {self._redacted_url} failed: {type(exc).__name__}: {exc}"
                )
                self.last_error = error
                detail = str(error)
            except Exception as exc:  # a bug must not end reconnection for good
                log.exception("unexpected failure in the ARI link")
                self.last_error = AriError(f"unexpected failure: {type(exc).__name__}: {exc}")
                detail = str(self.last_error)
            reached_up = reached_up or self._status.state is LinkState.UP
            self._set_status(LinkState.DOWN, detail)
            if reached_up:
                attempt = 0
            delay = self._backoff.delay(attempt)
            attempt += 1
            log.warning("ARI link down (%s); retrying in %.2f s", detail, delay)
            await asyncio.sleep(delay)

    async def _session(self) -> bool:
        """One connection from open to close; True if it reached UP."""
        self.connect_attempts += 1
        try:
            websocket = await connect(
                self._url,
                open_timeout=self._open_timeout,
                ping_interval=self._ping_interval,
                max_size=MAX_EVENT_BYTES,
            )
        except InvalidStatus as exc:
            raise _refusal(exc) from exc
        async with websocket:
            info = await self._client.asterisk.info()
            snapshot = await self._resync()
            self._set_status(LinkState.UP, f"subscribed to Stasis app {self._app}", info.version)
            await self._handlers.deliver_snapshot(snapshot)
            async for message in websocket:
                self._handle_message(message)
        return True

    async def _resync(self) -> PbxSnapshot:
        channels = await self._client.channels.list()
        bridges = await self._client.bridges.list()
        return build_snapshot(channels, bridges)

    def _handle_message(self, message: str | bytes) -> None:
        try:
            fields = parse_event_message(message)
        except AriEventDecodeError as exc:
            log.warning("ignoring ARI WebSocket message: %s", exc)
            return
        typed = decode_event_leniently(fields)
        self._recent.record(typed)
        self._handlers.emit_event(PbxEvent(source="ari", name=fields["type"], fields=fields))

    def _set_status(self, state: LinkState, detail: str, server_version: str | None = None) -> None:
        if state is LinkState.UP:
            self._up.set()
            self.last_error = None
        else:
            self._up.clear()
        if state is self._status.state and detail == self._status.detail:
            return
        self._status = LinkStatus(state, detail, server_version)
        self._handlers.announce_status(self._status)


def _refusal(exc: InvalidStatus) -> AriError:
    """The `AriError` for a refused WebSocket upgrade, with a hint an administrator can act on."""
    response = exc.response
    error = _error_for_status(response.status_code, bytes(response.body), method="GET", path="/ari/events")
    if isinstance(error, AriUnauthorized):
        return AriUnauthorized(
            f"{error.message}: Asterisk refused the ARI user/password for the events WebSocket; "
            "check ari.conf and the gateway's ARI credentials",
            status=401,
            method="GET",
            path="/ari/events",
        )
    return error
