"""The AMI `PbxLink`: keeps one logged-in AMI session alive and tells the core what Asterisk sees.

It connects, checks the banner, logs in with `Events: on`, asks `CoreSettings` for the Asterisk
version, resyncs (CoreShowChannels + QueueStatus → `PbxSnapshot`), pings, and on any loss
reconnects with exponential backoff and jitter, resyncing again each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import TYPE_CHECKING

from adapters.asterisk.ami.connection import AmiConnection, AmiListReply
from adapters.asterisk.ami.errors import (
    AmiActionFailed,
    AmiConnectionLost,
    AmiError,
    AmiLoginFailed,
    AmiNotConnected,
    AmiResyncFailed,
)
from adapters.asterisk.ami.protocol.actions import FieldValue
from adapters.asterisk.ami.protocol.frames import AmiMessage
from adapters.asterisk.ami.resync import build_snapshot
from adapters.link_handlers import LinkHandlers, StatusHandler
from adapters.reconnect import ReconnectBackoff
from cti_gateway.ports.pbx import (
    EventHandler,
    LinkState,
    LinkStatus,
    PbxEvent,
    PbxLink,
    PbxSource,
    SnapshotHandler,
)

log = logging.getLogger(__name__)

# PbxEvent is a frozen dataclass; on the hot path its slots are filled directly, which skips the
# generated __init__ (three object.__setattr__ calls) and halves the cost of each event.
_new_object = object.__new__
_set_event_source = vars(PbxEvent)["source"].__set__
_set_event_name = vars(PbxEvent)["name"].__set__
_set_event_fields = vars(PbxEvent)["fields"].__set__


class AmiClient:
    """A self-healing AMI session implementing the core's `PbxLink` protocol."""

    def __init__(
        self,
        host: str,
        port: int = 5038,
        username: str = "",
        secret: str = "",
        *,
        ping_interval: float = 20.0,
        ping_timeout: float = 10.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        connect_timeout: float = 10.0,
        login_timeout: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._username = username
        self._secret = secret
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._connect_timeout = connect_timeout
        self._login_timeout = login_timeout
        self._backoff = ReconnectBackoff(backoff_base, backoff_max, rng or random.Random())
        self._handlers = LinkHandlers(log, "AMI")
        self._status = LinkStatus(LinkState.DOWN, "not started")
        self._status_changed = asyncio.Event()
        self._connection: AmiConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._login_error: AmiLoginFailed | None = None
        self._held_events: list[AmiMessage] | None = None
        self._hold_on_response_to: str | None = None
        self.protocol_version: str | None = None
        self.connections_made = 0

    # PbxLink ----------------------------------------------------------------------------------

    @property
    def name(self) -> PbxSource:
        """Always "ami"."""
        return "ami"

    @property
    def status(self) -> LinkStatus:
        """Current state; `server_version` is the Asterisk version reported by CoreSettings."""
        return self._status

    def on_event(self, handler: EventHandler) -> None:
        """Call `handler` for every event, in wire order (list-action items excluded)."""
        self._handlers.add_event_handler(handler)

    def on_snapshot(self, handler: SnapshotHandler) -> None:
        """Call `handler` (sync or async) with a fresh snapshot after every (re)connect."""
        self._handlers.add_snapshot_handler(handler)

    def on_status(self, handler: StatusHandler) -> None:
        """Call `handler` on every status change (for health checks and metrics)."""
        self._handlers.add_status_handler(handler)

    async def start(self) -> None:
        """Begin connecting in the background; returns at once."""
        if self._task is None or self._task.done():
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name=f"ami-link-{self.host}:{self.port}")

    async def stop(self) -> None:
        """Log off, close the socket and stop reconnecting."""
        self._stopping = True
        connection = self._connection
        if connection is not None and connection.is_open:
            with contextlib.suppress(AmiError, TimeoutError):
                async with asyncio.timeout(1.0):
                    await connection.send_action("Logoff", {})
            connection.close()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._set_status(LinkState.DOWN, "stopped")

    # waiting and actions ----------------------------------------------------------------------

    async def wait_until_up(self) -> None:
        """Return once logged in; raise `AmiLoginFailed` if Asterisk refused the credentials instead."""
        while self._status.state is not LinkState.UP:
            if self._login_error is not None:
                raise self._login_error
            changed = self._status_changed
            await changed.wait()

    async def send_action(self, action: str, /, **fields: FieldValue) -> AmiMessage:
        """Send an action and return its response; raises `AmiActionFailed` on `Response: Error`.

        A list value repeats the header (`Variable=["A=1", "B=2"]`); a dict is sent as `name=value` entries.
        """
        return await self._open_connection(action).send_action(action, fields)

    async def send_list_action(self, action: str, /, **fields: FieldValue) -> AmiListReply:
        """Send a list action (CoreShowChannels, QueueStatus, Status …) and return response + item events."""
        return await self._open_connection(action).send_list_action(action, fields)

    def _open_connection(self, action: str) -> AmiConnection:
        connection = self._connection
        if connection is None or not connection.is_open or self._status.state is not LinkState.UP:
            raise AmiNotConnected(
                f"AMI action {action!r} not sent: the link to {self.host}:{self.port} is "
                f"{self._status.state.value} ({self._status.detail})"
            )
        return connection

    # the reconnect loop -----------------------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            self._set_status(LinkState.CONNECTING, f"connecting to {self.host}:{self.port}")
            detail = "connection closed"
            try:
                connection = await self._connect_and_log_in()
                attempt = 0
                detail = await self._serve(connection)
            except AmiLoginFailed as exc:
                self._login_error = exc
                detail = str(exc)
                self._status_changed.set()
                log.error("%s", exc)
            except (OSError, TimeoutError, AmiError) as exc:
                detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                log.warning("AMI link to %s:%s failed: %s", self.host, self.port, detail)
            finally:
                if self._connection is not None:
                    self._connection.abort()
                    self._connection = None
            if self._stopping:
                break
            delay = self._backoff.delay(attempt)
            attempt += 1
            self._set_status(LinkState.DOWN, f"{detail}; reconnecting in {delay:.1f} s")
            await asyncio.sleep(delay)

    async def _connect_and_log_in(self) -> AmiConnection:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self._connect_timeout):
            _, connection = await loop.create_connection(
                lambda: AmiConnection(self._dispatch, self._on_response), self.host, self.port
            )
        self._connection = connection
        self.connections_made += 1
        async with asyncio.timeout(self._login_timeout):
            banner = await connection.banner
            self.protocol_version = banner.protocol_version or None
            try:
                await connection.send_action(
                    "Login", {"Username": self._username, "Secret": self._secret, "Events": "on"}
                )
            except AmiActionFailed as exc:
                reason = exc.response.get("Message") or "no reason given"
                raise AmiLoginFailed(
                    f"Asterisk at {self.host}:{self.port} refused the AMI login of user {self._username!r}: "
                    f"{reason}. Check the [{self._username}] section and its secret in manager.conf, "
                    "and its permit/deny lines for this host."
                ) from None
        self._login_error = None
        return connection

    async def _serve(self, connection: AmiConnection) -> str:
        """Run one logged-in session until its socket closes; returns why it ended."""
        server_version = await self._asterisk_version(connection)
        self._set_status(
            LinkState.UP,
            f"logged in to {self.host}:{self.port} (AMI {self.protocol_version or 'unknown'})",
            server_version,
        )
        await self._resync(connection)
        keepalive = asyncio.create_task(self._keep_alive(connection))
        try:
            closed_by = await connection.closed
        finally:
            keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive
        reason = keepalive.result() if keepalive.done() and not keepalive.cancelled() else None
        if reason:
            return reason
        return f"connection closed by {self.host}:{self.port}{f' ({closed_by})' if closed_by else ''}"

    async def _asterisk_version(self, connection: AmiConnection) -> str | None:
        try:
            async with asyncio.timeout(self._login_timeout):
                settings = await connection.send_action("CoreSettings", {})
        except AmiActionFailed as exc:
            log.info("CoreSettings refused (%s); Asterisk version unknown", exc)
            return None
        return settings.get("AsteriskVersion")

    async def _resync(self, connection: AmiConnection) -> None:
        """Fetch channels and queue members; later events wait until the snapshot has been handled."""
        self._hold_on_response_to = "CoreShowChannels"
        try:
            channels_task = asyncio.ensure_future(connection.send_list_action("CoreShowChannels", {}))
            queues_task = asyncio.ensure_future(connection.send_list_action("QueueStatus", {}))
            channels, queues = await asyncio.gather(channels_task, queues_task, return_exceptions=True)
            if isinstance(channels, BaseException):
                raise AmiResyncFailed(f"CoreShowChannels failed after connecting: {channels}") from channels
            if isinstance(queues, BaseException):
                if not isinstance(queues, AmiActionFailed):
                    raise queues
                log.warning("QueueStatus failed during resync (%s); snapshot has no queue members", queues)
                queue_events: tuple[AmiMessage, ...] = ()
            else:
                queue_events = queues.events
            snapshot = build_snapshot(channels.events, queue_events)
            await self._handlers.deliver_snapshot(snapshot)
        finally:
            self._hold_on_response_to = None
            self._release_held_events()

    async def _keep_alive(self, connection: AmiConnection) -> str | None:
        """Ping every interval; no Pong in time drops the socket so that the loop reconnects."""
        while connection.is_open:
            await asyncio.sleep(self._ping_interval)
            if self._stopping:
                return None
            if connection.blocked_by_action:
                continue  # a synchronous Originate holds the whole session; silence is expected
            try:
                async with asyncio.timeout(self._ping_timeout):
                    await connection.send_action("Ping", {})
            except TimeoutError:
                log.warning("AMI Ping to %s:%s unanswered; reconnecting", self.host, self.port)
                connection.abort()
                return f"no Pong within {self._ping_timeout:g} s"
            except (AmiConnectionLost, AmiActionFailed):
                return None
        return None

    # events -----------------------------------------------------------------------------------

    def _on_response(self, action: str, response: AmiMessage) -> None:
        if action == self._hold_on_response_to and self._held_events is None:
            self._held_events = []

    def _dispatch(self, message: AmiMessage) -> None:
        held = self._held_events
        if held is not None:
            held.append(message)
            return
        event: PbxEvent = _new_object(PbxEvent)
        _set_event_source(event, "ami")
        _set_event_name(event, message.name)
        _set_event_fields(event, message.fields)
        self._handlers.emit_event(event)

    def _release_held_events(self) -> None:
        held, self._held_events = self._held_events, None
        for message in held or ():
            self._dispatch(message)

    def _set_status(self, state: LinkState, detail: str, server_version: str | None = None) -> None:
        if state is LinkState.UP or server_version is not None:
            version = server_version
        else:
            version = self._status.server_version
        self._status = LinkStatus(state, detail, version)
        changed, self._status_changed = self._status_changed, asyncio.Event()
        changed.set()
        self._handlers.announce_status(self._status)


if TYPE_CHECKING:  # mypy proves that AmiClient satisfies the core's PbxLink protocol
    _link_check: PbxLink = AmiClient("localhost")
