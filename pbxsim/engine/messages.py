"""Typed messages the engine publishes, one class per kind of thing that happened.

They play the part of Asterisk's stasis messages: the AMI server turns them into AMI events and the
ARI server into ARI events. Every message carries `timestamp` (epoch seconds, engine clock) and the
snapshots as they were at that instant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pbxsim.engine.model import (
    BridgeSnapshot,
    ChannelSnapshot,
    PlaybackSnapshot,
    QueueMemberSnapshot,
    RecordingSnapshot,
)

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineMessage:
    """Base of every published message."""

    timestamp: float


# --- channels -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelCreated(EngineMessage):
    """A channel came into being (AMI Newchannel, ARI ChannelCreated)."""

    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelStateChanged(EngineMessage):
    """The channel state changed (AMI Newstate, ARI ChannelStateChange)."""

    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelDialplanEntered(EngineMessage):
    """The channel runs a dialplan priority, named in `channel.dialplan` (Newexten; ARI ChannelDialplan)."""

    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelVarSet(EngineMessage):
    """A variable was set; `channel` is None for a global (AMI VarSet, ARI ChannelVarset)."""

    channel: ChannelSnapshot | None
    variable: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelCallerIdChanged(EngineMessage):
    """Caller id changed (AMI NewCallerid, ARI ChannelCallerId)."""

    channel: ChannelSnapshot
    caller_presentation: int = 0
    caller_presentation_txt: str = "Presentation Allowed, Not Screened"


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelConnectedLineChanged(EngineMessage):
    """Connected line changed (AMI NewConnectedLine, ARI ChannelConnectedLine)."""

    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHangupRequested(EngineMessage):
    """Someone asked the channel to hang up; `soft` for internal soft hangups (AMI SoftHangupRequest)
    versus explicit requests (AMI HangupRequest, ARI ChannelHangupRequest)."""

    channel: ChannelSnapshot
    cause: int
    soft: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEnded(EngineMessage):
    """The channel is gone (AMI Hangup, ARI ChannelDestroyed)."""

    channel: ChannelSnapshot
    cause: int
    cause_txt: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalChannelsPaired(EngineMessage):
    """The two halves of a Local channel were created and joined (AMI LocalBridge)."""

    one: ChannelSnapshot
    two: ChannelSnapshot
    context: str
    exten: str
    local_optimization: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStateChanged(EngineMessage):
    """A device (`Local/1001@agents`, `Queue:sales`) changed state (AMI DeviceStateChange)."""

    device: str
    state: str  # NOT_INUSE | INUSE | BUSY | RINGING | RINGINUSE | ONHOLD | UNAVAILABLE | UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)
class CdrPosted(EngineMessage):
    """A call detail record was written for a channel (AMI Cdr); `fields` in AMI order."""

    fields: Headers


# --- dialing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DialBegun(EngineMessage):
    """A dial attempt started; `caller` is None for originates (AMI DialBegin, ARI Dial)."""

    caller: ChannelSnapshot | None
    peer: ChannelSnapshot
    dialstring: str
    forward: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class DialStateChanged(EngineMessage):
    """Progress of a dial attempt such as RINGING (AMI DialState, ARI Dial with dialstatus)."""

    caller: ChannelSnapshot | None
    peer: ChannelSnapshot
    dialstatus: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DialEnded(EngineMessage):
    """A dial attempt ended: ANSWER, BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL (AMI DialEnd)."""

    caller: ChannelSnapshot | None
    peer: ChannelSnapshot
    dialstatus: str
    forward: str = ""


# --- bridges ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeCreated(EngineMessage):
    """A bridge was created (AMI BridgeCreate, ARI BridgeCreated)."""

    bridge: BridgeSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeDestroyed(EngineMessage):
    """A bridge was destroyed (AMI BridgeDestroy, ARI BridgeDestroyed)."""

    bridge: BridgeSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelEnteredBridge(EngineMessage):
    """A channel joined a bridge (AMI BridgeEnter, ARI ChannelEnteredBridge)."""

    bridge: BridgeSnapshot
    channel: ChannelSnapshot
    swap_uniqueid: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelLeftBridge(EngineMessage):
    """A channel left a bridge (AMI BridgeLeave, ARI ChannelLeftBridge)."""

    bridge: BridgeSnapshot
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgesMerged(EngineMessage):
    """`source` was merged into `target` (AMI BridgeMerge, ARI BridgeMerged)."""

    target: BridgeSnapshot
    source: BridgeSnapshot


# --- media --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfBegun(EngineMessage):
    """A DTMF digit started (AMI DTMFBegin)."""

    channel: ChannelSnapshot
    digit: str
    direction: str  # Received | Sent


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfEnded(EngineMessage):
    """A DTMF digit ended (AMI DTMFEnd; ARI ChannelDtmfReceived when direction is Received)."""

    channel: ChannelSnapshot
    digit: str
    duration_ms: int
    direction: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackStarted(EngineMessage):
    """A playback started (ARI PlaybackStarted)."""

    playback: PlaybackSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackFinished(EngineMessage):
    """A playback finished; `playback.state` is done, failed or cancelled (ARI PlaybackFinished)."""

    playback: PlaybackSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingStarted(EngineMessage):
    """A recording started (ARI RecordingStarted)."""

    recording: RecordingSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFinished(EngineMessage):
    """A recording finished (ARI RecordingFinished)."""

    recording: RecordingSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class MusicOnHoldStarted(EngineMessage):
    """Music on hold started on a channel (AMI MusicOnHoldStart)."""

    channel: ChannelSnapshot
    moh_class: str = "default"


@dataclass(frozen=True, slots=True, kw_only=True)
class MusicOnHoldStopped(EngineMessage):
    """Music on hold stopped on a channel (AMI MusicOnHoldStop)."""

    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelHeld(EngineMessage):
    """A bridge feature put the channel on hold (AMI Hold, ARI ChannelHold)."""

    channel: ChannelSnapshot
    moh_class: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelUnheld(EngineMessage):
    """The channel was taken off hold (AMI Unhold, ARI ChannelUnhold)."""

    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class MixMonitorStarted(EngineMessage):
    """MixMonitor began recording a channel (AMI MixMonitorStart)."""

    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class MixMonitorStopped(EngineMessage):
    """MixMonitor stopped recording a channel (AMI MixMonitorStop)."""

    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class MixMonitorMuted(EngineMessage):
    """A MixMonitor direction was muted or unmuted (AMI MixMonitorMute)."""

    channel: ChannelSnapshot
    direction: str
    state: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ChanSpyStarted(EngineMessage):
    """A spy channel started listening (AMI ChanSpyStart)."""

    spyer: ChannelSnapshot
    spyee: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ChanSpyStopped(EngineMessage):
    """A spy channel stopped listening (AMI ChanSpyStop)."""

    spyer: ChannelSnapshot
    spyee: ChannelSnapshot | None


# --- transfers ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class BlindTransferred(EngineMessage):
    """A blind transfer happened (AMI BlindTransfer, ARI BridgeBlindTransfer)."""

    result: str
    transferer: ChannelSnapshot
    transferee: ChannelSnapshot | None
    bridge: BridgeSnapshot | None
    is_external: bool
    context: str
    extension: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AttendedTransferred(EngineMessage):
    """An attended transfer completed (AMI AttendedTransfer, ARI BridgeAttendedTransfer)."""

    result: str
    original_transferer: ChannelSnapshot
    original_bridge: BridgeSnapshot | None
    secondary_transferer: ChannelSnapshot
    secondary_bridge: BridgeSnapshot | None
    transferee: ChannelSnapshot | None
    transfer_target: ChannelSnapshot | None
    dest_type: str = "Bridge"
    dest_bridge_id: str = ""
    is_external: bool = False


# --- app_queue ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerJoined(EngineMessage):
    """A caller entered a queue (AMI QueueCallerJoin)."""

    queue: str
    caller: ChannelSnapshot
    position: int
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerLeft(EngineMessage):
    """A caller left a queue, answered or not (AMI QueueCallerLeave)."""

    queue: str
    caller: ChannelSnapshot
    position: int
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueCallerAbandoned(EngineMessage):
    """A caller hung up or timed out before an agent answered (AMI QueueCallerAbandon)."""

    queue: str
    caller: ChannelSnapshot
    position: int
    original_position: int
    hold_time: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCalled(EngineMessage):
    """A member's phone is being rung for a queue caller (AMI AgentCalled)."""

    queue: str
    caller: ChannelSnapshot
    agent_channel: ChannelSnapshot
    member: QueueMemberSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConnected(EngineMessage):
    """A member answered and is connected to the caller (AMI AgentConnect)."""

    queue: str
    caller: ChannelSnapshot
    agent_channel: ChannelSnapshot
    member: QueueMemberSnapshot
    hold_time: int
    ring_time: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCompleted(EngineMessage):
    """A queue call ended; `reason` is caller, agent or transfer (AMI AgentComplete)."""

    queue: str
    caller: ChannelSnapshot | None
    agent_channel: ChannelSnapshot | None
    member: QueueMemberSnapshot
    hold_time: int
    talk_time: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentRingNoAnswer(EngineMessage):
    """A member rang out without answering (AMI AgentRingNoAnswer)."""

    queue: str
    caller: ChannelSnapshot
    agent_channel: ChannelSnapshot
    member: QueueMemberSnapshot
    ring_time_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueMemberChanged(EngineMessage):
    """A member was added, removed, paused, re-penalised or changed status.

    `kind` is one of Status, Added, Removed, Pause, Penalty, Ringinuse (AMI QueueMember<kind>)."""

    kind: str
    member: QueueMemberSnapshot


