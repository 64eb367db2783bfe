"""pbxsim's simulation engine: the public surface the AMI and ARI servers build on (see CONTRACT.md)."""

from pbxsim.engine import messages
from pbxsim.engine.bus import Listener, MessageBus, Subscription
from pbxsim.engine.engine import Engine, EngineConfig, parse_callerid
from pbxsim.engine.errors import (
    BridgeNotFound,
    ChannelNotFound,
    ChannelNotInStasis,
    DialplanError,
    DuplicateId,
    EngineError,
    InvalidEndpoint,
    InvalidMediaRequest,
    PlaybackNotFound,
    QueueMemberExists,
    RecordingExists,
    RecordingNotFound,
    UnknownConference,
    UnknownQueue,
    UnknownQueueMember,
)
from pbxsim.engine.media import StoredRecording
from pbxsim.engine.messages import EngineMessage
from pbxsim.engine.model import (
    BridgeSnapshot,
    ChannelSnapshot,
    ChannelState,
    DialplanLocation,
    PartyId,
    PlaybackSnapshot,
    QueueMemberSnapshot,
    RecordingSnapshot,
    cause_text,
)
from pbxsim.engine.results import (
    ConferenceSnapshot,
    ConferenceUserSnapshot,
    OriginateOutcome,
    QueueEntrySnapshot,
    QueueSnapshot,
)
from pbxsim.engine.snoop import SnoopSession

__all__ = [
    "BridgeNotFound",
    "BridgeSnapshot",
    "ChannelNotFound",
    "ChannelNotInStasis",
    "ChannelSnapshot",
    "ChannelState",
    "ConferenceSnapshot",
    "ConferenceUserSnapshot",
    "DialplanError",
    "DialplanLocation",
    "DuplicateId",
    "Engine",
    "EngineConfig",
    "EngineError",
    "EngineMessage",
    "InvalidEndpoint",
    "InvalidMediaRequest",
    "Listener",
    "MessageBus",
    "OriginateOutcome",
    "PartyId",
    "PlaybackNotFound",
    "PlaybackSnapshot",
    "QueueEntrySnapshot",
    "QueueMemberExists",
    "QueueMemberSnapshot",
    "QueueSnapshot",
    "RecordingExists",
    "RecordingNotFound",
    "RecordingSnapshot",
    "SnoopSession",
    "StoredRecording",
    "Subscription",
    "UnknownConference",
    "UnknownQueue",
    "UnknownQueueMember",
    "cause_text",
    "messages",
    "parse_callerid",
]
