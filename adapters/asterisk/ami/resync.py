"""Turn the CoreShowChannels and QueueStatus lists into the `PbxSnapshot` the core resyncs from."""

from __future__ import annotations

from collections.abc import Iterable

from adapters.asterisk.ami.protocol.frames import AmiMessage
from cti_gateway.ports.pbx import ChannelSnapshot, PbxSnapshot, QueueMemberSnapshot

UNKNOWN = "<unknown>"


def _text(message: AmiMessage, header: str) -> str:
    value = message.get(header, "") or ""
    return "" if value == UNKNOWN else value


def _number(message: AmiMessage, header: str) -> int:
    try:
        return int(message.get(header, "0") or "0")
    except ValueError:
        return 0


def channel_from_core_show_channel(event: AmiMessage) -> ChannelSnapshot:
    """One `CoreShowChannel` list item as a channel snapshot; `<unknown>` caller ids become empty."""
    return ChannelSnapshot(
        unique_id=_text(event, "Uniqueid"),
        name=_text(event, "Channel"),
        state=_text(event, "ChannelStateDesc"),
        caller_number=_text(event, "CallerIDNum"),
        caller_name=_text(event, "CallerIDName"),
        connected_number=_text(event, "ConnectedLineNum"),
        connected_name=_text(event, "ConnectedLineName"),
        linked_id=_text(event, "Linkedid"),
        context=_text(event, "Context"),
        extension=_text(event, "Exten"),
        bridge_id=_text(event, "BridgeId"),
        application=_text(event, "Application"),
    )


def queue_member_from_event(event: AmiMessage) -> QueueMemberSnapshot:
    """One `QueueMember` item of a QueueStatus reply."""
    return QueueMemberSnapshot(
        queue=_text(event, "Queue"),
        interface=_text(event, "Location"),
        name=_text(event, "Name"),
        state_interface=_text(event, "StateInterface"),
        penalty=_number(event, "Penalty"),
        paused=_text(event, "Paused") == "1",
        in_call=_text(event, "InCall") == "1",
        status=_number(event, "Status"),
        paused_reason=_text(event, "PausedReason"),
    )


def build_snapshot(channel_events: Iterable[AmiMessage], queue_events: Iterable[AmiMessage]) -> PbxSnapshot:
    """A snapshot from the items of CoreShowChannels and QueueStatus (other item kinds are ignored)."""
    channels = tuple(
        channel_from_core_show_channel(event) for event in channel_events if event.name == "CoreShowChannel"
    )
    members = tuple(queue_member_from_event(event) for event in queue_events if event.name == "QueueMember")
    bridges = tuple(sorted({channel.bridge_id for channel in channels if channel.bridge_id}))
    return PbxSnapshot(source="ami", channels=channels, bridges=bridges, queue_members=members)
