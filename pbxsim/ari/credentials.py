"""Who may use ARI: HTTP basic auth or `?api_key=user:password`, as in Asterisk's ari.conf."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AriCredentials:
    """The one ARI user the simulator knows (ari.conf `[cti]`)."""

    username: str = "cti"
    password: str = "cti-secret"

    def _matches(self, username: str, password: str) -> bool:
        return hmac.compare_digest(username.encode(), self.username.encode()) and hmac.compare_digest(
            password.encode(), self.password.encode()
        )

    def accepts(self, authorization: str | None, query: Mapping[str, str]) -> bool:
        """True when the `Authorization: Basic` header or the `api_key` query parameter is right."""
        api_key = query.get("api_key")
        if api_key is not None:
            username, separator, password = api_key.partition(":")
            return bool(separator) and self._matches(username, password)
        if authorization is None:
            return False
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        username, separator, password = decoded.partition(":")
        return bool(separator) and self._matches(username, password)
