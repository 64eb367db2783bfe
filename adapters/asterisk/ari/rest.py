"""The single HTTP seam to ARI: one request in, decoded JSON or a specific `AriError` out."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from adapters.asterisk.ari.errors import AriError, AriUnavailable, error_for_status
from adapters.asterisk.ari.inputs import QueryValue, check_text, query_params


class AriRest:
    """Sends ARI requests through `httpx.AsyncClient` with basic auth; `transport` lets tests replay."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        check_text(base_url, "ARI base URL")
        check_text(username, "ARI username")
        check_text(password, "ARI password")
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=httpx.BasicAuth(username, password),
            timeout=timeout,
            transport=transport,
        )

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, QueryValue | None] | None = None,
        body: Mapping[str, Any] | str | None = None,
    ) -> Any:
        """Send `method path` (path already built from `inputs.path_segment`) and return the decoded body.

        204 gives None. Error statuses raise the matching `AriError` subclass; no answer, `AriUnavailable`.
        """
        check_text(path, "ARI path")
        content: str | None
        if body is None:
            content = None
        elif isinstance(body, str):
            content = body
        else:
            content = json.dumps(body)
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = await self._http.request(
                method,
                path,
                params=query_params(params or {}),
                content=content,
                headers=headers,
            )
        except httpx.RequestError as exc:
            raise AriUnavailable(
                f"Asterisk ARI at {self.base_url} did not answer ({type(exc).__name__}: {exc}); "
                "is Asterisk running and http.conf/ari.conf enabled?",
                method=method,
                path=path,
            ) from exc
        if response.status_code >= 400:
            raise error_for_status(response.status_code, response.content, method=method, path=path)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise AriError(
                f"ARI answered {response.status_code} with a body that is not JSON",
                status=response.status_code,
                method=method,
                path=path,
            ) from exc

    async def open_stream(self, path: str) -> httpx.Response:
        """`GET path` for a binary body (a recording's file): the open response, its body not yet read.

        Error statuses raise like `call`. The caller reads `aiter_bytes()` and must `aclose()` it.
        """
        check_text(path, "ARI path")
        try:
            response = await self._http.send(self._http.build_request("GET", path), stream=True)
        except httpx.RequestError as exc:
            raise AriUnavailable(
                f"Asterisk ARI at {self.base_url} did not answer ({type(exc).__name__}: {exc}); "
                "is Asterisk running and http.conf/ari.conf enabled?",
                method="GET",
                path=path,
            ) from exc
        if response.status_code >= 400:
            try:
                body = await response.aread()
            finally:
                await response.aclose()
            raise error_for_status(response.status_code, body, method="GET", path=path)
        return response

    async def aclose(self) -> None:
        """Close the pooled HTTP connections."""
        await self._http.aclose()
