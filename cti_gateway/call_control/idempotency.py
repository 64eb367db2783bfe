"""Idempotency keys for POST /calls: the same key twice places one call and replays the first answer.

Keys are scoped per token, so two integrations can never collide, and stored with the request's
fingerprint: the same key with a different body is refused rather than silently replayed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from cti_gateway.call_control.errors import InvalidField

_KEY = re.compile(r"[!-~]{1,255}\Z")
DEFAULT_KEY_LIFETIME = timedelta(hours=24)


def check_idempotency_key(key: str) -> str:
    """1-255 printable ASCII characters without spaces (a UUID is ideal); raises `InvalidField`."""
    if not _KEY.match(key):
        raise InvalidField("Idempotency-Key", "must be 1-255 printable ASCII characters without spaces")
    return key


def request_fingerprint(body: Mapping[str, Any]) -> str:
    """A stable hash of a request body, to notice a key reused for a different request."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The answer given to the first request with a key; later requests with that key get it again."""

    status_code: int
    body: Mapping[str, Any]


class ClaimOutcome(StrEnum):
    NEW = "new"
    """Nobody used the key yet: go ahead, then `complete` (or `release` if nothing happened)."""
    REPLAY = "replay"
    """The key was used for the same request, which finished: answer with `response`."""
    IN_PROGRESS = "in_progress"
    """The same request is still running (or crashed mid-way): do not place a second call."""
    MISMATCH = "mismatch"
    """The key was used for a different request body."""


@dataclass(frozen=True, slots=True)
class Claim:
    outcome: ClaimOutcome
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    """Where keys and first answers are kept; the SQL store makes them survive a gateway restart."""

    async def claim(self, scope: str, key: str, fingerprint: str, now: datetime) -> Claim:
        """Atomically take `key` for this request, or say why it cannot be taken."""

    async def complete(self, scope: str, key: str, response: StoredResponse, now: datetime) -> None:
        """Remember the answer given for `key`."""

    async def release(self, scope: str, key: str) -> None:
        """Forget a claimed key whose request did nothing (refused before reaching the PBX)."""

    async def purge(self, older_than: datetime) -> int:
        """Drop keys claimed before `older_than`; returns how many."""


class InMemoryIdempotencyStore:
    """Keys in a dict: for tests and single-process demos (lost on restart)."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], tuple[str, datetime, StoredResponse | None]] = {}

    async def claim(self, scope: str, key: str, fingerprint: str, now: datetime) -> Claim:
        held = self._keys.get((scope, key))
        if held is None:
            self._keys[(scope, key)] = (fingerprint, now, None)
            return Claim(ClaimOutcome.NEW)
        held_fingerprint, _, response = held
        if held_fingerprint != fingerprint:
            return Claim(ClaimOutcome.MISMATCH)
        if response is None:
            return Claim(ClaimOutcome.IN_PROGRESS)
        return Claim(ClaimOutcome.REPLAY, response)

    async def complete(self, scope: str, key: str, response: StoredResponse, now: datetime) -> None:
        fingerprint, claimed_at, _ = self._keys[(scope, key)]
        self._keys[(scope, key)] = (fingerprint, claimed_at, response)

    async def release(self, scope: str, key: str) -> None:
        self._keys.pop((scope, key), None)

    async def purge(self, older_than: datetime) -> int:
        stale = [k for k, (_, claimed_at, _) in self._keys.items() if claimed_at < older_than]
        for k in stale:
            del self._keys[k]
        return len(stale)
