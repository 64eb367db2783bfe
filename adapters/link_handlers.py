"""The handlers registered on a PBX link, called so that a failing one never stops the link or the others."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable

from cti_gateway.ports.pbx import EventHandler, LinkStatus, PbxEvent, PbxSnapshot, SnapshotHandler

StatusHandler = Callable[[LinkStatus], None]


class LinkHandlers:
    """Event, snapshot and status handlers of one link; one added during a call joins from the next call."""

    __slots__ = ("_link", "_log", "events", "snapshots", "statuses")

    def __init__(self, log: logging.Logger, link: str) -> None:
        self._log = log
        self._link = link
        self.events: tuple[EventHandler, ...] = ()
        self.snapshots: tuple[SnapshotHandler, ...] = ()
        self.statuses: tuple[StatusHandler, ...] = ()

    def add_event_handler(self, handler: EventHandler) -> None:
        """Register `handler` for every event."""
        self.events = (*self.events, handler)

    def add_snapshot_handler(self, handler: SnapshotHandler) -> None:
        """Register `handler` (sync or async) for every snapshot."""
        self.snapshots = (*self.snapshots, handler)

    def add_status_handler(self, handler: StatusHandler) -> None:
        """Register `handler` for every status change."""
        self.statuses = (*self.statuses, handler)

    def emit_event(self, event: PbxEvent) -> None:
        """Hand `event` to every event handler, in registration order."""
        for handler in self.events:
            try:
                handler(event)
            except Exception:
                self._log.exception("%s event handler %r failed on %s", self._link, handler, event.name)

    async def deliver_snapshot(self, snapshot: PbxSnapshot) -> None:
        """Hand `snapshot` to every snapshot handler, awaiting the async ones one after the other."""
        for handler in self.snapshots:
            try:
                result = handler(snapshot)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                self._log.exception("%s snapshot handler %r failed", self._link, handler)

    def announce_status(self, status: LinkStatus) -> None:
        """Hand the new `status` to every status handler."""
        for handler in self.statuses:
            try:
                handler(status)
            except Exception:
                self._log.exception("%s status handler %r failed", self._link, handler)
