"""Reading exports back in tests."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from services.exports import ExportResult
from services.exports.writing import export_file
from services.kit import db
from services.kit.paths import subtree_bounds
from services.models import Area


def read_back(result: ExportResult) -> list[list[str]]:
    """The rows of an export (headers first) as text, from either format."""
    path = export_file(result.path)
    if path.suffix == ".csv":
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
        return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    book = load_workbook(path, read_only=True)
    rows = [
        ["" if v is None else str(v) for v in row]
        for row in book.worksheets[0].iter_rows(values_only=True)
    ]
    book.close()
    return rows


def files_under(root: Path) -> list[Path]:
    """The files below `root` (none if it does not exist)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def number_households(area: Area, *, skip_first: bool = False) -> None:
    """Give the households under `area` numbers (户号) as an import would have: H<id>; with
    `skip_first`, the first one has none (as a row written behind the services' back: every
    household registered through them has one)."""
    low, high = subtree_bounds(area.path)
    first = await db.fetch(
        "SELECT MIN(id) AS id FROM household WHERE path >= ? AND path < ?", [low, high]
    )
    skipped = int(first[0]["id"]) if skip_first else 0
    await db.execute(
        "UPDATE household SET number = 'H' || id WHERE path >= ? AND path < ? AND id <> ? "
        "RETURNING id",
        [low, high, skipped],
    )
    if skip_first:
        await db.execute("UPDATE household SET number = NULL WHERE id = ? RETURNING id", [skipped])
