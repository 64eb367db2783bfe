"""ANI lookup for the call flow: normalise, ask the directory once, time out, cache, never raise.

A slow or broken CRM must never hold a call: every failure becomes "no customer" (logged), answers are
cached for a TTL (misses for a shorter one), and concurrent lookups of one number share one request.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from cti_gateway.directory.model import CustomerRecord
from cti_gateway.directory.numbers import InvalidPhoneNumber, to_e164
from cti_gateway.directory.port import CustomerDirectory
from cti_gateway.settings import DirectorySettings

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT_SECONDS = 0.5
DEFAULT_CACHE_TTL_SECONDS = 60.0
DEFAULT_NEGATIVE_TTL_SECONDS = 10.0
DEFAULT_MAX_CACHED_NUMBERS = 50_000


class LookupOutcome(StrEnum):
    """Why a lookup gave what it gave; desktops show "unknown caller" differently from "CRM down"."""

    FOUND = "found"
    NOT_FOUND = "not_found"
    NO_NUMBER = "no_number"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class LookupResult:
    """A lookup's answer: the record (if any), the outcome, and the number as normalised."""

    outcome: LookupOutcome
    number: str
    record: CustomerRecord | None = None


@dataclass(frozen=True, slots=True)
class _Cached:
    result: LookupResult
    expires_at: float


class CustomerLookup:
    """Looks callers up in a `CustomerDirectory` on behalf of the call flow.

    `default_region` reads national numbers; `timeout` bounds each directory request (seconds);
    `cache_ttl` keeps found customers and `negative_ttl` (default: the shorter of 10 s and
    `cache_ttl`) keeps "not found"; failures and timeouts are not cached, so a recovered CRM is
    used at once. A TTL of 0 disables that cache.
    """

    def __init__(
        self,
        directory: CustomerDirectory,
        *,
        default_region: str = "US",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        cache_ttl: float = DEFAULT_CACHE_TTL_SECONDS,
        negative_ttl: float | None = None,
        max_cached_numbers: int = DEFAULT_MAX_CACHED_NUMBERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if cache_ttl < 0 or (negative_ttl is not None and negative_ttl < 0):
            raise ValueError("cache TTLs must not be negative")
        self._directory = directory
        self._region = default_region.upper()
        self._timeout = timeout
        self._ttl = cache_ttl
        self._negative_ttl = (
            min(cache_ttl, DEFAULT_NEGATIVE_TTL_SECONDS) if negative_ttl is None else negative_ttl
        )
        self._max_cached = max(1, max_cached_numbers)
        self._clock = clock
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._in_flight: dict[str, asyncio.Task[LookupResult]] = {}

    @classmethod
    def from_settings(
        cls, directory: CustomerDirectory, settings: DirectorySettings, *, default_region: str
    ) -> CustomerLookup:
        """A lookup with the timeout and cache TTL of the `directory:` settings."""
        return cls(
            directory,
            default_region=default_region,
            timeout=settings.timeout_ms / 1000,
            cache_ttl=settings.cache_ttl_seconds,
        )

    @property
    def timeout(self) -> float:
        """Seconds one directory request may take before the caller is treated as unknown."""
        return self._timeout

    def normalise(self, number: str) -> str | None:
        """The E.164 form of `number` in this lookup's region, or None when it is no phone number."""
        try:
            return to_e164(number, self._region)
        except InvalidPhoneNumber:
            return None

    async def lookup(self, number: str) -> CustomerRecord | None:
        """The customer calling from `number` (any common format), or None; never raises."""
        return (await self.find(number)).record

    def cached(self, number: str) -> LookupResult | None:
        """The answer already known for `number` without waiting, or None when a lookup is needed."""
        normalised = self.normalise(number)
        if normalised is None:
            return LookupResult(LookupOutcome.NO_NUMBER, number.strip())
        return self._from_cache(normalised)

    async def find(self, number: str) -> LookupResult:
        """Like `lookup`, but says why there is no record (unknown, no number, directory unavailable)."""
        normalised = self.normalise(number)
        if normalised is None:
            return LookupResult(LookupOutcome.NO_NUMBER, number.strip())
        cached = self._from_cache(normalised)
        if cached is not None:
            return cached
        task = self._in_flight.get(normalised)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._ask_directory(normalised))
            self._in_flight[normalised] = task
            task.add_done_callback(lambda _: self._in_flight.pop(normalised, None))
        # Shielded: one waiter giving up (its call ended) must not cancel the others' request.
        return await asyncio.shield(task)

    def forget(self, number: str | None = None) -> None:
        """Drop one number's cached answer (after a CRM update), or every cached answer."""
        if number is None:
            self._cache.clear()
            return
        normalised = self.normalise(number)
        if normalised is not None:
            self._cache.pop(normalised, None)

    async def aclose(self) -> None:
        """Cancel lookups still in flight (at shutdown)."""
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _from_cache(self, number: str) -> LookupResult | None:
        entry = self._cache.get(number)
        if entry is None:
            return None
        if self._clock() >= entry.expires_at:
            del self._cache[number]
            return None
        return entry.result

    async def _ask_directory(self, number: str) -> LookupResult:
        try:
            async with asyncio.timeout(self._timeout):
                record = await self._directory.lookup(number)
        except TimeoutError:
            log.warning("customer lookup timed out", number=number, timeout_ms=round(self._timeout * 1000))
            return LookupResult(LookupOutcome.UNAVAILABLE, number)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning(
                "customer lookup failed", number=number, error=f"{type(exc).__name__}: {exc}", exc_info=False
            )
            return LookupResult(LookupOutcome.UNAVAILABLE, number)
        if record is not None and not isinstance(record, CustomerRecord):
            log.warning(
                "customer directory returned no CustomerRecord", number=number, got=type(record).__name__
            )
            return LookupResult(LookupOutcome.UNAVAILABLE, number)
        outcome = LookupOutcome.NOT_FOUND if record is None else LookupOutcome.FOUND
        result = LookupResult(outcome, number, record)
        self._remember(number, result)
        return result

    def _remember(self, number: str, result: LookupResult) -> None:
        ttl = self._ttl if result.outcome is LookupOutcome.FOUND else self._negative_ttl
        if ttl <= 0:
            return
        self._cache[number] = _Cached(result, self._clock() + ttl)
        self._cache.move_to_end(number)
        while len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)
