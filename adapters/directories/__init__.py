"""Customer directory adapters: CSV file, SQL table, HTTP CRM; `open_customer_directory` picks one.

Each implements the core's `cti_gateway.directory.CustomerDirectory` port and has `aclose()`.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from adapters.directories.csv_file import CsvCustomerDirectory, CsvRowProblem, CustomerFileError, cell_value
from adapters.directories.http_crm import HttpCustomerDirectory, json_path
from adapters.directories.sql_table import SqlCustomerDirectory
from cti_gateway.directory import CustomerRecord, DirectoryMisconfigured
from cti_gateway.settings import DirectorySettings

__all__ = [
    "ClosableCustomerDirectory",
    "CsvCustomerDirectory",
    "CsvRowProblem",
    "CustomerFileError",
    "HttpCustomerDirectory",
    "SqlCustomerDirectory",
    "cell_value",
    "json_path",
    "open_customer_directory",
]


class ClosableCustomerDirectory(Protocol):
    """A `CustomerDirectory` that holds resources (pool, client) to release at shutdown."""

    async def lookup(self, number_e164: str) -> CustomerRecord | None: ...

    async def aclose(self) -> None: ...


async def open_customer_directory(
    settings: DirectorySettings, *, default_region: str
) -> ClosableCustomerDirectory:
    """The directory the `directory:` settings describe; a CSV file is loaded now (bad rows skipped and
    logged), an SQL table and an HTTP CRM are reached on first lookup. Raises DirectoryMisconfigured.
    """
    if settings.kind == "csv":
        if settings.path is None:
            raise DirectoryMisconfigured("directory.path is required for kind csv (the customer CSV file)")
        return await asyncio.to_thread(
            CsvCustomerDirectory.load,
            settings.path,
            default_region=default_region,
            phone_column=settings.phone_column,
        )
    if settings.kind == "sql":
        if not settings.url:
            raise DirectoryMisconfigured("directory.url is required for kind sql (postgresql+asyncpg://…)")
        return SqlCustomerDirectory.from_url(
            settings.url, table=settings.table, phone_column=settings.phone_column
        )
    if not settings.url:
        raise DirectoryMisconfigured("directory.url is required for kind http (https://crm/…/{number})")
    return HttpCustomerDirectory(
        settings.url, field_map=settings.field_map, timeout=settings.timeout_ms / 1000
    )
