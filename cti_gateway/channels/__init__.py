"""Live channels as the PBX reports them: kept current from PBX events, replaced after each resync."""

from cti_gateway.channels.model import LiveChannel
from cti_gateway.channels.registry import ChannelRegistry, ResyncChanges

__all__ = ["ChannelRegistry", "LiveChannel", "ResyncChanges"]
