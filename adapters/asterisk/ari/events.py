"""Sans-I/O handling of ARI WebSocket messages: text → dict → typed event, and a memory of recent events.

The memory exists because Asterisk often sends the event a request causes *before* the HTTP response of
that request (StasisStart before originate's 200, wire INDEX item 27): a caller that starts waiting after
the response must still find it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from adapters.asterisk.ari.errors import AriEventDecodeError, AriEventTimeout
from adapters.asterisk.ari.models.events import EVENT_MODELS, AriEvent, GenericEvent

EventPredicate = Callable[[AriEvent], bool]


def parse_event_message(text: str | bytes) -> dict[str, Any]:
    """The JSON object of one WebSocket message; raises `AriEventDecodeError` if it is not one."""
    try:
        decoded = json.loads(text)
    except ValueError as exc:
        raise AriEventDecodeError(f"ARI WebSocket message is not JSON ({exc}): {str(text)[:120]!r}") from exc
    if not isinstance(decoded, dict):
        raise AriEventDecodeError(f"ARI WebSocket message is not a JSON object: {str(text)[:120]!r}")
    if not isinstance(decoded.get("type"), str):
        raise AriEventDecodeError(f"ARI WebSocket message has no string 'type': {str(text)[:120]!r}")
    return decoded


def decode_event(data: Mapping[str, Any]) -> AriEvent:
    """The typed model of one event dict; unknown types give `GenericEvent`, malformed known ones raise."""
    event_type = data.get("type")
    if not isinstance(event_type, str):
        raise AriEventDecodeError(f"ARI event has no string 'type' field: {dict(data)!r:.200}")
    model = EVENT_MODELS.get(event_type, GenericEvent)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise AriEventDecodeError(f"ARI {event_type} event does not match its Swagger model: {exc}") from exc


def decode_event_leniently(data: Mapping[str, Any]) -> AriEvent:
    """Like `decode_event`, but a malformed known event falls back to `GenericEvent` so nothing is lost."""
    try:
        return decode_event(data)
    except AriEventDecodeError:
        return GenericEvent.model_validate(data)


@dataclass(frozen=True, slots=True)
class _Recorded:
    seq: int
    at: float
    event: AriEvent


@dataclass(slots=True)
class _Waiter:
    predicate: EventPredicate
    future: asyncio.Future[AriEvent]


class RecentEvents:
    """The last events seen (bounded in count and age), and the callers waiting for one to match."""

    def __init__(
        self,
        *,
        keep_seconds: float = 30.0,
        max_events: int = 2000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keep_seconds = keep_seconds
        self._events: deque[_Recorded] = deque(maxlen=max_events)
        self._waiters: list[_Waiter] = []
        self._clock = clock
        self._seq = itertools.count(1)
        self._last_seq = 0

    def mark(self) -> int:
        """A position in the event stream; pass it as `after` to ignore everything seen up to now."""
        return self._last_seq

    def record(self, event: AriEvent) -> None:
        """Remember `event` and wake every waiter whose predicate it matches."""
        self._last_seq = next(self._seq)
        self._events.append(_Recorded(self._last_seq, self._clock(), event))
        self._forget_old()
        still_waiting = []
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            if _matches(waiter.predicate, event):
                waiter.future.set_result(event)
            else:
                still_waiting.append(waiter)
        self._waiters = still_waiting

    def find(self, predicate: EventPredicate, *, after: int = 0) -> AriEvent | None:
        """The oldest remembered event after mark `after` that matches, if any."""
        self._forget_old()
        for recorded in self._events:
            if recorded.seq > after and _matches(predicate, recorded.event):
                return recorded.event
        return None

    async def wait_for(self, predicate: EventPredicate, timeout: float, *, after: int | None = 0) -> AriEvent:
        """The first matching event, already seen (after mark `after`; None: new ones only) or to come."""
        if after is not None:
            found = self.find(predicate, after=after)
            if found is not None:
                return found
        future: asyncio.Future[AriEvent] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(predicate, future)
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AriEventTimeout(f"no matching ARI event arrived within {timeout:g} s") from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _forget_old(self) -> None:
        horizon = self._clock() - self._keep_seconds
        while self._events and self._events[0].at < horizon:
            self._events.popleft()


def _matches(predicate: EventPredicate, event: AriEvent) -> bool:
    """A predicate that raises (e.g. on a field this event type lacks) simply does not match."""
    try:
        return bool(predicate(event))
    except (AttributeError, KeyError, TypeError, ValueError):
        return False
