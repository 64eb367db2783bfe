"""The CSV customer directory: numbers normalised on load, typed cells, bad rows named and skipped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from adapters.directories import CsvCustomerDirectory, CustomerFileError, cell_value
from cti_gateway.directory import CustomerLookup

GOOD = """phone,name,segment,vip,plan_hours,used_hours,products
+34 911 23 45 67,Ana García,gold,true,100,112,"fibre 1Gb; mobile 50GB"
(212) 555-1234,Acme Corp,business,false,50,10,
"""


def write(tmp_path: Path, text: str, name: str = "customers.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


async def test_every_column_but_the_phone_becomes_a_field_of_the_record(tmp_path: Path) -> None:
    directory = CsvCustomerDirectory.load(write(tmp_path, GOOD), default_region="US")
    record = await directory.lookup("+34911234567")
    assert record is not None
    assert record.fields == {
        "name": "Ana García",
        "segment": "gold",
        "vip": True,
        "plan_hours": 100,
        "used_hours": 112,
        "products": "fibre 1Gb; mobile 50GB",
    }
    assert record.vip
    assert directory.problems == ()


async def test_numbers_are_normalised_on_load_with_the_default_region(tmp_path: Path) -> None:
    directory = CsvCustomerDirectory.load(write(tmp_path, GOOD), default_region="US")
    acme = await directory.lookup("+12125551234")
    assert acme is not None
    assert acme.fields["products"] is None
    assert await directory.lookup("(212) 555-1234") is None  # the port receives E.164 only


async def test_the_lookup_service_finds_csv_customers_from_any_number_form(tmp_path: Path) -> None:
    directory = CsvCustomerDirectory.load(write(tmp_path, GOOD), default_region="US")
    lookup = CustomerLookup(directory, default_region="US")
    record = await lookup.lookup("1-212-555-1234")
    assert record is not None
    assert record.name == "Acme Corp"


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("", None),
        ("true", True),
        ("false", False),
        ("True", "True"),
        ("42", 42),
        ("-7", -7),
        ("0042", "0042"),
        ("12.5", 12.5),
        ("1.50", "1.50"),
        ("+34911234567", "+34911234567"),
        ("1234567890123456", "1234567890123456"),
        ("2025-03-04", "2025-03-04"),
    ],
)
def test_cells_are_typed_only_when_nothing_is_lost(cell: str, value: object) -> None:
    assert cell_value(cell) == value
    assert type(cell_value(cell)) is type(value)


async def test_a_bad_row_is_skipped_with_its_line_and_column_and_the_others_still_load(
    tmp_path: Path,
) -> None:
    text = (
        "phone,name\n"
        "+34911234567,Ana\n"
        "not-a-number,Broken\n"
        ",No phone\n"
        "\n"
        "+34 911 234 567,Duplicate of Ana\n"
        "+442079460018,Bob,extra cell\n"
        "+12125551234,Carla\n"
    )
    directory = CsvCustomerDirectory.load(write(tmp_path, text), default_region="ES")
    assert len(directory) == 2
    assert (await directory.lookup("+12125551234")) is not None
    ana = await directory.lookup("+34911234567")
    assert ana is not None
    assert ana.fields["name"] == "Ana"
    problems = [(p.line, p.column, p.value) for p in directory.problems]
    assert problems == [
        (3, "phone", "not-a-number"),
        (4, "phone", ""),
        (6, "phone", "+34 911 234 567"),
        (7, "#3", "'extra cell'"),
    ]
    assert "already the number of line 2" in directory.problems[2].reason
    assert str(directory.problems[0]).startswith(f"{tmp_path / 'customers.csv'}:3: column 'phone'")


async def test_strict_loading_refuses_the_file_and_lists_every_bad_row(tmp_path: Path) -> None:
    text = "phone,name\n+34911234567,Ana\nnope,Broken\n1001,Extension\n"
    with pytest.raises(CustomerFileError) as error:
        CsvCustomerDirectory.load(write(tmp_path, text), default_region="US", strict=True)
    message = str(error.value)
    assert "2 bad row(s)" in message
    assert "customers.csv:3: column 'phone' ('nope')" in message
    assert "customers.csv:4: column 'phone' ('1001')" in message


async def test_a_quoted_multiline_cell_keeps_the_following_line_numbers_right(tmp_path: Path) -> None:
    text = 'phone,notes\n+34911234567,"line one\nline two"\nbad,x\n'
    directory = CsvCustomerDirectory.load(write(tmp_path, text), default_region="US")
    record = await directory.lookup("+34911234567")
    assert record is not None
    assert record.fields["notes"] == "line one\nline two"
    assert [p.line for p in directory.problems] == [4]


async def test_semicolon_separated_excel_exports_with_a_bom_load(tmp_path: Path) -> None:
    text = "\ufeffPhone;Name;Segment\n911234567;Ana García;gold\n"
    directory = CsvCustomerDirectory.load(write(tmp_path, text), default_region="ES")
    record = await directory.lookup("+34911234567")
    assert record is not None
    assert record.fields == {"Name": "Ana García", "Segment": "gold"}


async def test_a_custom_phone_column_is_used(tmp_path: Path) -> None:
    text = "msisdn,name\n+34911234567,Ana\n"
    directory = CsvCustomerDirectory.load(write(tmp_path, text), default_region="ES", phone_column="msisdn")
    assert await directory.lookup("+34911234567") is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("name,segment\nAna,gold\n", "no 'phone' column (columns: name, segment)"),
        ("phone,name,name\n+34911234567,a,b\n", "column 'name' appears twice"),
        ("phone,,name\n", "column 2 has no name"),
    ],
)
def test_a_file_that_cannot_work_refuses_to_start_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(CustomerFileError, match=re.escape(message)):
        CsvCustomerDirectory.load(write(tmp_path, text), default_region="ES")


def test_a_missing_or_non_utf8_file_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(CustomerFileError, match="no such customer file"):
        CsvCustomerDirectory.load(tmp_path / "missing.csv", default_region="ES")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("phone,name\n+34911234567,Ana García\n".encode("latin-1"))
    with pytest.raises(CustomerFileError, match=r"latin1.csv:2: not UTF-8"):
        CsvCustomerDirectory.load(latin, default_region="ES")
