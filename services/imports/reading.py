"""Rows streamed from an import file: CSV (UTF-8 with or without BOM, or GB18030 as Chinese
Excel writes it) or XLSX, matched to a kind's columns and parsed cell by cell.

Nothing reads the whole file: CSV goes through the csv module line by line, XLSX through
openpyxl's read-only mode (rows as values, one at a time).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from services.enums import ImportKind
from services.imports.columns import COLUMNS, CellError, Column, unguard_formula

SNIFF_BYTES = 64 * 1024
"""How much of a CSV file decides its encoding (UTF-8 if this much decodes, else GB18030)."""

XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class RowError:
    """A problem in one row: row number (1 is the header), column header, code, message."""

    row: int
    column: str
    code: str
    message: str


@dataclass
class Row:
    """One data row: its number in the file, its parsed values by attribute, its problems."""

    number: int
    values: dict[str, Any]
    errors: list[RowError] = field(default_factory=list)


def csv_encoding(path: Path) -> str:
    """utf-8-sig when the first block decodes as UTF-8 (with or without BOM), else gb18030."""
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
    try:
        # Incremental, not final: the block may end inside a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def is_xlsx(path: Path) -> bool:
    """Is the file an XLSX workbook (a zip), whatever its name?"""
    with path.open("rb") as stream:
        return stream.read(4) == XLSX_MAGIC


def _cell_text(value: Any) -> str | None:
    """A cell as the text a CSV would hold (None for an empty cell)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float) and abs(value) >= 1e15:
        # Over 15 digits Excel has rounded the number (an ID number typed as a number): kept
        # in E notation so that no code, 户号 or ID-card rule accepts it ("type it as text").
        return f"{value:.15E}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


class BadFile(Exception):
    """The file cannot be read on (at `row`, 1 for the header or the whole file): a broken
    workbook, text in no known encoding, a CSV the csv module refuses (a cell over
    MAX_CELL_CHARS). Import jobs report it as a BAD_FILE problem, never as a server error."""

    def __init__(self, row: int, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


MAX_CELL_CHARS = 128 * 1024
"""The longest CSV cell read (the csv module's field limit); longer is a BAD_FILE problem."""

MAX_XLSX_PART_BYTES = 256 * 1024 * 1024
"""The largest uncompressed part of an XLSX workbook read (openpyxl reads the shared strings
whole even in read-only mode): a small upload that inflates to gigabytes is refused."""


def _check_workbook(path: Path) -> None:
    """Refuse a workbook whose parts inflate beyond MAX_XLSX_PART_BYTES (a zip bomb)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile as error:
        raise BadFile(1, "Not a CSV or XLSX file that can be read.") from error
    if any(part.file_size > MAX_XLSX_PART_BYTES for part in parts):
        raise BadFile(1, "The workbook is too large once uncompressed.")


def raw_rows(path: Path) -> Iterator[list[str | None]]:
    """The file's rows as cell texts (None for empty cells), header first, streamed. A file
    that cannot be read on raises BadFile (with the row where reading stopped)."""
    if is_xlsx(path):
        _check_workbook(path)
        number = 0
        try:
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken workbook
            raise BadFile(1, "Not an XLSX workbook that can be read.") from error
        try:
            sheet = workbook.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            while True:
                try:
                    values = next(rows, None)
                except Exception as error:
                    raise BadFile(number + 1, "The workbook breaks off here.") from error
                if values is None:
                    return
                number += 1
                yield [_cell_text(v) for v in values]
        finally:
            workbook.close()
    with path.open(encoding=csv_encoding(path), newline="") as stream:
        reader = csv.reader(stream)
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as error:
                raise BadFile(reader.line_num, f"Not a readable CSV line: {error}.") from error
            except UnicodeDecodeError as error:
                raise BadFile(reader.line_num + 1, "Neither UTF-8 nor GB18030 text.") from error
            if cells is None:
                return
            # Exports quote formula-like CSV cells (columns.guard_formula); undo that here (only
            # a cell starting with a quote can be one: the others are read as they are).
            yield [(unguard_formula(c) if c.startswith("'") else c).strip() or None for c in cells]


csv.field_size_limit(MAX_CELL_CHARS)


def header_errors(kind: ImportKind, header: list[str | None]) -> tuple[list[int], list[RowError]]:
    """Where each column of `kind` sits in `header` (-1 when absent) and the header's problems
    (unknown, repeated or missing required columns), all on row 1."""
    columns = COLUMNS[kind]
    known = {c.header: c for c in columns}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for index, name in enumerate(header):
        if name is None:
            continue
        if name not in known:
            errors.append(RowError(1, name, "UNKNOWN_COLUMN", f"Unknown column {name}."))
        elif name in seen:
            errors.append(RowError(1, name, "REPEATED_COLUMN", f"Column {name} appears twice."))
        else:
            seen[name] = index
    for column in columns:
        if column.required and column.header not in seen:
            errors.append(
                RowError(1, column.header, "MISSING_COLUMN", f"Column {column.header} is required.")
            )
    return [seen.get(c.header, -1) for c in columns], errors


def parse_row(
    number: int, cells: list[str | None], columns: tuple[Column, ...], at: list[int]
) -> Row:
    """Parse one data row's cells into a Row (values by attribute, problems by column)."""
    row = Row(number, {})
    for column, index in zip(columns, at, strict=True):
        raw = cells[index] if 0 <= index < len(cells) else None
        if raw is None:
            row.values[column.attribute] = None
            if column.required:
                row.errors.append(
                    RowError(number, column.header, "REQUIRED", f"{column.header} is required.")
                )
            continue
        try:
            row.values[column.attribute] = column.parse(raw)
        except CellError as error:
            row.values[column.attribute] = None
            row.errors.append(RowError(number, column.header, error.code, error.message))
    return row


@dataclass
class Table:
    """An import file opened for `kind`: the header's problems, then its data rows."""

    kind: ImportKind
    header_errors: list[RowError]
    rows: Iterator[Row]


def read_table(kind: ImportKind, path: Path) -> Table:
    """Open `path` as a file of `kind`: header matched, rows parsed lazily (blank rows skipped)."""
    source = raw_rows(path)
    header = next(source, [])
    at, errors = header_errors(kind, header)
    columns = COLUMNS[kind]

    def rows() -> Iterator[Row]:
        for number, cells in enumerate(source, start=2):
            if any(cell is not None for cell in cells):
                yield parse_row(number, cells, columns, at)

    return Table(kind, errors, rows())
