"""How ARI writes times and JSON on the wire: millisecond timestamps with a `+0000` offset, compact JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def ari_timestamp(epoch: float) -> str:
    """`2026-11-22T19:54:06.496+0000`: the form of every ARI `timestamp` and `creationtime`."""
    total_millis = round(epoch * 1000)
    moment = datetime.fromtimestamp(total_millis // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{total_millis % 1000:03d}+0000"


def compact_json(document: Any) -> str:
    """JSON as Asterisk sends it with `pretty = no`: no spaces, keys in the order given."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)
