"""The composition root: turn settings into adapters and hand them to a `Gateway` as ports.

This module and the CLI are the only places in `cti_gateway` that import `adapters`.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from adapters.asterisk.ami import AmiClient
from adapters.asterisk.ari import AriClient, AriEventLink
from adapters.asterisk.call_control import AsteriskCallControl, DialplanSettings
from adapters.asterisk.recordings import AriRecordingArchive
from adapters.bus import InProcessBus, RedisStreamsBus
from adapters.directories import open_customer_directory
from adapters.storage import (
    Database,
    SqlAgentStore,
    SqlApiTokenStore,
    SqlCallRecordStore,
    SqlIdempotencyStore,
    SqlRecordingOwners,
    SqlWebhookOutbox,
    SqlWebhookSubscriptionStore,
    WriteBehindCallRecordStore,
    database_status,
    upgrade_database,
)
from adapters.webhooks import HttpxWebhookSender
from cti_gateway.agents import AgentRoster, AgentStateService
from cti_gateway.call_control.service import CallControlService
from cti_gateway.calls import CallTracker
from cti_gateway.directory import CustomerLookup
from cti_gateway.events import CtiEvent, EventSink
from cti_gateway.gateway import DATABASE_MIGRATING, Gateway, Hook
from cti_gateway.hub import EventHub, HubLimits
from cti_gateway.ports.bus import EventBus
from cti_gateway.recordings import RecordingService
from cti_gateway.screen_pops import AgentDirectory, ScreenPopService
from cti_gateway.settings import Settings
from cti_gateway.webhooks import WebhookDispatcher

log = structlog.get_logger(__name__)

MIGRATION_RETRY_SECONDS = 5.0


async def build_gateway(settings: Settings) -> Gateway:
    """Wire the adapters named by `settings`; nothing connects to Asterisk until `Gateway.start()`.

    Raises the directory's own error (a missing CSV file, a bad column) so that start-up fails with it.
    """
    ami = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_username,
        settings.ami_secret.get_secret_value(),
        ping_interval=settings.ami_ping_interval,
        backoff_base=settings.reconnect_backoff_base,
        backoff_max=settings.reconnect_backoff_max,
    )
    ari_client = AriClient(
        str(settings.ari_url).rstrip("/"), settings.ari_username, settings.ari_password.get_secret_value()
    )
    ari = AriEventLink(
        ari_client,
        settings.ari_app,
        backoff_base=settings.reconnect_backoff_base,
        backoff_max=settings.reconnect_backoff_max,
    )
    database = Database.from_url(settings.database_url)
    call_records = WriteBehindCallRecordStore(SqlCallRecordStore(database))
    bus: EventBus = RedisStreamsBus(settings.redis_url) if settings.redis_url else InProcessBus()
    migrations = _Migrations(settings.database_url)
    hub = EventHub(
        limits=HubLimits(
            buffer_seconds=settings.event_buffer_seconds,
            buffer_max_events=settings.event_buffer_max_events,
            max_pending=settings.ws_max_pending,
        )
    )
    on_start: list[Hook] = [migrations.start, call_records.start]
    on_stop: list[Hook] = []

    webhooks: WebhookDispatcher | None = None
    sink: EventSink = hub.publish
    if settings.webhook_secret is not None:
        sender = HttpxWebhookSender()
        webhooks = WebhookDispatcher(
            SqlWebhookOutbox(database),
            SqlWebhookSubscriptionStore(database),
            sender,
            settings.webhook_secret.get_secret_value().encode(),
        )
        sink = _fan_out(hub.publish, webhooks)
        on_start.append(_after(migrations, webhooks.start))

    agents = AgentDirectory(settings.agents)
    lookup: CustomerLookup | None = None
    if settings.directory is not None:
        directory = await open_customer_directory(settings.directory, default_region=settings.default_region)
        lookup = CustomerLookup.from_settings(
            directory, settings.directory, default_region=settings.default_region
        )
    pops = ScreenPopService(lookup, forward=sink)
    agent_states = AgentStateService(agents.agent_for, forward=pops)  # states are never held by lookups
    tracker = CallTracker(agent_states, agents.agent_for)
    pops.bind(tracker)
    agent_states.bind(tracker)
    roster = AgentRoster(
        agents, SqlAgentStore(database), agent_states, settings_agent_ids=[a.id for a in settings.agents]
    )
    on_start.append(_after(migrations, roster.start))
    on_stop.append(roster.stop)
    on_stop.append(pops.aclose)
    if lookup is not None:
        on_stop += [lookup.aclose, directory.aclose]
    if webhooks is not None:
        on_stop += [webhooks.stop, sender.aclose]

    recording_owners = SqlRecordingOwners(database)
    control = CallControlService(
        pbx=AsteriskCallControl(
            ami,
            DialplanSettings(
                outbound_context=settings.outbound_context,
                transfer_context=settings.transfer_context,
                e164_prefix=settings.e164_prefix,
                recording_directory=settings.recording_directory,
                conference_context=settings.conference_context,
                conference_room_prefix=settings.conference_room_prefix,
                atxfer_swap_digits=settings.atxfer_swap_digits,
            ),
        ),
        calls=tracker,
        endpoint_for_agent=lambda agent_id: agent.endpoint if (agent := agents.get(agent_id)) else None,
        idempotency=SqlIdempotencyStore(database),
        webhooks=webhooks,
        recording_owners=recording_owners,
        default_region=settings.default_region,
    )

    async def probe_database() -> str:
        if not migrations.finished:
            return DATABASE_MIGRATING
        return await database_status(database)

    async def close_storage() -> None:
        await migrations.stop()
        await call_records.stop()
        await ari.aclose()
        await database.dispose()

    return Gateway(
        ami=ami,
        ari=ari,
        bus=bus,
        call_records=call_records,
        api_tokens=SqlApiTokenStore(database),
        database_probe=probe_database,
        hub=hub,
        calls=tracker,
        agents=agents,
        control=control,
        recordings=RecordingService(AriRecordingArchive(ari_client), recording_owners),
        agent_states=agent_states,
        agent_roster=roster,
        on_start=on_start,
        on_stop=[*on_stop, close_storage],
    )


def _fan_out(*sinks: EventSink) -> EventSink:
    def publish(event: CtiEvent) -> None:
        for sink in sinks:
            sink(event)

    return publish


def _after(migrations: _Migrations, hook: Hook) -> Hook:
    async def run() -> None:
        await migrations.done()
        await hook()

    return run


class _Migrations:
    """Bring the schema to head at start-up, retrying in the background while the database is away."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._upgrade_until_done(), name="database-migrations")

    @property
    def finished(self) -> bool:
        return self._task is not None and self._task.done() and not self._task.cancelled()

    async def done(self) -> None:
        """Wait (briefly) for the schema, so that stores used right after start-up find their tables."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _upgrade_until_done(self) -> None:
        while True:
            try:
                await upgrade_database(self._url)
            except Exception as exc:
                log.warning("database migration failed; retrying", error=str(exc))
                await asyncio.sleep(MIGRATION_RETRY_SECONDS)
            else:
                log.info("database schema at head")
                return
