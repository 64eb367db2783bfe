"""ANI lookup: who is calling, from the caller's number, for screen pops and routing priority.

`CustomerDirectory` is the port (adapters in `adapters/directories`: csv, sql, http); `CustomerLookup`
wraps one with E.164 normalisation, a timeout, a TTL cache and request coalescing, and never raises
into the call flow. See docs/directory.md.
"""

from cti_gateway.directory.lookup import CustomerLookup, LookupOutcome, LookupResult
from cti_gateway.directory.memory import InMemoryCustomerDirectory
from cti_gateway.directory.model import (
    CustomerRecord,
    DirectoryError,
    DirectoryMisconfigured,
    DirectoryUnavailable,
    JsonValue,
    json_value,
)
from cti_gateway.directory.numbers import InvalidPhoneNumber, to_e164
from cti_gateway.directory.port import CustomerDirectory

__all__ = [
    "CustomerDirectory",
    "CustomerLookup",
    "CustomerRecord",
    "DirectoryError",
    "DirectoryMisconfigured",
    "DirectoryUnavailable",
    "InMemoryCustomerDirectory",
    "InvalidPhoneNumber",
    "JsonValue",
    "LookupOutcome",
    "LookupResult",
    "json_value",
    "to_e164",
]
