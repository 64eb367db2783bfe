"""What every bus subscription shares: its topic, its count of known losses, closing on `async with` exit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from cti_gateway.ports.bus import BusMessage


class TopicSubscription:
    """Base of the buses' subscriptions; each bus supplies how to read the next message and how to close."""

    def __init__(self, topic: str) -> None:
        self._topic = topic
        self._lost = 0
        self._closed = False

    @property
    def topic(self) -> str:
        """The topic this subscription follows."""
        return self._topic

    @property
    def lost(self) -> int:
        """How many messages this subscription knows it missed."""
        return self._lost

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> BusMessage:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop following the topic; a pending `__anext__` ends with StopAsyncIteration."""
        self._closed = True