# --- conference ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfbridgeChanged(EngineMessage):
    """A ConfBridge conference event; `kind` is Start, End, Join, Leave, Mute, Unmute, Talking.

    `channel` is None for Start/End; `admin` tells whether the user has the admin profile."""

    kind: str
    conference: str
    bridge: BridgeSnapshot
    channel: ChannelSnapshot | None = None
    admin: bool = False
    muted: bool = False


# --- user events, parking, stasis ---------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class UserEventRaised(EngineMessage):
    """UserEvent() from dialplan or the AMI UserEvent action; `headers` keep order and repeats."""

    name: str
    channel: ChannelSnapshot | None
    headers: Headers = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ParkedCallChanged(EngineMessage):
    """A parked call event; `kind` is ParkedCall, ParkedCallGiveUp, ParkedCallTimeOut, UnParkedCall."""

    kind: str
    parkee: ChannelSnapshot
    parker_dial_string: str
    parking_lot: str
    parking_space: str
    timeout: int
    duration: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StasisStarted(EngineMessage):
    """A channel entered a Stasis application (ARI StasisStart)."""

    app: str
    args: tuple[str, ...]
    channel: ChannelSnapshot
    replace_channel: ChannelSnapshot | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StasisEnded(EngineMessage):
    """A channel left its Stasis application (ARI StasisEnd)."""

    app: str
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationMoveFailed(EngineMessage):
    """A move to another Stasis app failed because that app is not registered (ARI ApplicationMoveFailed)."""

    app: str
    destination: str
    args: tuple[str, ...]
    channel: ChannelSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class OriginateCompleted(EngineMessage):
    """An originate finished: `reason` is Asterisk's Originate Reason (4 answered, 5 busy, 3 no answer,
    8 congestion, 0 failed/rejected/unallocated, 1 other)."""

    request_id: str
    reason: int
    channel: ChannelSnapshot | None
    requested: str
    context: str = ""
    exten: str = ""
    application: str = ""
    data: str = ""
    caller: tuple[str, str] = field(default=("", ""))
