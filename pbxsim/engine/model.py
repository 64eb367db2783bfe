"""Snapshots of the simulated PBX's channels, bridges, playbacks and recordings.

Snapshots are frozen: the engine hands them out in every message, so listeners (the AMI and ARI
servers) can render them later without racing the engine's own mutation of the live objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from types import MappingProxyType


class ChannelState(IntEnum):
    """Asterisk's channel states with their AMI numbers (`ChannelState: 6` is Up)."""

    DOWN = 0
    RSRVD = 1
    OFFHOOK = 2
    DIALING = 3
    RING = 4
    RINGING = 5
    UP = 6
    BUSY = 7

    @property
    def description(self) -> str:
        """The text Asterisk prints (`ChannelStateDesc`, ARI `state`)."""
        return _STATE_TEXT[self]


_STATE_TEXT = {
    ChannelState.DOWN: "Down",
    ChannelState.RSRVD: "Rsrvd",
    ChannelState.OFFHOOK: "OffHook",
    ChannelState.DIALING: "Dialing",
    ChannelState.RING: "Ring",
    ChannelState.RINGING: "Ringing",
    ChannelState.UP: "Up",
    ChannelState.BUSY: "Busy",
}


class HangupCause(IntEnum):
    """The Q.850 causes the simulated dialplan produces."""

    NOT_DEFINED = 0
    UNALLOCATED = 1
    NORMAL_CLEARING = 16
    USER_BUSY = 17
    NO_USER_RESPONSE = 18
    NO_ANSWER = 19
    CALL_REJECTED = 21
    CONGESTION = 34

    @property
    def text(self) -> str:
        """Asterisk's `Cause-txt` / ARI `cause_txt` for the cause."""
        return HANGUP_CAUSE_TEXT.get(int(self), "Unknown")


HANGUP_CAUSE_TEXT: Mapping[int, str] = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    16: "Normal Clearing",
    17: "User busy",
    18: "No user responding",
    19: "User alerting, no answer",
    21: "Call Rejected",
    34: "Circuit/channel congestion",
}


def cause_text(cause: int) -> str:
    """Asterisk's text for any numeric cause (`Unknown` when it has none)."""
    return HANGUP_CAUSE_TEXT.get(cause, "Unknown")


@dataclass(frozen=True, slots=True)
class PartyId:
    """A caller id or connected-line id; empty strings mean Asterisk's `<unknown>`."""

    number: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class DialplanLocation:
    """Where a channel is in the dialplan and which application it runs there."""

    context: str = ""
    exten: str = ""
    priority: int = 1
    app_name: str = ""
    app_data: str = ""


@dataclass(frozen=True, slots=True)
class ChannelSnapshot:
    """A channel as it was when a message was published (`id` is the Asterisk uniqueid)."""

    id: str
    name: str
    state: ChannelState
    caller: PartyId
    connected: PartyId
    dialplan: DialplanLocation
    creation_time: float
    linkedid: str
    language: str = "en"
    accountcode: str = ""
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    bridge_id: str | None = None
    stasis_app: str | None = None

    @property
    def technology(self) -> str:
        """`Local`, `Snoop`, `Announcer` …: the part of the name before the first slash."""
        return self.name.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class BridgeSnapshot:
    """A bridge (mixing or holding) with the uniqueids of the channels in it, in join order."""

    id: str
    technology: str
    bridge_type: str
    bridge_class: str
    creator: str
    name: str
    channel_ids: tuple[str, ...]
    creation_time: float
    video_mode: str = "talker"

    @property
    def num_channels(self) -> int:
        """How many channels are in the bridge."""
        return len(self.channel_ids)


@dataclass(frozen=True, slots=True)
class PlaybackSnapshot:
    """A media playback on a channel or bridge (`target_uri` is `channel:<id>` or `bridge:<id>`)."""

    id: str
    media_uri: str
    target_uri: str
    language: str
    state: str  # queued | playing | done | failed | cancelled


@dataclass(frozen=True, slots=True)
class RecordingSnapshot:
    """A live or finished recording (`target_uri` is `channel:<id>` or `bridge:<id>`)."""

    name: str
    format: str
    target_uri: str
    state: str  # queued | recording | paused | done | failed | canceled
    duration: int = 0
    talking_duration: int = 0
    silence_duration: int = 0
    cause: str = ""


@dataclass(frozen=True, slots=True)
class QueueMemberSnapshot:
    """One app_queue member as QueueStatus/QueueMember events describe it."""

    queue: str
    interface: str
    member_name: str
    state_interface: str
    membership: str  # static | dynamic
    penalty: int
    calls_taken: int
    last_call: int
    last_pause: int
    login_time: int
    in_call: bool
    status: int
    paused: bool
    paused_reason: str
    wrapup: int = 0
    ringinuse: bool = False
