"""Redis Streams specifics: several gateway instances, a Redis killed mid-stream, trimmed history."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from adapters.bus import RedisStreamsBus
from cti_gateway.ports.bus import BusMessage
from cti_gateway.ports.pbx import LinkState

from .conftest import SHARED_REDIS_URL, PrivateRedis, fast_redis_bus

pytestmark = pytest.mark.redis


async def collect(
    subscription: object, count: int, within: float, into: list[BusMessage] | None = None
) -> list[BusMessage]:
    received: list[BusMessage] = [] if into is None else into
    async with asyncio.timeout(within):
        async for message in subscription:  # type: ignore[attr-defined]
            received.append(message)
            if len(received) == count:
                break
    return received


async def test_two_gateway_instances_on_one_redis_see_each_others_messages(shared_redis_prefix: str) -> None:
    east = fast_redis_bus(SHARED_REDIS_URL, shared_redis_prefix)
    west = fast_redis_bus(SHARED_REDIS_URL, shared_redis_prefix)
    await east.start()
    await west.start()
    try:
        async with east.subscribe("agents") as on_east, west.subscribe("agents") as on_west:
            east_ids = [await east.publish("agents", {"from": "east", "n": n}) for n in range(3)]
            west_ids = [await west.publish("agents", {"from": "west", "n": n}) for n in range(3)]

            seen_on_east = await collect(on_east, 6, within=5)
            seen_on_west = await collect(on_west, 6, within=5)
    finally:
        await east.stop()
        await west.stop()

    for seen in (seen_on_east, seen_on_west):
        ids = [m.publication_id for m in seen]
        assert sorted(ids) == sorted(east_ids + west_ids)
        assert [i for i in ids if i in east_ids] == east_ids, "each publisher's order is kept"
        assert [i for i in ids if i in west_ids] == west_ids
    assert [m.id for m in seen_on_east] == [m.id for m in seen_on_west], "one stream, one order for all"


@pytest.mark.slow
async def test_every_message_arrives_exactly_once_across_a_redis_kill_and_restart(
    private_redis: PrivateRedis,
) -> None:
    publisher = fast_redis_bus(private_redis.url, "cti:")
    listener = fast_redis_bus(private_redis.url, "cti:")
    await publisher.start()
    await listener.start()
    total, kill_after = 300, 100
    published: list[str] = []
    states_seen: set[LinkState] = set()
    received: list[BusMessage] = []
    try:
        async with listener.subscribe("calls") as calls:
            consumer = asyncio.create_task(collect(calls, total, within=60, into=received))
            for n in range(total):
                published.append(await publisher.publish("calls", {"call_id": f"c{n}", "n": n}))
                if n == kill_after:
                    await publisher.flush(timeout=5)
                    await asyncio.sleep(0.3)  # the listener is blocked in XREAD right now
                    received_at_kill = len(received)
                    private_redis.kill()
                    restart = asyncio.create_task(private_redis.restart_after(1.0))
                states_seen.add(publisher.status.state)
                await asyncio.sleep(0.01)
            await restart
            await consumer
            lost = calls.lost
    finally:
        await publisher.stop()
        await listener.stop()

    assert LinkState.DOWN in states_seen, "the outage should have been noticed"
    assert 0 < received_at_kill < total, "the kill must land mid-stream"
    assert [m.publication_id for m in received] == published
    assert [m.payload["n"] for m in received] == list(range(total))
    assert lost == 0
    assert publisher.dropped == 0


@pytest.mark.slow
async def test_a_subscriber_that_was_behind_when_redis_died_still_gets_every_message_once(
    private_redis: PrivateRedis,
) -> None:
    publisher = fast_redis_bus(private_redis.url, "cti:")
    listener = fast_redis_bus(private_redis.url, "cti:")
    await publisher.start()
    await listener.start()
    try:
        async with listener.subscribe("calls") as calls:
            published = [await publisher.publish("calls", {"n": n}) for n in range(5)]
            received = await collect(calls, 5, within=5)
            # The consumer is busy: 200 messages are acknowledged by Redis but nobody has read them.
            published += [await publisher.publish("calls", {"n": n}) for n in range(5, 205)]
            assert await publisher.flush(timeout=5)

            private_redis.kill()
            await asyncio.sleep(0.5)
            published += [await publisher.publish("calls", {"n": n}) for n in range(205, 215)]
            private_redis.start()

            received += await collect(calls, 210, within=30)
            with pytest.raises(TimeoutError):
                await collect(calls, 1, within=1.0)  # and nothing twice
            lost = calls.lost
    finally:
        await publisher.stop()
        await listener.stop()

    assert [m.publication_id for m in received] == published
    assert lost == 0


@pytest.mark.slow
async def test_messages_acknowledged_just_before_a_kill_are_replayed_to_the_new_redis(
    private_redis: PrivateRedis,
) -> None:
    publisher = fast_redis_bus(private_redis.url, "cti:")
    await publisher.start()
    try:
        for n in range(20):
            await publisher.publish("calls", {"n": n})
        assert await publisher.flush(timeout=5)

        private_redis.kill()
        await asyncio.sleep(0.3)
        during_outage = time.monotonic()
        for n in range(20, 30):
            await publisher.publish("calls", {"n": n})
        assert time.monotonic() - during_outage < 0.5, "publishing must not wait for Redis"
        assert publisher.status.state is LinkState.DOWN
        assert publisher.buffered == 10
        private_redis.start()
        assert await publisher.flush(timeout=10)

        check = Redis.from_url(private_redis.url)
        try:
            entries = await check.xrange("cti:calls")
        finally:
            await check.aclose()
    finally:
        await publisher.stop()

    assert [int(fields[b"s"]) for _, fields in entries] == list(range(1, 31))


async def test_a_subscriber_left_behind_by_trimming_counts_what_it_missed(shared_redis_prefix: str) -> None:
    bus = fast_redis_bus(SHARED_REDIS_URL, shared_redis_prefix, maxlen=10)
    await bus.start()
    try:
        async with bus.subscribe("calls") as calls:
            await bus.publish("calls", {"n": 0})
            first = await collect(calls, 1, within=5)
            for n in range(1, 500):
                await bus.publish("calls", {"n": n})
            assert await bus.flush(timeout=5)
            await asyncio.sleep(0.3)
            rest: list[BusMessage] = []
            while True:
                try:
                    rest += await collect(calls, 1, within=0.5)
                except TimeoutError:
                    break
            lost = calls.lost
    finally:
        await bus.stop()

    assert first[0].payload == {"n": 0}
    assert rest[-1].payload == {"n": 499}
    assert lost > 0
    assert len(rest) + lost == 499, "every message is either delivered or counted as lost"


def test_a_url_that_is_not_redis_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must start with redis://"):
        RedisStreamsBus("http://127.0.0.1:6379")
