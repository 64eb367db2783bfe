"""The ARI server's shared state: the engine, subscriptions, event sessions and media tables.

`AriContext` is the one listener the ARI server puts on the engine's message bus; request handlers
reach the engine and the tables through it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pbxsim.ari.credentials import AriCredentials
from pbxsim.ari.hub import EventHub
from pbxsim.ari.media_store import MediaStore
from pbxsim.ari.routing import EventRouter
from pbxsim.engine.messages import EngineMessage
from pbxsim.engine.model import ChannelSnapshot

if TYPE_CHECKING:
    from pbxsim.engine import Engine


@dataclass(frozen=True, slots=True)
class AsteriskIdentity:
    """What `GET /asterisk/info` and every event's `asterisk_id` say about the simulated Asterisk."""

    version: str = "22.10.1"
    entity_id: str = "02:fc:00:00:00:01"
    system_name: str = "pbxsim"
    server_name: str = "Asterisk-CTI-Rig"


class AriContext:
    """Everything a request handler needs; created when the server starts, closed when it stops."""

    def __init__(
        self,
        engine: Engine,
        credentials: AriCredentials,
        identity: AsteriskIdentity | None = None,
    ) -> None:
        self.engine = engine
        self.credentials = credentials
        self.identity = identity or AsteriskIdentity()
        self.router = EventRouter(originating_app=self._originating_app)
        self.hub = EventHub()
        self.media = MediaStore()
        self.started_at = time.time()
        self.background: set[asyncio.Future[Any]] = set()
        self._subscription = engine.subscribe(self._on_message)

    def _originating_app(self, channel: ChannelSnapshot) -> str | None:
        return self.engine.channel_app(channel.id)

    def _on_message(self, message: EngineMessage) -> None:
        self.media.observe(message)
        self.hub.deliver(self.router.route(message))

    def spawn(self, work: Awaitable[Any]) -> None:
        """Keep a background task alive until it finishes (dial, DTMF, originate completion)."""
        task: asyncio.Future[Any] = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def settle(self) -> None:
        """Let the engine's immediate follow-ups run, then wait until their events are sent."""
        for _ in range(3):
            await asyncio.sleep(0)
        await self.hub.drained()

    def close(self) -> None:
        """Stop listening to the engine and cancel background work."""
        self._subscription.close()
        for task in list(self.background):
            task.cancel()
