"""Turn `GET /channels` and `GET /bridges` into the core's `PbxSnapshot` (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable

from adapters.asterisk.ari.models import Bridge, Channel
from cti_gateway.ports.pbx import ChannelSnapshot, PbxSnapshot


def channel_snapshot(channel: Channel, bridge_id: str = "") -> ChannelSnapshot:
    """One ARI channel in the core's words; ARI has no linkedid, so `linked_id` stays empty."""
    return ChannelSnapshot(
        unique_id=channel.id,
        name=channel.name,
        state=channel.state,
        caller_number=channel.caller.number,
        caller_name=channel.caller.name,
        connected_number=channel.connected.number,
        connected_name=channel.connected.name,
        context=channel.dialplan.context,
        extension=channel.dialplan.exten,
        bridge_id=bridge_id,
        application=channel.dialplan.app_name,
    )


def build_snapshot(channels: Iterable[Channel], bridges: Iterable[Bridge]) -> PbxSnapshot:
    """Everything live right now, each channel tagged with the bridge it sits in."""
    bridges = list(bridges)
    bridge_of = {channel_id: bridge.id for bridge in bridges for channel_id in bridge.channels}
    return PbxSnapshot(
        source="ari",
        channels=tuple(channel_snapshot(c, bridge_of.get(c.id, "")) for c in channels),
        bridges=tuple(bridge.id for bridge in bridges),
    )
