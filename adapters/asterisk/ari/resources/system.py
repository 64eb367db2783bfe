"""`/asterisk` and `/applications`: who the server is (for readiness) and what our Stasis app sees."""

from __future__ import annotations

import builtins

from adapters.asterisk.ari.inputs import path_segment
from adapters.asterisk.ari.models import Application, AsteriskInfo
from adapters.asterisk.ari.resources._decode import as_model, as_models
from adapters.asterisk.ari.rest import AriRest


class AsteriskSystem:
    """Server-wide information."""

    def __init__(self, rest: AriRest) -> None:
        self._rest = rest

    async def info(self) -> AsteriskInfo:
        """`GET /asterisk/info`; `.version` feeds `LinkStatus.server_version` and `/readyz`."""
        return as_model(AsteriskInfo, await self._rest.call("GET", "/asterisk/info"), "GET /asterisk/info")


class Applications:
    """Stasis applications registered by WebSocket clients."""

    def __init__(self, rest: AriRest) -> None:
        self._rest = rest

    async def list(self) -> builtins.list[Application]:
        """Every registered Stasis application."""
        return as_models(Application, await self._rest.call("GET", "/applications"), "GET /applications")

    async def get(self, name: str) -> Application:
        """One application and the channels/bridges it is subscribed to."""
        path = f"/applications/{path_segment(name, 'application name')}"
        return as_model(Application, await self._rest.call("GET", path), "GET /applications/{name}")
