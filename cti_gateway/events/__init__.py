"""Contact-center events: what happened to calls and agents, addressed to the desktops allowed to see it."""

from cti_gateway.events.model import Audience, CtiEvent, EventSink, EventType

__all__ = ["Audience", "CtiEvent", "EventSink", "EventType"]
