"""`AriServer`: the simulated Asterisk's ARI on a loopback HTTP/WebSocket port, run by uvicorn in-process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

import uvicorn

from pbxsim.ari.app import build_ari_app
from pbxsim.ari.context import AriContext, AsteriskIdentity
from pbxsim.ari.credentials import AriCredentials

if TYPE_CHECKING:
    from pbxsim.engine import Engine

_log = logging.getLogger(__name__)


class AriServerError(RuntimeError):
    """The ARI server could not start (port taken, started twice …)."""


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its process-wide signal handlers: the host program owns Ctrl-C."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class AriServer:
    """ARI for `engine` at `http://host:port/ari`; port 0 picks a free port (see `port` after start)."""

    def __init__(
        self,
        engine: Engine,
        *,
        host: str = "127.0.0.1",
        port: int = 8088,
        username: str = "cti",
        password: str = "cti-secret",
        identity: AsteriskIdentity | None = None,
    ) -> None:
        self._engine = engine
        self._host = host
        self._requested_port = port
        self._credentials = AriCredentials(username, password)
        self._identity = identity
        self._context: AriContext | None = None
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """The bound port (meaningful after `start`)."""
        if self._socket is None:
            return self._requested_port
        return int(self._socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:<port>/ari`."""
        return f"http://{self._host}:{self.port}/ari"

    @property
    def events_url(self) -> str:
        """`ws://127.0.0.1:<port>/ari/events` (add `?app=…&api_key=…`)."""
        return f"ws://{self._host}:{self.port}/ari/events"

    async def start(self) -> None:
        """Bind the port and begin serving; returns once connections are accepted."""
        if self._task is not None:
            raise AriServerError("ARI server already started")
        try:
            listener = socket.create_server((self._host, self._requested_port), reuse_port=False)
        except OSError as error:
            raise AriServerError(
                f"cannot listen on {self._host}:{self._requested_port} for ARI: {error.strerror}"
            ) from error
        self._socket = listener
        self._context = AriContext(self._engine, self._credentials, self._identity)
        config = uvicorn.Config(
            build_ari_app(self._context),
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
            access_log=False,
            ws="websockets-sansio",
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[listener]))
        while not self._server.started:
            if self._task.done():
                await self._task
                raise AriServerError("ARI server stopped while starting")
            await asyncio.sleep(0.005)
        _log.info("ARI listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close every socket and stop serving; safe to call twice."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._context is not None:
            self._context.close()
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._task = None
        self._context = None

    async def __aenter__(self) -> AriServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
