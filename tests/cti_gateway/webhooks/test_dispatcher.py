"""The webhook dispatcher against a real SQLite outbox and a real HTTP receiver on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.storage import Database, SqlWebhookOutbox, SqlWebhookSubscriptionStore, upgrade_database
from adapters.webhooks import HttpxWebhookSender
from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookDispatcher,
    verify,
)
from tests.cti_gateway.webhooks.receiver import WebhookReceiver, webhook_receiver

SECRET = b"dispatcher-secret"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hooks.db'}"
    await upgrade_database(url)
    db = Database.from_url(url)
    yield db
    await db.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _dispatcher(
    database: Database, sender: HttpxWebhookSender, clock: Clock, **options: float
) -> WebhookDispatcher:
    return WebhookDispatcher(
        SqlWebhookOutbox(database),
        SqlWebhookSubscriptionStore(database),
        sender,
        SECRET,
        clock=clock,
        **options,  # type: ignore[arg-type]
    )


def _event(kind: EventType, call_id: str = "call-1") -> CtiEvent:
    return CtiEvent(kind, {"call_id": call_id, "state": kind.value}, call_id=call_id)


def _genuine(receiver: WebhookReceiver) -> bool:
    return all(
        verify(SECRET, int(r.headers[TIMESTAMP_HEADER.lower()]), r.headers[EVENT_ID_HEADER.lower()], r.body,
               r.headers[SIGNATURE_HEADER.lower()])
        for r in receiver.received
    )  # fmt: skip


async def test_a_delivery_answered_500_is_retried_with_the_same_event_id_and_a_valid_signature(
    database: Database,
) -> None:
    clock, sender = Clock(), HttpxWebhookSender()
    async with webhook_receiver(500) as receiver:
        dispatcher = _dispatcher(database, sender, clock, backoff_base=2.0)
        await dispatcher.subscribe("call-1", receiver.url, "token-a")
        dispatcher(_event(EventType.CALL_ANSWERED))

        await dispatcher.run_once()
        clock.now += 1.0
        assert await dispatcher.run_once() == 0  # backoff: not due yet
        clock.now += 1.5
        await dispatcher.run_once()

        assert [r.answered for r in receiver.received] == [500, 200]
        first, retry = receiver.received
        assert first.headers[EVENT_ID_HEADER.lower()] == retry.headers[EVENT_ID_HEADER.lower()]
        assert retry.headers["x-cti-delivery-attempt"] == "2"
        assert json.loads(retry.body)["type"] == "call.answered"
        assert _genuine(receiver)
    await sender.aclose()


async def test_pending_deliveries_survive_a_restart_of_the_gateway(database: Database) -> None:
    clock, sender = Clock(), HttpxWebhookSender()
    async with webhook_receiver(503) as receiver:
        before = _dispatcher(database, sender, clock, backoff_base=1.0)
        await before.subscribe("call-1", receiver.url, "token-a")
        before(_event(EventType.CALL_RINGING))
        await before.run_once()
        await before.stop()

        clock.now += 5
        after = _dispatcher(database, sender, clock)
        await after.start()
        after(_event(EventType.CALL_ENDED))  # the subscription was reloaded from the database
        await after.run_once()
        await after.stop()

        kinds = [(json.loads(r.body)["type"], r.answered) for r in receiver.received]
        assert kinds == [("call.ringing", 503), ("call.ringing", 200), ("call.ended", 200)]
        ids = [r.headers[EVENT_ID_HEADER.lower()] for r in receiver.received]
        assert ids[0] == ids[1] != ids[2]
    await sender.aclose()


async def test_a_subscription_made_after_the_call_started_gets_its_earlier_events_in_order(
    database: Database,
) -> None:
    clock, sender = Clock(), HttpxWebhookSender()
    async with webhook_receiver() as receiver:
        dispatcher = _dispatcher(database, sender, clock)
        dispatcher(_event(EventType.CALL_CREATED))
        dispatcher(_event(EventType.CALL_RINGING))
        dispatcher(_event(EventType.CALL_CREATED, "someone-else"))

        await dispatcher.subscribe("call-1", receiver.url, "token-a")
        dispatcher(_event(EventType.CALL_DATA_UPDATED))  # not a status change
        dispatcher(_event(EventType.CALL_ANSWERED))
        await dispatcher.run_once()

        assert [json.loads(r.body)["type"] for r in receiver.received] == [
            "call.created",
            "call.ringing",
            "call.answered",
        ]
    await sender.aclose()


async def test_an_unreachable_receiver_is_given_up_after_the_last_attempt(database: Database) -> None:
    clock, sender = Clock(), HttpxWebhookSender(timeout=0.5)
    dispatcher = _dispatcher(database, sender, clock, backoff_base=1.0, max_attempts=3)
    await dispatcher.subscribe("call-1", "http://127.0.0.1:9/nothing-listens", "token-a")
    dispatcher(_event(EventType.CALL_ENDED))

    for _ in range(3):
        await dispatcher.run_once()
        clock.now += 10

    outbox = SqlWebhookOutbox(database)
    assert await outbox.due(clock.now + 3600, 10) == []
    await sender.aclose()


async def test_the_delivery_loop_sends_in_the_background_once_started(database: Database) -> None:
    sender = HttpxWebhookSender()
    async with webhook_receiver() as receiver:
        dispatcher = WebhookDispatcher(
            SqlWebhookOutbox(database),
            SqlWebhookSubscriptionStore(database),
            sender,
            SECRET,
            poll_interval=0.05,
        )
        await dispatcher.start()
        await dispatcher.subscribe("call-7", receiver.url, "token-a")
        dispatcher(_event(EventType.CALL_CREATED, "call-7"))
        for _ in range(100):
            if receiver.received:
                break
            await asyncio.sleep(0.05)
        await dispatcher.stop()

        assert [json.loads(r.body)["call_id"] for r in receiver.received] == ["call-7"]
    await sender.aclose()
