"""A customer directory read from a CSV file: a `phone` column, and every other column a field.

The file is loaded once into memory (lookups are dictionary reads). Numbers are normalised to E.164
on load. A bad row (no phone, a phone that is not a number, a duplicate number, more cells than
columns) is skipped with a warning naming its line and column, and every other row still loads;
`strict=True` refuses the file instead, listing every bad row. A file that cannot work at all
(missing, unreadable, no phone column, duplicate column names) always refuses to start.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import structlog

from cti_gateway.directory import (
    CustomerRecord,
    DirectoryMisconfigured,
    InMemoryCustomerDirectory,
    InvalidPhoneNumber,
    JsonValue,
    to_e164,
)

log = structlog.get_logger(__name__)

_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]{0,14})")
_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]*[1-9]")
_DELIMITERS = ",;\t|"


class CustomerFileError(DirectoryMisconfigured):
    """The customer CSV file cannot be used; the message says which file, line and column, and why."""


@dataclass(frozen=True, slots=True)
class CsvRowProblem:
    """One row that was not loaded, and why."""

    path: Path
    line: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: column {self.column!r} ({self.value!r}): {self.reason}"


def cell_value(text: str) -> JsonValue:
    """A CSV cell as JSON, typed only when nothing is lost: `true`/`false`, canonical integers and
    decimals become booleans and numbers; `0042`, `1.50` and everything else stay text; empty is null.
    """
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    if _INTEGER.fullmatch(text):
        return int(text)
    number = _decimal(text)
    return text if number is None else number


def _decimal(text: str) -> float | None:
    if not _DECIMAL.fullmatch(text):
        return None
    value = float(text)
    return value if repr(value) == text else None


class CsvCustomerDirectory(InMemoryCustomerDirectory):
    """Customers loaded from one CSV file; `problems` lists the rows that were skipped."""

    def __init__(self, path: Path, records: list[CustomerRecord], problems: list[CsvRowProblem]) -> None:
        super().__init__(records)
        self.path = path
        self.problems: tuple[CsvRowProblem, ...] = tuple(problems)

    @classmethod
    def load(
        cls, path: Path, *, default_region: str, phone_column: str = "phone", strict: bool = False
    ) -> CsvCustomerDirectory:
        """Read `path` (UTF-8, optional BOM; `,` `;` tab or `|` separated) and normalise its numbers."""
        text = _read(path)
        reader = csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text))
        try:
            header = next(reader)
        except StopIteration:
            raise CustomerFileError(
                f"{path}: the file is empty; it needs a header row with a {phone_column!r} column"
            ) from None
        except csv.Error as exc:
            raise CustomerFileError(f"{path}:1: the header row is not valid CSV: {exc}") from None
        columns = [name.strip() for name in header]
        phone_index = _phone_index(path, columns, phone_column)
        records: list[CustomerRecord] = []
        problems: list[CsvRowProblem] = []
        first_line_of: dict[str, int] = {}
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise CustomerFileError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None
            line_before, line = line, reader.line_num
            row_line = line_before + 1
            if not cells or all(not cell.strip() for cell in cells):
                continue
            problem = _check_row(path, row_line, columns, phone_index, cells)
            if problem is None:
                raw_phone = cells[phone_index].strip()
                try:
                    number = to_e164(raw_phone, default_region)
                except InvalidPhoneNumber as exc:
                    problem = CsvRowProblem(path, row_line, columns[phone_index], raw_phone, str(exc))
                else:
                    if number in first_line_of:
                        problem = CsvRowProblem(
                            path,
                            row_line,
                            columns[phone_index],
                            raw_phone,
                            f"{number} is already the number of line {first_line_of[number]}; "
                            "the first one is kept",
                        )
            if problem is not None:
                problems.append(problem)
                continue
            first_line_of[number] = row_line
            fields = {
                column: cell_value(cells[index].strip()) if index < len(cells) else None
                for index, column in enumerate(columns)
                if index != phone_index
            }
            records.append(CustomerRecord(number, fields))
        if problems and strict:
            listing = "\n".join(str(problem) for problem in problems)
            raise CustomerFileError(f"{path}: {len(problems)} bad row(s), nothing loaded:\n{listing}")
        for problem in problems:
            log.warning("customer row skipped", problem=str(problem))
        log.info("customer directory loaded", path=str(path), customers=len(records), skipped=len(problems))
        return cls(path, records, problems)

    async def aclose(self) -> None:
        """Nothing to release; present so every directory adapter closes the same way."""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CustomerFileError(f"{path}: no such customer file (directory.path)") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise CustomerFileError(
            f"{path}:{line}: not UTF-8 text ({exc.reason}); save the file as UTF-8"
        ) from None
    except OSError as exc:
        raise CustomerFileError(f"{path}: cannot read the customer file: {exc.strerror}") from None


def _dialect(text: str) -> type[csv.Dialect]:
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=_DELIMITERS)
    except csv.Error:
        return csv.excel


def _phone_index(path: Path, columns: list[str], phone_column: str) -> int:
    for index, name in enumerate(columns, start=1):
        if not name:
            raise CustomerFileError(f"{path}:1: column {index} has no name; every column needs one")
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise CustomerFileError(f"{path}:1: column {name!r} appears twice; column names must be unique")
        seen.add(name)
    if phone_column in columns:
        return columns.index(phone_column)
    folded = [name.casefold() for name in columns]
    if phone_column.casefold() in folded:
        return folded.index(phone_column.casefold())
    raise CustomerFileError(
        f"{path}:1: no {phone_column!r} column (columns: {', '.join(columns)}); "
        "add one or set directory.phone_column"
    )


def _check_row(
    path: Path, line: int, columns: list[str], phone_index: int, cells: list[str]
) -> CsvRowProblem | None:
    if len(cells) > len(columns):
        extra = ", ".join(repr(cell) for cell in cells[len(columns) :])
        return CsvRowProblem(
            path,
            line,
            f"#{len(columns) + 1}",
            extra,
            f"the row has {len(cells)} cells but the header names {len(columns)} columns; quote cells that "
            "contain the separator",
        )
    if phone_index >= len(cells) or not cells[phone_index].strip():
        return CsvRowProblem(path, line, columns[phone_index], "", "no phone number")
    return None
