"""A customer directory behind an HTTP CRM: GET a URL template with `{number}`, read a JSON answer.

`{number}` is replaced by the E.164 number, percent-encoded (`%2B34911234567`) so that it survives
both paths and query strings. 404 (and 204, an empty body, `null`, `[]`) means "no such customer"; any other
non-2xx answer, a timeout or a network error is "CRM unavailable". A JSON array answer uses its first
element. `field_map` maps record fields to dotted JSON paths (`account.name`, `plans.0.hours`); when
it is empty every top-level member of the JSON object becomes a field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from cti_gateway.directory import CustomerRecord, DirectoryMisconfigured, DirectoryUnavailable

NUMBER_PLACEHOLDER = "{number}"
_MISSING = object()


def json_path(document: Any, path: str) -> Any:
    """The value at a dotted path (`a.b.0.c`; digits index arrays), or None when any step is missing."""
    value: Any = document
    for step in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(step, _MISSING)
        elif isinstance(value, list) and step.lstrip("-").isdigit():
            index = int(step)
            value = value[index] if -len(value) <= index < len(value) else _MISSING
        else:
            value = _MISSING
        if value is _MISSING:
            return None
    return value


class HttpCustomerDirectory:
    """Asks a CRM over HTTP for the customer behind a number."""

    def __init__(
        self,
        url_template: str,
        *,
        field_map: Mapping[str, str] | None = None,
        timeout: float = 0.5,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if NUMBER_PLACEHOLDER not in url_template:
            raise DirectoryMisconfigured(
                f"directory.url {url_template!r} must contain {NUMBER_PLACEHOLDER} "
                "where the caller's number goes"
            )
        if not url_template.startswith(("http://", "https://")):
            raise DirectoryMisconfigured(
                f"directory.url {url_template!r} must start with http:// or https://"
            )
        for field, path in (field_map or {}).items():
            if not field or not path or any(not step for step in path.split(".")):
                raise DirectoryMisconfigured(
                    f"directory.field_map: {field!r}: {path!r} must be a dotted JSON path like account.name"
                )
        self._template = url_template
        self._field_map = dict(field_map or {})
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json", **(headers or {})},
            transport=transport,
            follow_redirects=True,
        )

    def url_for(self, number_e164: str) -> str:
        """The request URL for one number."""
        return self._template.replace(NUMBER_PLACEHOLDER, quote(number_e164, safe=""))

    async def lookup(self, number_e164: str) -> CustomerRecord | None:
        url = self.url_for(number_e164)
        try:
            response = await self._client.get(url)
        except httpx.TimeoutException as exc:
            raise DirectoryUnavailable(f"CRM did not answer in time: GET {url}") from exc
        except httpx.HTTPError as exc:
            raise DirectoryUnavailable(f"CRM unreachable: GET {url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code in (404, 204) or (response.is_success and not response.content.strip()):
            return None
        if not response.is_success:
            raise DirectoryUnavailable(
                f"CRM answered {response.status_code} {response.reason_phrase}: GET {url}"
            )
        try:
            document = response.json()
        except ValueError as exc:
            raise DirectoryUnavailable(f"CRM answer is not JSON: GET {url}") from exc
        if isinstance(document, list):
            document = document[0] if document else None
        if document is None:
            return None
        if not isinstance(document, Mapping):
            raise DirectoryUnavailable(
                f"CRM answered a JSON {type(document).__name__}, not an object: GET {url}"
            )
        if self._field_map:
            fields = {field: json_path(document, path) for field, path in self._field_map.items()}
        else:
            fields = dict(document)
        return CustomerRecord(number_e164, fields)

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()
