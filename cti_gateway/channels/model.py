"""One live PBX channel, updated in place as its events arrive."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from cti_gateway.ports.pbx import ChannelSnapshot


@dataclass(slots=True)
class LiveChannel:
    """A channel that exists on the PBX right now; caller ids are empty when Asterisk says `<unknown>`."""

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

    @classmethod
    def from_snapshot(cls, snapshot: ChannelSnapshot) -> LiveChannel:
        """A live channel learned from a resync."""
        return cls(**asdict(snapshot))

    def to_snapshot(self) -> ChannelSnapshot:
        """An immutable copy, e.g. to compare with a resync or to publish."""
        return ChannelSnapshot(**asdict(self))
