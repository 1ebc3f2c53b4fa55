"""Streamed table writers for exports: rows come from the database a page at a time (keyset on
an id) and go straight to a file, so memory stays flat however many rows there are."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from services.enums import ExportFormat
from services.imports.columns import guard_formula
from services.kit import db
from services.kit.media import media_path, open_media_writer

# Rows read per statement: big enough that the round trips do not dominate, small enough that
# a page of rows is nothing next to the interpreter itself.
PAGE_SIZE = 1000

Cell = str | int | float | None


def export_file(relative: str) -> Path:
    """Where the export at `relative` lies on the local disk (MEDIA_STORE=local)."""
    return media_path(relative)


async def keyset_rows(
    sql: str, params: Sequence[Any], *, key: str, page_size: int = PAGE_SIZE
) -> AsyncIterator[dict[str, Any]]:
    """The rows of `sql` (a SELECT with a WHERE clause and no ORDER BY or LIMIT, whose `key`
    column is unique and also selected as `key_value`), a page at a time in `key` order: each
    page is `... AND key > last ORDER BY key LIMIT n`, an index range scan wherever it starts."""
    last: Any = None
    while True:
        bound = f" AND {key} > ?" if last is not None else ""
        page = await db.fetch(
            f"{sql}{bound} ORDER BY {key} LIMIT ?",
            [*params, *([last] if last is not None else []), page_size],
        )
        for row in page:
            yield row
        if len(page) < page_size:
            return
        last = page[-1]["key_value"]


def _text_cell(value: str) -> str:
    # openpyxl refuses control characters other than tab and newlines.
    return ILLEGAL_CHARACTERS_RE.sub("", value)


class _CsvSink:
    """CSV in UTF-8 with a byte order mark: Excel takes a BOM-less file for the local code page
    and shows Chinese as mojibake."""

    def __init__(self, file: BinaryIO) -> None:
        self._text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text)

    def append(self, row: Sequence[Cell]) -> None:
        # Text that Excel/WPS would run as a formula gets a leading quote (OWASP); the import
        # takes it off again (services.imports.reading).
        self._writer.writerow(
            ["" if v is None else guard_formula(v) if isinstance(v, str) else v for v in row]
        )

    def close(self) -> None:
        self._text.flush()
        self._text.detach()


class _XlsxSink:
    """XLSX through openpyxl's write-only workbook: rows go to a temporary sheet file as they
    come, and the zip is assembled from it at the end."""

    def __init__(self, file: BinaryIO, title: str) -> None:
        self._file = file
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title=title[:31])

    def append(self, row: Sequence[Cell]) -> None:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str):
                cell = WriteOnlyCell(self._sheet, value=_text_cell(value))
                # Text stays text: openpyxl would take "=..." for a formula.
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        self._sheet.append(cells)

    def close(self) -> None:
        self._book.save(self._file)


async def write_table(
    *,
    relative: str,
    format: ExportFormat,
    title: str,
    headers: Sequence[str],
    rows: AsyncIterator[Sequence[Cell]],
) -> int:
    """Write `headers` and then `rows` as a CSV or XLSX file at `relative` in the media store;
    the rows written. The file appears only once whole (nothing is left by a failure)."""
    count = 0
    async with open_media_writer(relative) as file:
        sink: _CsvSink | _XlsxSink = (
            _CsvSink(file) if format is ExportFormat.CSV else _XlsxSink(file, title)
        )
        sink.append(list(headers))
        async for row in rows:
            sink.append(row)
            count += 1
        sink.close()
    return count
