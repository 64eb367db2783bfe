"""What the core needs from an event bus: publish to a topic, follow a topic, resume after a cursor.

One gateway uses the in-process bus; several gateway instances share Redis Streams. Either way a
subscriber sees each topic's messages in publication order, at most once per subscription, and a
loss it can detect (history trimmed, Redis restarted empty) is counted in `Subscription.lost`
and logged, never silent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

from cti_gateway.ports.pbx import LinkStatus

MAX_TOPIC_LENGTH = 200
_TOPIC_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")


class BusError(Exception):
    """Base class for event-bus failures."""


class InvalidTopic(BusError, ValueError):
    """A topic name the bus refuses: empty, too long, or with characters outside [A-Za-z0-9_.:/-]."""


class InvalidPayload(BusError, ValueError):
    """A payload that is not a JSON object of plain values."""


class InvalidCursor(BusError, ValueError):
    """An `after=` value that is not a message id of this bus."""


class BusStopped(BusError):
    """The bus was used after `stop()`."""


@dataclass(frozen=True, slots=True)
class BusMessage:
    """One message as a subscriber receives it.

    `id` is the delivery cursor: pass it as `subscribe(..., after=id)` to resume right after this
    message. `publication_id` is what `publish` returned for it; it identifies the message across
    redeliveries (on Redis the cursor is assigned by the server and can change after a replay).
    """

    id: str
    topic: str
    payload: Mapping[str, Any]
    publication_id: str


class Subscription(Protocol):
    """An endless stream of one topic's messages; use it with `async with` to fix its start point first."""

    @property
    def topic(self) -> str: ...

    @property
    def lost(self) -> int:
        """How many messages this subscription knows it missed (trimmed history, buffer overflow)."""

    def __aiter__(self) -> Subscription: ...

    async def __anext__(self) -> BusMessage: ...

    async def __aenter__(self) -> Subscription:
        """Fix the start point (now, or right after `after`) before returning."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def aclose(self) -> None:
        """Stop following the topic; a pending `__anext__` ends with StopAsyncIteration."""


class EventBus(Protocol):
    """Fan-out of gateway events to every subscriber of a topic, on this instance or on others."""

    @property
    def status(self) -> LinkStatus: ...

    async def start(self) -> None:
        """Begin connecting (if there is anything to connect to); returns at once."""

    async def stop(self) -> None:
        """Flush what can be flushed, end every subscription and disconnect."""

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        """Queue `payload` for every subscriber of `topic` and return its publication id.

        Never waits for, nor fails because of, an unreachable broker: the message is buffered
        (bounded) and sent on reconnect. Raises `InvalidTopic`/`InvalidPayload` for bad input.
        """

    def subscribe(self, topic: str, *, after: str | None = None) -> Subscription:
        """Follow `topic` from now on, or from right after the message whose `id` is `after`."""


def check_topic(topic: object) -> str:
    """Return `topic` if the bus accepts it as a topic name, else raise `InvalidTopic` saying why."""
    if not isinstance(topic, str):
        raise InvalidTopic(f"a topic must be a string, got {type(topic).__name__}")
    if len(topic) > MAX_TOPIC_LENGTH:
        raise InvalidTopic(f"topic is {len(topic)} characters long; the limit is {MAX_TOPIC_LENGTH}")
    if not _TOPIC_PATTERN.match(topic):
        raise InvalidTopic(
            f"topic {topic!r} must start with a letter or digit and use only letters, digits and _.:/-"
        )
    return topic


def encode_payload(payload: object) -> str:
    """Serialise a payload to compact JSON, or raise `InvalidPayload` saying what is wrong with it."""
    if not isinstance(payload, Mapping):
        raise InvalidPayload(f"a payload must be a mapping (JSON object), got {type(payload).__name__}")
    try:
        return json.dumps(dict(payload), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidPayload(f"payload must be plain JSON data: {exc}") from exc
