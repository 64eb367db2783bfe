"""ARI adapter: a typed REST client (`AriClient`) and a self-healing events link (`AriEventLink`)."""

from adapters.asterisk.ari.client import AriClient
from adapters.asterisk.ari.errors import (
    AriBadRequest,
    AriConflict,
    AriError,
    AriEventDecodeError,
    AriEventTimeout,
    AriInvalidInput,
    AriNotFound,
    AriServerError,
    AriUnauthorized,
    AriUnavailable,
    AriUnprocessable,
)
from adapters.asterisk.ari.events import decode_event, parse_event_message
from adapters.asterisk.ari.link import AriEventLink
from adapters.asterisk.ari.snapshot import build_snapshot

__all__ = [
    "AriBadRequest",
    "AriClient",
    "AriConflict",
    "AriError",
    "AriEventDecodeError",
    "AriEventLink",
    "AriEventTimeout",
    "AriInvalidInput",
    "AriNotFound",
    "AriServerError",
    "AriUnauthorized",
    "AriUnavailable",
    "AriUnprocessable",
    "build_snapshot",
    "decode_event",
    "parse_event_message",
]
