"""The one seam between the gateway and a customer directory (CSV file, SQL table, HTTP CRM …)."""

from __future__ import annotations

from typing import Protocol

from cti_gateway.directory.model import CustomerRecord


class CustomerDirectory(Protocol):
    """Finds the customer behind a phone number; adapters live in `adapters/directories`.

    `lookup` receives an E.164 number (`+34911234567`) and returns None when nobody has it. It may
    raise `DirectoryError` (or anything else); `CustomerLookup` turns failures into "no customer".
    """

    async def lookup(self, number_e164: str) -> CustomerRecord | None: ...
