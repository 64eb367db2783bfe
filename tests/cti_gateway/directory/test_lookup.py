"""CustomerLookup: normalised numbers, a timeout that falls back, a TTL cache and coalesced requests."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from cti_gateway.directory import (
    CustomerLookup,
    CustomerRecord,
    DirectoryUnavailable,
    InMemoryCustomerDirectory,
    LookupOutcome,
)
from cti_gateway.settings import DirectorySettings

ANA = CustomerRecord("+34911234567", {"name": "Ana Pérez", "vip": True, "segment": "gold"})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingDirectory:
    """Answers from a dict, counting requests; `gate` (when set) holds every request until opened."""

    def __init__(self, *records: CustomerRecord, delay: float = 0.0) -> None:
        self.records = {record.number: record for record in records}
        self.requests: list[str] = []
        self.delay = delay
        self.gate: asyncio.Event | None = None
        self.error: Exception | None = None

    async def lookup(self, number_e164: str) -> CustomerRecord | None:
        self.requests.append(number_e164)
        if self.gate is not None:
            await self.gate.wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error is not None:
            raise self.error
        return self.records.get(number_e164)


async def test_national_and_international_forms_of_a_number_find_the_same_customer() -> None:
    lookup = CustomerLookup(InMemoryCustomerDirectory([ANA]), default_region="ES")
    assert await lookup.lookup("911 23 45 67") == ANA
    assert await lookup.lookup("0034911234567") == ANA
    assert await lookup.lookup("+34 911-234-567") == ANA


async def test_a_caller_without_a_usable_number_is_not_looked_up() -> None:
    directory = CountingDirectory(ANA)
    lookup = CustomerLookup(directory, default_region="US")
    result = await lookup.find("anonymous")
    assert result.outcome is LookupOutcome.NO_NUMBER
    assert result.record is None
    assert directory.requests == []


async def test_a_slow_directory_times_out_into_no_customer_and_is_logged() -> None:
    directory = CountingDirectory(ANA, delay=5.0)
    lookup = CustomerLookup(directory, default_region="ES", timeout=0.05)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with capture_logs() as logs:
        result = await lookup.find("+34911234567")
    assert loop.time() - started < 1.0
    assert result.outcome is LookupOutcome.UNAVAILABLE
    assert result.record is None
    assert [entry["event"] for entry in logs] == ["customer lookup timed out"]
    assert logs[0]["number"] == "+34911234567"


async def test_a_failing_directory_never_raises_into_the_call_flow() -> None:
    directory = CountingDirectory(ANA)
    directory.error = DirectoryUnavailable("CRM answered 503")
    lookup = CustomerLookup(directory, default_region="ES")
    assert await lookup.lookup("+34911234567") is None
    directory.error = RuntimeError("driver bug")
    assert (await lookup.find("+34911234567")).outcome is LookupOutcome.UNAVAILABLE


async def test_failures_are_not_cached_so_a_recovered_directory_answers_at_once() -> None:
    directory = CountingDirectory(ANA)
    directory.error = DirectoryUnavailable("down")
    lookup = CustomerLookup(directory, default_region="ES")
    assert await lookup.lookup("+34911234567") is None
    directory.error = None
    assert await lookup.lookup("+34911234567") == ANA


async def test_a_found_customer_is_cached_until_its_ttl_expires() -> None:
    clock = Clock()
    directory = CountingDirectory(ANA)
    lookup = CustomerLookup(directory, default_region="ES", cache_ttl=60, clock=clock)
    assert await lookup.lookup("+34911234567") == ANA
    clock.now += 59
    assert await lookup.lookup("911234567") == ANA
    assert directory.requests == ["+34911234567"]
    clock.now += 1
    assert await lookup.lookup("+34911234567") == ANA
    assert directory.requests == ["+34911234567", "+34911234567"]


async def test_unknown_callers_are_cached_for_a_shorter_time() -> None:
    clock = Clock()
    directory = CountingDirectory()
    lookup = CustomerLookup(directory, default_region="ES", cache_ttl=60, negative_ttl=5, clock=clock)
    assert await lookup.lookup("+34911000000") is None
    clock.now += 4.9
    assert lookup.cached("+34911000000") is not None
    assert await lookup.lookup("+34911000000") is None
    assert len(directory.requests) == 1
    clock.now += 0.1
    assert lookup.cached("+34911000000") is None
    directory.records["+34911000000"] = ANA
    assert await lookup.lookup("+34911000000") == ANA
    assert len(directory.requests) == 2


async def test_negative_ttl_defaults_to_ten_seconds_at_most() -> None:
    clock = Clock()
    directory = CountingDirectory()
    lookup = CustomerLookup(directory, default_region="ES", cache_ttl=600, clock=clock)
    await lookup.lookup("+34911000000")
    clock.now += 10
    await lookup.lookup("+34911000000")
    assert len(directory.requests) == 2


async def test_a_zero_ttl_disables_the_cache() -> None:
    directory = CountingDirectory(ANA)
    lookup = CustomerLookup(directory, default_region="ES", cache_ttl=0)
    await lookup.lookup("+34911234567")
    await lookup.lookup("+34911234567")
    assert len(directory.requests) == 2


async def test_concurrent_lookups_of_one_number_share_one_directory_request() -> None:
    directory = CountingDirectory(ANA)
    directory.gate = asyncio.Event()
    lookup = CustomerLookup(directory, default_region="ES")
    waiters = [
        asyncio.create_task(lookup.lookup(form)) for form in ("+34911234567", "911234567", "0034 911 234 567")
    ]
    await asyncio.sleep(0.01)
    assert directory.requests == ["+34911234567"]
    directory.gate.set()
    assert await asyncio.gather(*waiters) == [ANA, ANA, ANA]
    assert directory.requests == ["+34911234567"]


async def test_a_cancelled_waiter_does_not_cancel_the_shared_request() -> None:
    directory = CountingDirectory(ANA)
    directory.gate = asyncio.Event()
    lookup = CustomerLookup(directory, default_region="ES")
    first = asyncio.create_task(lookup.lookup("+34911234567"))
    second = asyncio.create_task(lookup.lookup("+34911234567"))
    await asyncio.sleep(0.01)
    first.cancel()
    directory.gate.set()
    assert await second == ANA
    assert first.cancelled()
    assert len(directory.requests) == 1


async def test_cached_answers_are_available_without_waiting() -> None:
    lookup = CustomerLookup(InMemoryCustomerDirectory([ANA]), default_region="ES")
    assert lookup.cached("+34911234567") is None
    await lookup.lookup("+34911234567")
    cached = lookup.cached("911234567")
    assert cached is not None
    assert cached.record == ANA


async def test_forget_drops_a_cached_answer() -> None:
    directory = CountingDirectory(ANA)
    lookup = CustomerLookup(directory, default_region="ES")
    await lookup.lookup("+34911234567")
    lookup.forget("911234567")
    await lookup.lookup("+34911234567")
    assert len(directory.requests) == 2


def test_from_settings_uses_the_directory_timeout_and_ttl() -> None:
    settings = DirectorySettings(kind="csv", timeout_ms=250, cache_ttl_seconds=30)
    lookup = CustomerLookup.from_settings(InMemoryCustomerDirectory(), settings, default_region="ES")
    assert lookup.timeout == 0.25
