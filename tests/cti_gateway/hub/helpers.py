"""Principals, events and a hand-driven clock for the hub's specifications."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from cti_gateway.api.routes import ws
from cti_gateway.api.routes.ws import WebSocketOptions
from cti_gateway.auth.principal import Principal, PrincipalKind
from cti_gateway.auth.tokens import TokenAuthenticator, issue_agent_token, issue_integration_token
from cti_gateway.events.model import Audience, CtiEvent, EventType
from cti_gateway.hub import EventHub, HubLimits, Subscription
from cti_gateway.testing.store import InMemoryApiTokenStore
from tests.support.processes import free_port

EVENT_TIME = 1_700_000_000.0


class ManualClock:
    """A clock the test moves by hand, for both monotonic and wall time."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def agent(agent_id: str) -> Principal:
    return Principal(
        token_id=f"tok-{agent_id}", name=f"agent {agent_id}", kind=PrincipalKind.AGENT, agent_id=agent_id
    )


def integration(token_id: str, *scopes: str) -> Principal:
    return Principal(
        token_id=token_id, name=token_id, kind=PrincipalKind.INTEGRATION, scopes=frozenset(scopes)
    )


def ringing(call_id: str, agent_id: str, queue: str | None = None, **extra: Any) -> CtiEvent:
    return CtiEvent(
        type=EventType.CALL_RINGING,
        call_id=call_id,
        data={"call_id": call_id, "agent_id": agent_id, **extra},
        audience=Audience(frozenset({agent_id}), frozenset({queue} if queue else ())),
        ts=EVENT_TIME,
    )


def drain(subscription: Subscription) -> list[dict[str, Any]]:
    """Every frame the connection would send right now, parsed."""
    frames = []
    while (text := subscription.take()) is not None:
        frames.append(json.loads(text))
    return frames


class LiveHub:
    """A real uvicorn server on a free port serving `/ws` from a hub, with an in-memory token store."""

    def __init__(self, hub: EventHub, store: InMemoryApiTokenStore, port: int) -> None:
        self.hub = hub
        self.store = store
        self.port = port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def agent_token(self, agent_id: str) -> str:
        return (await issue_agent_token(self.store, agent_id)).secret

    async def integration_token(self, *scopes: str) -> str:
        return (await issue_integration_token(self.store, "test integration", scopes)).secret


@contextlib.asynccontextmanager
async def live_hub(
    limits: HubLimits | None = None, options: WebSocketOptions | None = None
) -> AsyncIterator[LiveHub]:
    """Serve a fresh hub over a real socket for the duration of the block."""
    store = InMemoryApiTokenStore()
    hub = EventHub(lambda principal: {"calls": []}, limits)
    app = FastAPI()
    app.include_router(ws.router)
    app.state.event_hub = hub
    app.state.authenticator = TokenAuthenticator(store, cache_seconds=0)
    app.state.ws_options = options or WebSocketOptions()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        await hub.start()
        yield LiveHub(hub, store, port)
    finally:
        await hub.stop()
        server.should_exit = True
        await asyncio.wait_for(serving, 15)
