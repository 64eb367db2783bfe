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
    QueueMemberExists,
    UnknownConference,
    UnknownQueue,
    UnknownQueueMember,
)
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
    "Listener",
    "MessageBus",
    "OriginateOutcome",
    "PartyId",
    "PlaybackSnapshot",
    "QueueEntrySnapshot",
    "QueueMemberExists",
    "QueueMemberSnapshot",
    "QueueSnapshot",
    "RecordingSnapshot",
    "Subscription",
    "UnknownConference",
    "UnknownQueue",
    "UnknownQueueMember",
    "cause_text",
    "messages",
    "parse_callerid",
]
