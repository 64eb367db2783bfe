"""The engine's message bus: every listener sees every message, in publication order, synchronously.

Synchronous delivery is deliberate: the AMI and ARI servers must render a message before the engine
mutates the state it describes, and ordering across listeners must match publication order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from pbxsim.engine.messages import EngineMessage

Listener = Callable[[EngineMessage], None]

_log = logging.getLogger(__name__)


class Subscription:
    """A handle that stops delivery to one listener when closed."""

    def __init__(self, bus: MessageBus, listener: Listener) -> None:
        self._bus = bus
        self._listener = listener

    def close(self) -> None:
        """Stop receiving messages; closing twice is harmless."""
        self._bus._remove(self._listener)


class MessageBus:
    """Fan-out of engine messages to listeners; a failing listener is logged and never stops the others."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Subscription:
        """Deliver every later message to `listener` (called inline, must not block)."""
        self._listeners.append(listener)
        return Subscription(self, listener)

    def publish(self, message: EngineMessage) -> None:
        """Hand `message` to every listener in subscription order."""
        for listener in tuple(self._listeners):
            try:
                listener(message)
            except Exception:
                _log.exception("engine listener failed on %s", type(message).__name__)

    def _remove(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
