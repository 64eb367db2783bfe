"""The FastAPI application around a `Gateway`: health, REST call control and the `/ws` event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from cti_gateway import __version__
from cti_gateway.api.routes import agents, calls, health, recordings, transfers, ws
from cti_gateway.auth.tokens import TokenAuthenticator
from cti_gateway.gateway import Gateway
from cti_gateway.runtime import settle_heap


def create_app(gateway: Gateway) -> FastAPI:
    """Serve `gateway` over HTTP; the app's lifespan starts and stops it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        settle_heap()
        try:
            yield
        finally:
            await gateway.stop()

    app = FastAPI(
        title="CTI Gateway",
        version=__version__,
        description="Screen pops, call control and contact-center events for Asterisk.",
        lifespan=lifespan,
    )
    app.state.gateway = gateway
    app.state.event_hub = gateway.hub
    app.state.authenticator = TokenAuthenticator(gateway.api_tokens)
    app.state.call_control = gateway.control
    app.state.agent_roster = gateway.agent_roster
    app.state.recordings = gateway.recordings
    app.include_router(health.router)
    app.include_router(calls.router)
    app.include_router(transfers.router)
    app.include_router(agents.router)
    app.include_router(recordings.router)
    app.include_router(ws.router)
    return app
