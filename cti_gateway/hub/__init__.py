"""The event hub and the `/ws` protocol: numbered per-principal streams, resume, snapshots, back-pressure.

Wire it as the `EventSink` of the domain (`hub.publish`), give it a `SnapshotProvider`, run
`start()`/`stop()` with the gateway, and serve it with `cti_gateway.api.routes.ws` (docs/events.md).
"""

from cti_gateway.hub.hub import EventHub, HubLimits, HubStats, ResyncReason, SnapshotProvider
from cti_gateway.hub.protocol import CloseCode
from cti_gateway.hub.stream import DropReason, Subscription, SubscriptionDropped

__all__ = [
    "CloseCode",
    "DropReason",
    "EventHub",
    "HubLimits",
    "HubStats",
    "ResyncReason",
    "SnapshotProvider",
    "Subscription",
    "SubscriptionDropped",
]
