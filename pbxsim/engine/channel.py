"""The engine's live, mutable channel and bridge objects (listeners only ever see their snapshots)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

from pbxsim.engine.model import (
    BridgeSnapshot,
    ChannelSnapshot,
    ChannelState,
    DialplanLocation,
    PartyId,
)


@dataclass(eq=False)
class DialAttempt:
    """A caller (or an originate, caller None) ringing one Local `;1` channel."""

    caller: Channel | None
    peer: Channel
    dialstring: str
    outcome: asyncio.Future[str]
    rang: bool = False
    on_ringing: Callable[[], None] | None = None
    on_answer: Callable[[], None] | None = None

    def resolve(self, status: str) -> None:
        """Settle the attempt once (ANSWER, BUSY, CONGESTION, NOANSWER, CHANUNAVAIL)."""
        if not self.outcome.done():
            self.outcome.set_result(status)


@dataclass(eq=False)
class Channel:
    """One live channel; `peer` is the other half of a Local pair, `half` is 1 or 2 (0 otherwise)."""

    id: str
    name: str
    state: ChannelState
    creation_time: float
    linkedid: str
    context: str
    exten: str
    priority: int = 1
    app_name: str = ""
    app_data: str = ""
    caller: PartyId = field(default_factory=PartyId)
    connected: PartyId = field(default_factory=PartyId)
    language: str = "en"
    accountcode: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    peer: Channel | None = None
    half: int = 0
    device: str = ""
    bridge: Bridge | None = None
    stasis_app: str | None = None
    stasis_args: tuple[str, ...] = ()
    target_app: str | None = None
    hangupcause: int = 0
    hangup_requested: bool = False
    soft_hangup_published: bool = False
    ended: bool = False
    in_pbx: bool = False
    runner: asyncio.Task[None] | None = None
    redirect_to: tuple[str, str, int] | None = None
    dial_attempt: DialAttempt | None = None
    owner_wakeup: asyncio.Event | None = None
    moh_class: str | None = None
    gosub_stack: list[tuple[str, str, int]] = field(default_factory=list)
    answer_time: float | None = None
    cdr_segments: list[dict[str, str]] = field(default_factory=list)
    is_dial_peer: bool = False
    mixmonitor_file: str | None = None
    mixmonitor_started_at: float = 0.0
    held: bool = False
    interrupted: asyncio.Event = field(default_factory=asyncio.Event)
    stasis_released: asyncio.Event = field(default_factory=asyncio.Event)
    dtmf_buffer: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    last_app: str = ""
    on_end: list[Callable[[], None]] = field(default_factory=list)
    redirect_announced: bool = False
    muted: set[str] = field(default_factory=set)
    last_data: str = ""

    def snapshot(self) -> ChannelSnapshot:
        """Freeze the channel's current look for a message or a query."""
        return ChannelSnapshot(
            id=self.id,
            name=self.name,
            state=self.state,
            caller=self.caller,
            connected=self.connected,
            dialplan=DialplanLocation(self.context, self.exten, self.priority, self.app_name, self.app_data),
            creation_time=self.creation_time,
            linkedid=self.linkedid,
            language=self.language,
            accountcode=self.accountcode,
            variables=MappingProxyType(dict(self.variables)),
            bridge_id=self.bridge.id if self.bridge is not None else None,
            stasis_app=self.stasis_app,
        )

    def lookup_variable(self, name: str) -> str | None:
        """A channel variable by name, also finding inherited `_NAME`/`__NAME` copies."""
        for key in (name, f"_{name}", f"__{name}"):
            if key in self.variables:
                return self.variables[key]
        return None


@dataclass(eq=False)
class Bridge:
    """A live bridge; `channels` keeps join order."""

    id: str
    technology: str
    bridge_type: str
    bridge_class: str
    creator: str
    name: str
    creation_time: float
    channels: list[Channel] = field(default_factory=list)
    video_mode: str = "none"
    moh_class: str | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    # An attended transfer put this channel in place of the party the bridge's owner dialed (transfers.py).
    handover: Channel | None = None

    def snapshot(self) -> BridgeSnapshot:
        """Freeze the bridge's current look."""
        return BridgeSnapshot(
            id=self.id,
            technology=self.technology,
            bridge_type=self.bridge_type,
            bridge_class=self.bridge_class,
            creator=self.creator,
            name=self.name,
            channel_ids=tuple(c.id for c in self.channels),
            creation_time=self.creation_time,
            video_mode=self.video_mode,
        )
