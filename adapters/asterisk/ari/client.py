"""`AriClient`: the ARI REST operations grouped by resource, plus the events WebSocket address."""

from __future__ import annotations

from types import TracebackType
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from adapters.asterisk.ari.errors import AriInvalidInput
from adapters.asterisk.ari.inputs import check_text
from adapters.asterisk.ari.resources import (
    Applications,
    AsteriskSystem,
    Bridges,
    Channels,
    Playbacks,
    Recordings,
)
from adapters.asterisk.ari.rest import AriRest


class AriClient:
    """REST client for one Asterisk, e.g. `AriClient("http://127.0.0.1:8088/ari", "cti", "cti-secret")`."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if ":" in username:
            raise AriInvalidInput(
                "ARI username must not contain ':' (it separates user and password in api_key)"
            )
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise AriInvalidInput(f"ARI base URL {base_url!r} must start with http:// or https://")
        self.rest = AriRest(base_url, username, password, timeout=timeout, transport=transport)
        self.base_url = self.rest.base_url
        self._api_key = f"{check_text(username, 'ARI username')}:{check_text(password, 'ARI password')}"
        self.channels = Channels(self.rest)
        self.bridges = Bridges(self.rest)
        self.playbacks = Playbacks(self.rest)
        self.recordings = Recordings(self.rest)
        self.asterisk = AsteriskSystem(self.rest)
        self.applications = Applications(self.rest)

    def events_url(self, app: str) -> str:
        """The events WebSocket for Stasis `app`: `ws://host:port/ari/events?app=...&api_key=user:pass`.

        It carries the password: log `redacted_events_url` instead.
        """
        return self._events_url(app, self._api_key)

    def redacted_events_url(self, app: str) -> str:
        """`events_url` with the password hidden, for logs and status details."""
        return self._events_url(app, self._api_key.split(":", 1)[0] + ":***")

    def _events_url(self, app: str, api_key: str) -> str:
        check_text(app, "Stasis application name")
        if not app:
            raise AriInvalidInput("Stasis application name must not be empty")
        parts = urlsplit(self.base_url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        query = urlencode({"app": app, "api_key": api_key}, safe=":*")
        return urlunsplit((scheme, parts.netloc, f"{parts.path}/events", query, ""))

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self.rest.aclose()

    async def __aenter__(self) -> AriClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
