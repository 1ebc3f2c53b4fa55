"""Bulk import (services.imports): reading CSV/XLSX in every encoding, row problems with row and
column, dry runs and all-or-nothing, upserts that change nothing on re-import and leave history
when a row changed, scope, ID cards kept as their last four."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from seed.demo import DEMO_COMMUNITY
from services.enums import AreaLevel, AuditKind, ImportKind, ImportStatus, Role
from services.imports import import_file
from services.imports.columns import headers
from services.imports.reading import read_table
from services.kit.settings import get_settings
from services.models import Area, AuditEntry, Household, ImportRowError, Person, RoleAssignment
from tests.conftest import Database, actor_for

M = "颜山花园1-2号楼微网格"


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


async def codes() -> tuple[str, str]:
    community = await Area.get(name=DEMO_COMMUNITY)
    micro = await Area.get(name=M)
    assert community.code and micro.code
    return community.code, micro.code


async def household_rows(n: int = 3, address: str = "颜山路8号") -> list[list[str]]:
    community, micro = await codes()
    return [headers(ImportKind.HOUSEHOLDS)] + [
        [f"H{i:04d}", community, micro, f"{address}{i}", "1", "2", f"{i}01", "3"] for i in range(n)
    ]


async def errors_of(job_id: int) -> list[tuple[int, str, str]]:
    return [
        (e.row, e.column, e.code) for e in await ImportRowError.filter(job_id=job_id).order_by("id")
    ]


class TestReading:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
    def test_csv_in_each_encoding_reads_the_same(self, tmp_path: Path, encoding: str) -> None:
        # given the same people file written in each encoding Chinese Excel may use
        rows = [headers(ImportKind.PEOPLE), ["王小明", "+86 138-0013-8000", "", "是", ""]]
        path = write_csv(tmp_path / "p.csv", rows, encoding)
        # when it is read
        table = read_table(ImportKind.PEOPLE, path)
        read = list(table.rows)
        # then the header matches and the cells parse (phone normalised, 是 a yes)
        assert table.header_errors == []
        assert read[0].values["name"] == "王小明"
        assert read[0].values["phone"] == "13800138000"
        assert read[0].values["party_member"] is True

    def test_xlsx_reads_numbers_as_text(self, tmp_path: Path) -> None:
        rows = [headers(ImportKind.PEOPLE), ["李四", 13900139000, None, "否", "1234"]]
        path = write_xlsx(tmp_path / "p.xlsx", rows)  # type: ignore[arg-type]
        read = list(read_table(ImportKind.PEOPLE, path).rows)
        assert read[0].values["phone"] == "13900139000"
        assert read[0].values["id_card"].last4 == "1234"

    def test_unknown_and_missing_columns_are_row_1_problems(self, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "p.csv", [["姓名", "颜色"], ["王", "红"]])
        table = read_table(ImportKind.PEOPLE, path)
        assert {(e.row, e.column, e.code) for e in table.header_errors} == {
            (1, "颜色", "UNKNOWN_COLUMN"),
            (1, "手机号", "MISSING_COLUMN"),
        }


class TestHouseholds:
    async def test_import_creates_then_reimport_changes_nothing(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a file of three households in micro-grid M
        path = write_csv(tmp_path / "h.csv", await household_rows())
        micro = await Area.get(name=M)
        before = await Household.filter(path=micro.path).count()
        # when it is imported, then imported again
        first = await import_file(actor=None, kind=ImportKind.HOUSEHOLDS, path=path)
        second = await import_file(actor=None, kind=ImportKind.HOUSEHOLDS, path=path)
        # then the first created three households under M, the second changed nothing
        assert (first.status, first.created, first.updated) == (ImportStatus.SUCCEEDED, 3, 0)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
        assert await Household.filter(path=micro.path).count() == before + 3
        made = await Household.get(number="H0001")
        assert (made.micro_grid_id, made.address, made.member_count) == (micro.id, "颜山路8号1", 3)

    async def test_a_changed_row_updates_in_place_with_history(
        self, db: Database, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "h.csv", await household_rows())
        await import_file(actor=None, kind=ImportKind.HOUSEHOLDS, path=path)
        made = await Household.get(number="H0002")
        # when a file with another address for the same households comes in
        path = write_csv(tmp_path / "h2.csv", await household_rows(address="新路"))
        job = await import_file(actor=None, kind=ImportKind.HOUSEHOLDS, path=path)
        # then they are updated in place, each with an audit entry before/after
        assert (job.created, job.updated) == (0, 3)
        again = await Household.get(number="H0002")
        assert (again.id, again.address) == (made.id, "新路2")
        entry = await AuditEntry.get(
            kind=AuditKind.IMPORT, subject_type="Household", subject_id=str(made.id)
        )
        assert entry.before == {"address": "颜山路8号2"}
        assert entry.after == {"address": "新路2"}

    async def test_dry_run_counts_and_writes_nothing(self, db: Database, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "h.csv", await household_rows())
        count = await Household.all().count()
        job = await import_file(actor=None, kind=ImportKind.HOUSEHOLDS, path=path, dry_run=True)
        assert (job.status, job.created, job.rows_total) == (ImportStatus.DRY_RUN_DONE, 3, 3)
        assert await Household.all().count() == count

    async def test_one_bad_row_writes_nothing_and_names_row_and_column(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a file whose third data row (file row 4) names no community, fourth repeats a number
        rows = await household_rows(4)
        rows[3][1] = "NOPE"
        rows[4][0] = rows[1][0]
        rows[2][7] = "many"
        path = write_csv(tmp_path / "h.csv", rows)
        count = await Household.all().count()
        # when it is imported
        job = await import_file(actor=None, kind=ImportKind.HOUSEHOLDS, path=path)
        # then nothing is written and each problem names its row and column
        assert job.status is ImportStatus.FAILED
        assert await Household.all().count() == count
        assert await errors_of(job.id) == [
            (3, "人数", "BAD_NUMBER"),
            (4, "社区编码", "NOT_FOUND"),
            (5, "户号", "DUPLICATE"),
        ]

    async def test_an_admin_imports_only_into_their_subtree(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a community admin and a file for a community of another street
        admin = await actor_for("community_admin")
        other = await Area.filter(level=AreaLevel.COMMUNITY).exclude(name=DEMO_COMMUNITY).first()
        assert other is not None and other.code
        rows = await household_rows(1)
        rows[1][1], rows[1][2] = other.code, ""
        path = write_csv(tmp_path / "h.csv", rows)
        # when they import it
        job = await import_file(actor=admin, kind=ImportKind.HOUSEHOLDS, path=path)
        # then the row is refused
        assert await errors_of(job.id) == [(2, "社区编码", "FORBIDDEN")]
        # and into their own community it goes
        own = write_csv(tmp_path / "own.csv", await household_rows(1))
        done = await import_file(actor=admin, kind=ImportKind.HOUSEHOLDS, path=own)
        assert (done.status, done.created) == (ImportStatus.SUCCEEDED, 1)


class TestPeople:
    async def test_people_by_phone_id_card_kept_as_last_four(
        self, db: Database, tmp_path: Path
    ) -> None:
        await import_file(
            actor=None,
            kind=ImportKind.HOUSEHOLDS,
            path=write_csv(tmp_path / "h.csv", await household_rows(1)),
        )
        rows = [
            headers(ImportKind.PEOPLE),
            ["王小明", "13800138000", "H0000", "是", "11010519491231002X"],
        ]
        path = write_csv(tmp_path / "p.xlsx.csv", rows, "gb18030")
        job = await import_file(actor=None, kind=ImportKind.PEOPLE, path=path)
        assert (job.status, job.created) == (ImportStatus.SUCCEEDED, 1)
        person = await Person.get(phone="13800138000")
        household = await Household.get(number="H0000")
        assert (person.household_id, person.party_member) == (household.id, True)
        assert (person.id_card_last4, person.id_card_number) == ("002X", None)
        again = await import_file(actor=None, kind=ImportKind.PEOPLE, path=path)
        assert (again.unchanged, again.updated) == (1, 0)

    async def test_the_full_number_is_kept_when_the_setting_allows(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "store_full_id_numbers", True)
        rows = [headers(ImportKind.PEOPLE), ["赵六", "13800138001", "", "", "11010519491231002X"]]
        await import_file(
            actor=None, kind=ImportKind.PEOPLE, path=write_csv(tmp_path / "p.csv", rows)
        )
        person = await Person.get(phone="13800138001")
        assert person.id_card_number == "11010519491231002X"

    async def test_a_bad_phone_is_a_row_problem(self, db: Database, tmp_path: Path) -> None:
        rows = [headers(ImportKind.PEOPLE), ["王", "12345", "", "", ""]]
        job = await import_file(
            actor=None, kind=ImportKind.PEOPLE, path=write_csv(tmp_path / "p.csv", rows)
        )
        assert await errors_of(job.id) == [(2, "手机号", "BAD_PHONE")]


class TestAreasAndRoles:
    async def test_areas_by_parent_code_in_the_file_then_a_role(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a grid and its micro-grid under the demo community, the child first
        community, _ = await codes()
        rows = [
            headers(ImportKind.AREAS),
            ["T-G1-M1", "测试微网格", "微网格", "T-G1", "", "", ""],
            ["T-G1", "测试网格", "网格", community, "", "测试群", ""],
        ]
        path = write_csv(tmp_path / "a.csv", rows)
        job = await import_file(actor=None, kind=ImportKind.AREAS, path=path)
        assert (job.status, job.created) == (ImportStatus.SUCCEEDED, 2)
        grid = await Area.get(code="T-G1")
        micro = await Area.get(code="T-G1-M1")
        assert micro.parent_id == grid.id
        assert micro.path == f"{grid.path}{micro.id}/"
        again = await import_file(actor=None, kind=ImportKind.AREAS, path=path)
        assert (again.created, again.unchanged) == (0, 2)
        # and a micro-grid leader appointed there by phone
        person = await Person.filter(phone__isnull=False).first()
        assert person is not None and person.phone
        roles = [headers(ImportKind.ROLES), [person.phone, "微网格长", "T-G1-M1", "2026-01-05"]]
        done = await import_file(
            actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", roles)
        )
        assert (done.status, done.created) == (ImportStatus.SUCCEEDED, 1)
        held = await RoleAssignment.get(area_id=micro.id, role=Role.MICRO_GRID_LEADER)
        assert (held.person_id, held.area_path) == (person.id, micro.path)

    async def test_a_level_that_does_not_nest_is_refused(
        self, db: Database, tmp_path: Path
    ) -> None:
        community, _ = await codes()
        rows = [headers(ImportKind.AREAS), ["T-X", "错层", "微网格", community, "", "", ""]]
        job = await import_file(
            actor=None, kind=ImportKind.AREAS, path=write_csv(tmp_path / "a.csv", rows)
        )
        assert await errors_of(job.id) == [(2, "层级", "WRONG_LEVEL")]
