"""The small interfaces the core owns and the adapters implement: PBX, store, bus, customer directory."""

from cti_gateway.ports.pbx import (
    ChannelSnapshot,
    EventHandler,
    LinkState,
    LinkStatus,
    PbxEvent,
    PbxLink,
    PbxSnapshot,
    QueueMemberSnapshot,
    SnapshotHandler,
)

__all__ = [
    "ChannelSnapshot",
    "EventHandler",
    "LinkState",
    "LinkStatus",
    "PbxEvent",
    "PbxLink",
    "PbxSnapshot",
    "QueueMemberSnapshot",
    "SnapshotHandler",
]
