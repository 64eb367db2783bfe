"""A customer as the directory knows it: an E.164 number and any fields the CRM holds.

Fields are free-form (open cases, products, plan usage, a next-best-offer …) and kept as plain JSON,
so they travel unchanged into attached data and screen pops. A few well-known fields (`name`, `vip`,
`segment`, `value`) are read leniently, so routing can rank callers whatever the source's types.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonValue = None | bool | int | float | str | list[Any] | dict[str, Any]

_TRUE_WORDS = frozenset({"true", "yes", "y", "1", "si", "sí", "vip"})


class DirectoryError(Exception):
    """A customer directory could not answer; the lookup falls back to "no customer"."""


class DirectoryUnavailable(DirectoryError):
    """The directory's backend (database, CRM, file) cannot be reached or answered with an error."""


class DirectoryMisconfigured(DirectoryError):
    """The directory settings point at something that cannot work (missing table, column, file …)."""


def json_value(value: object) -> JsonValue:
    """Turn a value from a database row or JSON document into plain JSON, losslessly where JSON can.

    Dates become ISO 8601 text, decimals become int or float, UUIDs and other scalars become text.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(item) for item in value]
    return str(value)


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """One customer found by phone number; `fields` are whatever the directory returned, as JSON."""

    number: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", {str(k): json_value(v) for k, v in self.fields.items()})

    @property
    def name(self) -> str | None:
        """The customer's display name (`name`, else `company`), for the pop's title line."""
        for key in ("name", "company"):
            value = self.fields.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    @property
    def vip(self) -> bool:
        """Whether routing should treat the caller as a VIP; accepts true/yes/1 in any type."""
        value = self.fields.get("vip")
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str):
            return value.strip().lower() in _TRUE_WORDS
        return False

    @property
    def segment(self) -> str | None:
        """The customer's segment (gold, business, consumer …), for routing priority and skills."""
        value = self.fields.get("segment")
        if value is None or value == "":
            return None
        return str(value)

    @property
    def value(self) -> float | None:
        """The customer's value score (lifetime value, tier points …) if the directory has one."""
        raw = self.fields.get("value")
        if isinstance(raw, bool) or raw is None:
            return None
        if isinstance(raw, int | float):
            return float(raw)
        if isinstance(raw, str):
            try:
                number = float(raw.strip())
            except ValueError:
                return None
            return number if math.isfinite(number) else None
        return None

    def as_json(self) -> dict[str, JsonValue]:
        """The record as screen pops and attached data carry it: its fields plus `number`."""
        return {**self.fields, "number": self.number}
