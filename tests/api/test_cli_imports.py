"""`python -m api import KIND FILE [--dry-run]` and `python -m api import-template KIND` on a
real database: the report's lines, the exit status, nothing written on a dry run or a problem."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from seed.demo import DEMO_COMMUNITY
from services.enums import ImportKind
from services.imports.columns import headers
from services.models import Area, Household
from tests.api.test_cli import _cli
from tests.conftest import Database


async def test_import_dry_run_then_for_real_then_a_problem(db: Database, tmp_path: Path) -> None:
    # given a households file for the demo community
    community = await Area.get(name=DEMO_COMMUNITY)
    assert community.code
    path = tmp_path / "h.csv"
    lines = [",".join(headers(ImportKind.HOUSEHOLDS)), f"CLI-1,{community.code},,颜山路1号,,,,2"]
    path.write_text("\n".join(lines) + "\n", encoding="gb18030")
    count = await Household.all().count()
    # when it is dry-run, then imported
    code, out = await _cli(db.url, "import", "households", str(path), "--dry-run")
    assert code == 0, out
    assert "DRY_RUN_DONE, 1 rows, created 1" in out
    assert await Household.all().count() == count
    code, out = await _cli(db.url, "import", "households", str(path))
    assert code == 0, out
    assert await Household.filter(number="CLI-1").count() == 1
    # then a file with a problem says where, exits 1 and writes nothing
    path.write_text("\n".join([*lines, "CLI-2,NOPE,,x路,,,,1"]) + "\n", encoding="utf-8")
    code, out = await _cli(db.url, "import", "households", str(path))
    assert code == 1
    assert "row 3, column 社区编码: NOT_FOUND" in out
    assert await Household.filter(number="CLI-2").count() == 0


async def test_import_template_writes_headers_and_notes(db: Database, tmp_path: Path) -> None:
    csv_path, xlsx_path = tmp_path / "t.csv", tmp_path / "t.xlsx"
    code, out = await _cli(
        db.url, "import-template", "people", "--format", "csv", "--output", str(csv_path)
    )
    assert code == 0, out
    assert csv_path.read_text(encoding="utf-8-sig").strip() == ",".join(headers(ImportKind.PEOPLE))
    code, out = await _cli(db.url, "import-template", "people", "--output", str(xlsx_path))
    assert code == 0, out
    workbook = openpyxl.load_workbook(xlsx_path)
    assert [c.value for c in workbook.worksheets[0][1]] == headers(ImportKind.PEOPLE)
    assert workbook.sheetnames[1] == "说明"
