"""What the core needs from a PBX link (AMI or ARI), whatever protocol and library carry it.

The core never imports a transport. An adapter turns wire frames into `PbxEvent`s, reports its
`LinkStatus`, and after every (re)connect hands over a `PbxSnapshot` so that the core can drop
stale channels and learn the ones it missed while the link was down.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, Protocol

PbxSource = Literal["ami", "ari"]


class LinkState(StrEnum):
    """Where a PBX link stands; only `UP` means connected *and* logged in."""

    DOWN = "down"
    CONNECTING = "connecting"
    UP = "up"


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """A link's state, why it is in it, and what the PBX said about itself."""

    state: LinkState
    detail: str = ""
    server_version: str | None = None
    since: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True)
class PbxEvent:
    """One event from the PBX: its name (`Newchannel`, `StasisStart` …) and its fields as sent."""

    source: PbxSource
    name: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChannelSnapshot:
    """A live channel as the PBX reports it during a resync."""

    unique_id: str
    name: str
    state: str
    caller_number: str = ""
    caller_name: str = ""
    connected_number: str = ""
    connected_name: str = ""
    linked_id: str = ""
    context: str = ""
    extension: str = ""
    bridge_id: str = ""
    application: str = ""


@dataclass(frozen=True, slots=True)
class QueueMemberSnapshot:
    """One member of an Asterisk queue as QueueStatus reports it."""

    queue: str
    interface: str
    name: str
    state_interface: str
    penalty: int
    paused: bool
    in_call: bool
    status: int
    paused_reason: str = ""


@dataclass(frozen=True, slots=True)
class PbxSnapshot:
    """Everything a link learned in one resync; it replaces, never merges with, what the core held."""

    source: PbxSource
    channels: tuple[ChannelSnapshot, ...]
    bridges: tuple[str, ...] = ()
    queue_members: tuple[QueueMemberSnapshot, ...] = ()
    taken_at: float = field(default_factory=time.time)


EventHandler = Callable[[PbxEvent], None]
SnapshotHandler = Callable[[PbxSnapshot], Awaitable[None] | None]


class PbxLink(Protocol):
    """A long-lived connection to the PBX that reconnects by itself and reports what it sees."""

    @property
    def name(self) -> PbxSource: ...

    @property
    def status(self) -> LinkStatus: ...

    def on_event(self, handler: EventHandler) -> None:
        """Call `handler` for every event, in wire order, on the event loop."""

    def on_snapshot(self, handler: SnapshotHandler) -> None:
        """Call `handler` with a fresh snapshot after every successful (re)connect."""

    async def start(self) -> None:
        """Begin connecting in the background; returns at once."""

    async def stop(self) -> None:
        """Disconnect and stop reconnecting."""
