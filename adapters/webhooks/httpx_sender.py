"""`HttpxWebhookSender`: the core's `WebhookSender` port over one pooled httpx client."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from cti_gateway.webhooks.model import WebhookSender, WebhookSendError


class HttpxWebhookSender:
    """POSTs deliveries with a short timeout and no redirects (a 3xx counts as a failure and is retried)."""

    def __init__(self, *, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, transport=transport)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        try:
            response = await self._client.post(url, content=body, headers=dict(headers))
        except httpx.HTTPError as exc:
            raise WebhookSendError(f"{type(exc).__name__}: {exc}") from None
        return response.status_code

    async def aclose(self) -> None:
        await self._client.aclose()


def _check_protocol(sender: HttpxWebhookSender) -> WebhookSender:  # mypy proves the port is implemented
    return sender
