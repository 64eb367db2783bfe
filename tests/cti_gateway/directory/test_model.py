"""Customer records carry any fields as JSON and read the routing ones leniently."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pytest

from cti_gateway.directory import CustomerRecord


def test_record_fields_become_plain_json_whatever_their_source_types() -> None:
    record = CustomerRecord(
        "+34911234567",
        {
            "last_contact": dt.date(2025, 3, 4),
            "balance": decimal.Decimal("12.50"),
            "plan_hours": decimal.Decimal("100"),
            "account": uuid.UUID("12345678-1234-5678-1234-567812345678"),
            "products": ("fibre", "mobile"),
        },
    )
    assert record.fields == {
        "last_contact": "2025-03-04",
        "balance": 12.5,
        "plan_hours": 100,
        "account": "12345678-1234-5678-1234-567812345678",
        "products": ["fibre", "mobile"],
    }
    assert json.loads(json.dumps(record.as_json()))["number"] == "+34911234567"


@pytest.mark.parametrize(
    ("raw", "vip"),
    [(True, True), ("yes", True), ("TRUE", True), (1, True), ("no", False), (None, False), (0, False)],
)
def test_vip_is_read_from_booleans_words_and_numbers(raw: object, vip: bool) -> None:
    assert CustomerRecord("+1", {"vip": raw}).vip is vip


def test_segment_value_and_name_come_through_for_routing_priority() -> None:
    record = CustomerRecord("+1", {"segment": "gold", "value": "1250.5", "company": "Acme"})
    assert (record.segment, record.value, record.name) == ("gold", 1250.5, "Acme")
    assert CustomerRecord("+1", {"value": "n/a"}).value is None
    assert CustomerRecord("+1", {}).segment is None
