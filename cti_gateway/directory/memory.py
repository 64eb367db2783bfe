"""A customer directory held in memory: for domain tests, demos, and adapters that load everything."""

from __future__ import annotations

from collections.abc import Iterable

from cti_gateway.directory.model import CustomerRecord


class InMemoryCustomerDirectory:
    """Customers keyed by E.164 number; `lookup` answers from the dict, `add` replaces a number's record."""

    def __init__(self, records: Iterable[CustomerRecord] = ()) -> None:
        self._records: dict[str, CustomerRecord] = {}
        for record in records:
            self.add(record)

    def add(self, record: CustomerRecord) -> None:
        self._records[record.number] = record

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, number: object) -> bool:
        return number in self._records

    async def lookup(self, number_e164: str) -> CustomerRecord | None:
        return self._records.get(number_e164)
