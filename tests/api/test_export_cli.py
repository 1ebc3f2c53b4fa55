"""`python -m api export KIND --under CODE --format xlsx|csv [--output FILE]` on a real
database: the system exports as the admin of the area's district."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from openpyxl import load_workbook

from seed.demo import DEMO_COMMUNITY
from services.models import Area, Household
from tests.conftest import Database


async def _cli(url: str, *args: str) -> tuple[int, str]:
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "test"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "api",
        "export",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode()


def _rows(path: Path) -> list[tuple[object, ...]]:
    book = load_workbook(path, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    book.close()
    return rows


async def test_export_by_area_code_to_a_file(db: Database, media_dir: Path, tmp_path: Path) -> None:
    # given the demo community, by its code
    community = await Area.get(name=DEMO_COMMUNITY)
    assert community.code
    output = tmp_path / "out" / "households.xlsx"
    # when its households are exported to a file of our choosing
    code, out = await _cli(
        db.url, "households", "--under", community.code, "--format", "xlsx", "--output", str(output)
    )
    # then it prints where, how many rows and the Chinese name, and the workbook has them
    assert code == 0, out
    expected = await Household.filter(path__startswith=community.path).count()
    assert f"{output}\t{expected} rows\t家庭_{DEMO_COMMUNITY}_" in out
    rows = await asyncio.to_thread(_rows, output)
    assert rows[0][:2] == ("户号", "社区编码") and len(rows) == expected + 1


async def test_an_unknown_area_fails_in_one_line(db: Database, media_dir: Path) -> None:
    code, out = await _cli(db.url, "people", "--under", "NO-SUCH-AREA", "--format", "csv")
    assert code == 1
    assert "export failed: No area has the code NO-SUCH-AREA." in out
    assert "Traceback" not in out
