"""The behaviour every `EventBus` promises, checked on the in-process bus and on Redis Streams alike."""

from __future__ import annotations

import asyncio

import pytest

from cti_gateway.ports.bus import (
    BusMessage,
    BusStopped,
    EventBus,
    InvalidCursor,
    InvalidPayload,
    InvalidTopic,
    Subscription,
)
from cti_gateway.ports.pbx import LinkState


async def next_message(subscription: Subscription, within: float = 5.0) -> BusMessage:
    async with asyncio.timeout(within):
        return await anext(subscription)


async def take(subscription: Subscription, count: int, within: float = 5.0) -> list[BusMessage]:
    return [await next_message(subscription, within) for _ in range(count)]


async def eventually_up(bus: EventBus) -> None:
    async with asyncio.timeout(5):
        while bus.status.state is not LinkState.UP:
            await asyncio.sleep(0.02)


async def test_a_subscriber_gets_what_is_published_after_it_subscribed_in_order(bus: EventBus) -> None:
    async with bus.subscribe("calls") as calls:
        published = [
            await bus.publish("calls", {"event": "ringing", "call_id": "1717407015.42", "n": n})
            for n in range(5)
        ]

        received = await take(calls, 5)

    assert [m.payload for m in received] == [
        {"event": "ringing", "call_id": "1717407015.42", "n": n} for n in range(5)
    ]
    assert [m.publication_id for m in received] == published
    assert {m.topic for m in received} == {"calls"}


async def test_a_new_subscriber_does_not_see_messages_published_before_it(bus: EventBus) -> None:
    await bus.publish("calls", {"n": "old"})
    await _settle(bus)

    async with bus.subscribe("calls") as calls:
        await bus.publish("calls", {"n": "new"})

        assert (await next_message(calls)).payload == {"n": "new"}


async def test_resuming_after_an_id_delivers_exactly_the_later_messages(bus: EventBus) -> None:
    async with bus.subscribe("agents") as first_run:
        for n in range(6):
            await bus.publish("agents", {"n": n})
        seen = await take(first_run, 3)

    async with bus.subscribe("agents", after=seen[-1].id) as resumed:
        rest = await take(resumed, 3)

    assert [m.payload["n"] for m in rest] == [3, 4, 5]


async def test_every_subscriber_of_a_topic_gets_every_message(bus: EventBus) -> None:
    async with bus.subscribe("queues") as desk, bus.subscribe("queues") as wallboard:
        for n in range(3):
            await bus.publish("queues", {"n": n})

        assert [m.payload["n"] for m in await take(desk, 3)] == [0, 1, 2]
        assert [m.payload["n"] for m in await take(wallboard, 3)] == [0, 1, 2]


async def test_topics_do_not_leak_into_each_other(bus: EventBus) -> None:
    async with bus.subscribe("calls") as calls:
        await bus.publish("agents", {"agent": "1001"})
        await bus.publish("calls", {"call": "1"})

        assert (await next_message(calls)).payload == {"call": "1"}


async def test_a_quiet_topic_keeps_the_subscriber_waiting_until_something_arrives(bus: EventBus) -> None:
    async with bus.subscribe("calls") as calls:
        with pytest.raises(TimeoutError):
            await next_message(calls, within=0.3)
        await bus.publish("calls", {"after": "the wait"})

        assert (await next_message(calls)).payload == {"after": "the wait"}


async def test_closing_a_subscription_ends_a_pending_wait(bus: EventBus) -> None:
    calls = bus.subscribe("calls")
    await calls.__aenter__()
    waiting = asyncio.ensure_future(anext(calls))
    await asyncio.sleep(0.1)

    await calls.aclose()

    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 5)


async def test_stopping_the_bus_ends_its_subscriptions_and_refuses_new_messages(bus: EventBus) -> None:
    calls = bus.subscribe("calls")
    await calls.__aenter__()
    waiting = asyncio.ensure_future(anext(calls))
    await asyncio.sleep(0.1)

    await bus.stop()

    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(waiting, 5)
    with pytest.raises(BusStopped):
        await bus.publish("calls", {"too": "late"})


async def test_the_bus_reports_itself_up_once_started(bus: EventBus) -> None:
    await eventually_up(bus)

    assert bus.status.state is LinkState.UP


@pytest.mark.parametrize(
    ("topic", "complaint"),
    [
        ("", "must start with a letter or digit"),
        ("calls\r\nx", "must start with a letter or digit"),
        ("calls queue", "must start with a letter or digit"),
        ("~epoch", "must start with a letter or digit"),
        ("x" * 201, "the limit is 200"),
    ],
)
async def test_a_bad_topic_is_refused_with_the_rule_it_breaks(
    bus: EventBus, topic: str, complaint: str
) -> None:
    with pytest.raises(InvalidTopic, match=complaint):
        await bus.publish(topic, {"n": 1})


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        (["not", "a", "mapping"], "must be a mapping"),
        ({"when": object()}, "must be plain JSON data"),
        ({"ratio": float("nan")}, "must be plain JSON data"),
    ],
)
async def test_a_payload_that_is_not_plain_json_is_refused_and_nothing_is_sent(
    bus: EventBus, payload: object, complaint: str
) -> None:
    async with bus.subscribe("calls") as calls:
        with pytest.raises(InvalidPayload, match=complaint):
            await bus.publish("calls", payload)  # type: ignore[arg-type]
        await bus.publish("calls", {"n": "good"})

        assert (await next_message(calls)).payload == {"n": "good"}


async def test_a_cursor_from_elsewhere_is_refused(bus: EventBus) -> None:
    with pytest.raises(InvalidCursor):
        bus.subscribe("calls", after="last-tuesday")


async def _settle(bus: EventBus) -> None:
    """Let a write-behind bus hand its buffer to the broker, so "before" really is before."""
    flush = getattr(bus, "flush", None)
    if flush is not None:
        assert await flush(timeout=5)
