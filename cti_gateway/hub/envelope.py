"""The JSON envelope every client receives: `{"seq", "type", "ts", "call_id", "data"}` (docs/events.md).

An event is encoded once, without its `seq`; each stream prefixes its own number when it sends it,
so one event fanned out to many desktops costs one `json.dumps`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from cti_gateway.events.model import CtiEvent


def format_ts(ts: float) -> str:
    """An event time as clients read it: ISO 8601, UTC, milliseconds (`2025-01-31T09:15:02.120Z`)."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _jsonable(value: object) -> Any:
    """Last-resort conversion so a domain value that JSON cannot hold never stops the event flow."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


def dumps(value: object) -> str:
    """Compact JSON as sent on the wire (UTF-8 text, no spaces)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def encode_body(event: CtiEvent) -> str:
    """The envelope without `seq` and without its opening brace; `frame(seq, body)` completes it."""
    text = dumps(
        {"type": event.type.value, "ts": format_ts(event.ts), "call_id": event.call_id, "data": event.data}
    )
    return text[1:]


def frame(seq: int, body: str) -> str:
    """One complete envelope: the stream's number in front of an encoded body."""
    return f'{{"seq":{seq},{body}'
