"""Fan-out of addressed ARI events to the WebSocket sessions of each application.

The engine calls us inline, so delivery only enqueues; each session's writer task sends in order.
`drained()` lets an HTTP handler wait until every event its request caused is on the wire, which is how
the server reproduces Asterisk sending StasisStart before the originate's 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from pbxsim.ari.routing import RoutedEvent

_log = logging.getLogger(__name__)

SendText = Callable[[str], Awaitable[None]]


class EventSession:
    """One events WebSocket: the applications it serves and its outgoing queue."""

    def __init__(self, applications: tuple[str, ...], send_text: SendText, asterisk_id: str) -> None:
        self.applications = applications
        self._send_text = send_text
        self._asterisk_id = asterisk_id
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._closed = False

    def offer(self, routed: RoutedEvent) -> None:
        """Queue the event if this session serves its application."""
        if not self._closed and routed.application in self.applications:
            self._queue.put_nowait(routed.event.render(routed.application, self._asterisk_id))

    async def pump(self) -> None:
        """Send queued events until cancelled or the socket fails."""
        while True:
            text = await self._queue.get()
            try:
                await self._send_text(text)
            except Exception:
                self._closed = True
                _log.info("events socket for %s closed while sending", ",".join(self.applications))
                self._drop_pending()
                return
            finally:
                self._queue.task_done()

    def _drop_pending(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    async def drained(self) -> None:
        """Wait until everything queued so far has been sent."""
        await self._queue.join()

    def close(self) -> None:
        """Stop accepting events and forget what is pending."""
        self._closed = True
        self._drop_pending()


class EventHub:
    """All open events sessions; `deliver` routes to them, `drained` waits for them."""

    def __init__(self) -> None:
        self._sessions: list[EventSession] = []

    def add(self, session: EventSession) -> None:
        """Start delivering to a new session."""
        self._sessions.append(session)

    def remove(self, session: EventSession) -> None:
        """Stop delivering to a session (its socket closed)."""
        session.close()
        with contextlib.suppress(ValueError):
            self._sessions.remove(session)

    def sessions_of(self, application: str) -> int:
        """How many open sessions serve `application`."""
        return sum(1 for s in self._sessions if application in s.applications)

    def deliver(self, routed_events: Iterable[RoutedEvent]) -> None:
        """Queue each event on every session of its application, in order."""
        for routed in routed_events:
            for session in self._sessions:
                session.offer(routed)

    async def drained(self, timeout: float = 1.0) -> None:
        """Wait (bounded, so a stalled client cannot block HTTP) until queued events are sent."""
        waits = [session.drained() for session in self._sessions]
        if not waits:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*waits), timeout)
