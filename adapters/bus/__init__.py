"""Event-bus adapters: in-process for one gateway, Redis Streams for several sharing one Redis."""

from adapters.bus.in_process import InProcessBus, InProcessSubscription
from adapters.bus.redis_streams import RedisStreamsBus, RedisStreamsSubscription

__all__ = ["InProcessBus", "InProcessSubscription", "RedisStreamsBus", "RedisStreamsSubscription"]
