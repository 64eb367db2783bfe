"""Track which channels are live from the PBX's own events, and correct the picture after a resync.

Only `Newchannel` (or a resync) creates a channel, and `Hangup` removes it. Updates for unknown
channels are ignored, so late events after a Hangup cannot bring a dead channel back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cti_gateway.channels.model import LiveChannel
from cti_gateway.ports.pbx import PbxEvent, PbxSnapshot

UNKNOWN = "<unknown>"


@dataclass(frozen=True, slots=True)
class ResyncChanges:
    """What a resync corrected: channels the registry held that had gone, and ones it had missed."""

    dropped: tuple[str, ...]
    added: tuple[str, ...]


def _text(fields: Mapping[str, Any], header: str) -> str | None:
    value = fields.get(header)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0]
    return "" if value == UNKNOWN else str(value)


class ChannelRegistry:
    """Live channels by Uniqueid; feed it every `PbxEvent` and every `PbxSnapshot`."""

    def __init__(self) -> None:
        self._channels: dict[str, LiveChannel] = {}
        self._handlers: dict[str, Callable[[Mapping[str, Any]], None]] = {
            "Newchannel": self._new_channel,
            "Newstate": self._update_from_channel_block,
            "NewCallerid": self._update_from_channel_block,
            "NewConnectedLine": self._update_from_channel_block,
            "Newexten": self._new_extension,
            "BridgeEnter": self._bridge_enter,
            "BridgeLeave": self._bridge_leave,
            "Hangup": self._hangup,
            "Rename": self._rename,
        }

    def __len__(self) -> int:
        return len(self._channels)

    def __iter__(self) -> Iterator[LiveChannel]:
        return iter(list(self._channels.values()))

    def __contains__(self, unique_id: object) -> bool:
        return unique_id in self._channels

    def get(self, unique_id: str) -> LiveChannel | None:
        """The live channel with this Uniqueid, if any."""
        return self._channels.get(unique_id)

    def by_name(self, name: str) -> LiveChannel | None:
        """The live channel with this name (e.g. `Local/2001@customers-000000ae;1`), if any."""
        return next((channel for channel in self._channels.values() if channel.name == name), None)

    def apply(self, event: PbxEvent) -> None:
        """Update the registry from one event; events that do not concern channels are ignored."""
        handler = self._handlers.get(event.name)
        if handler is not None:
            handler(event.fields)

    __call__ = apply

    def replace_with(self, snapshot: PbxSnapshot) -> ResyncChanges:
        """Make the registry exactly the snapshot's channels; reports what was dropped and added."""
        fresh = {channel.unique_id: LiveChannel.from_snapshot(channel) for channel in snapshot.channels}
        dropped = tuple(unique_id for unique_id in self._channels if unique_id not in fresh)
        added = tuple(unique_id for unique_id in fresh if unique_id not in self._channels)
        self._channels = fresh
        return ResyncChanges(dropped=dropped, added=added)

    # event handlers ---------------------------------------------------------------------------

    def _new_channel(self, fields: Mapping[str, Any]) -> None:
        unique_id = _text(fields, "Uniqueid")
        if not unique_id:
            return
        channel = LiveChannel(unique_id=unique_id, name=_text(fields, "Channel") or "", state="")
        self._channels[unique_id] = channel
        self._copy_channel_block(channel, fields)

    def _update_from_channel_block(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid") or "")
        if channel is not None:
            self._copy_channel_block(channel, fields)

    def _new_extension(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid") or "")
        if channel is not None:
            self._copy_channel_block(channel, fields)
            application = _text(fields, "Application")
            if application is not None:
                channel.application = application

    def _bridge_enter(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid") or "")
        if channel is not None:
            self._copy_channel_block(channel, fields)
            channel.bridge_id = _text(fields, "BridgeUniqueid") or ""

    def _bridge_leave(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid") or "")
        if channel is not None and channel.bridge_id == (_text(fields, "BridgeUniqueid") or ""):
            channel.bridge_id = ""

    def _hangup(self, fields: Mapping[str, Any]) -> None:
        self._channels.pop(_text(fields, "Uniqueid") or "", None)

    def _rename(self, fields: Mapping[str, Any]) -> None:
        channel = self._channels.get(_text(fields, "Uniqueid") or "")
        new_name = _text(fields, "Newname")
        if channel is not None and new_name:
            channel.name = new_name

    @staticmethod
    def _copy_channel_block(channel: LiveChannel, fields: Mapping[str, Any]) -> None:
        for attribute, header in _CHANNEL_BLOCK:
            value = _text(fields, header)
            if value is not None:
                setattr(channel, attribute, value)


_CHANNEL_BLOCK = (
    ("name", "Channel"),
    ("state", "ChannelStateDesc"),
    ("caller_number", "CallerIDNum"),
    ("caller_name", "CallerIDName"),
    ("connected_number", "ConnectedLineNum"),
    ("connected_name", "ConnectedLineName"),
    ("linked_id", "Linkedid"),
    ("context", "Context"),
    ("extension", "Exten"),
)
