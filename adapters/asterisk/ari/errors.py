"""Exceptions for everything ARI can refuse, one type per HTTP status the gateway must handle differently."""

from __future__ import annotations

import json


class AriError(Exception):
    """Base of every ARI failure; `status` is the HTTP status (None when no response came back)."""

    def __init__(self, message: str, *, status: int | None = None, method: str = "", path: str = "") -> None:
        self.message = message
        self.status = status
        self.method = method
        self.path = path
        where = f"{method} {path}: " if method else ""
        code = f"{status} " if status is not None else ""
        super().__init__(f"{where}{code}{message}")


class AriBadRequest(AriError):
    """400: a parameter is missing or malformed (for example an invalid hangup reason)."""


class AriUnauthorized(AriError):
    """401: the ARI user or password is wrong; check `ari.conf` and the gateway settings."""


class AriNotFound(AriError):
    """404: the channel, bridge, recording, playback or variable does not exist (any more)."""


class AriConflict(AriError):
    """409: the resource is in the wrong state, e.g. the channel is not in Stasis or the id is taken."""


class AriUnprocessable(AriError):
    """422: the request is well formed but cannot apply, e.g. an unknown recording format."""


class AriServerError(AriError):
    """5xx: Asterisk failed internally, e.g. `Allocation failed` for an unknown channel technology."""


class AriUnavailable(AriError):
    """Asterisk's HTTP server could not be reached or did not answer in time."""


class AriInvalidInput(AriError, ValueError):
    """A value the gateway was about to send is unsafe or incomplete; nothing was sent."""


class AriEventDecodeError(AriError, ValueError):
    """A WebSocket message is not valid JSON, or a known event does not match its Swagger model."""


class AriEventTimeout(AriError, TimeoutError):
    """No event matching the caller's predicate arrived in time."""


_BY_STATUS: dict[int, type[AriError]] = {
    400: AriBadRequest,
    401: AriUnauthorized,
    404: AriNotFound,
    409: AriConflict,
    422: AriUnprocessable,
}


def error_message_from_body(body: str | bytes | None) -> str:
    """Asterisk's reason for a refusal: `{"message": ...}`, sometimes `{"error": ...}`, else the text."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        decoded = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:200]
    if isinstance(decoded, dict):
        for key in ("message", "error"):
            value = decoded.get(key)
            if isinstance(value, str):
                return value
    return " ".join(text.split())[:200]


def error_for_status(status: int, body: str | bytes | None, *, method: str = "", path: str = "") -> AriError:
    """The specific exception for an ARI error response, carrying Asterisk's own message."""
    message = error_message_from_body(body) or f"HTTP {status}"
    cls = _BY_STATUS.get(status)
    if cls is None:
        cls = AriServerError if status >= 500 else AriError
    return cls(message, status=status, method=method, path=path)
