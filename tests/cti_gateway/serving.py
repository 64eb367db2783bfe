"""Serve a gateway with uvicorn on a real port, as `cti-gateway serve` runs it, for WebSocket tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import uvicorn

from cti_gateway.api.app import create_app
from cti_gateway.gateway import Gateway
from cti_gateway.settings import Settings
from cti_gateway.wiring import build_gateway
from tests.support.processes import free_port


@dataclass
class Served:
    """A gateway answering on 127.0.0.1:`port`, and an HTTP client for it."""

    gateway: Gateway
    port: int
    http: httpx.AsyncClient


@contextlib.asynccontextmanager
async def serve_gateway(settings: Settings, *, timeout: float = 30.0) -> AsyncIterator[Served]:
    """Build the gateway as `serve` does and serve it until it is ready for desktops.

    Ready for desktops means `/readyz` says ready and the database is `ok`: tokens can be checked.
    """
    gateway = await build_gateway(settings)
    port = free_port()
    config = uvicorn.Config(
        create_app(gateway),
        host="127.0.0.1",
        port=port,
        log_config=None,
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")
    try:
        async with asyncio.timeout(timeout):
            while not server.started:
                assert not serving.done(), "uvicorn stopped while starting"
                await asyncio.sleep(0.05)
            while not _ready_for_desktops((await http.get("/readyz")).json()):
                await asyncio.sleep(0.1)
        yield Served(gateway, port, http)
    finally:
        await http.aclose()
        server.should_exit = True
        await serving


def _ready_for_desktops(readiness: dict[str, object]) -> bool:
    return bool(readiness["ready"]) and readiness["database"] == "ok"
