"""Fixes of review 1 to the bulk import: the ROLES import applies assignRole's rules, the PEOPLE
import changes only people the admin may place, blank or absent columns leave stored data, every
household has a number and an export of the demo imports back with no change."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from seed.demo import DEMO_COMMUNITY
from services.enums import AreaKind, AreaLevel, ImportKind, ImportStatus, Role
from services.imports import import_file, runs
from services.imports.columns import format_id_card, format_yes_no, headers
from services.imports.reading import read_table
from services.imports.templates import template
from services.kit import clock
from services.models import Area, Household, ImportRowError, Person, RoleAssignment, UserAccount
from tests.conftest import Database, actor_for


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


async def errors_of(job_id: int) -> list[tuple[int, str, str]]:
    return [
        (e.row, e.column, e.code) for e in await ImportRowError.filter(job_id=job_id).order_by("id")
    ]


async def resident_of(community: Area) -> Person:
    """A person with a phone living in a household of `community`."""
    person = await Person.filter(phone__isnull=False, household__community_id=community.id).first()
    assert person is not None and person.phone
    return person


class TestRolesImportFollowsAssignRole:
    async def test_a_community_admin_cannot_appoint_admins_at_their_community(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given the demo community admin and a resident of their community
        admin = await actor_for("community_admin")
        community = await Area.get(name=DEMO_COMMUNITY)
        person = await resident_of(community)
        before = await RoleAssignment.all().count()
        rows = [
            headers(ImportKind.ROLES),
            [person.phone or "", "社区管理员", community.code or "", ""],
        ]
        # when they import a peer admin, then a district admin at their community
        job = await import_file(
            actor=admin, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", rows)
        )
        rows[1][1] = "区级管理员"
        wrong = await import_file(
            actor=admin, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r2.csv", rows)
        )
        # then both are refused and no role is written
        assert job.status is ImportStatus.FAILED
        assert await errors_of(job.id) == [(2, "区域编码", "FORBIDDEN")]
        assert await errors_of(wrong.id) == [(2, "区域编码", "WRONG_LEVEL")]
        assert await RoleAssignment.all().count() == before

    async def test_a_central_household_must_live_in_the_micro_grid(
        self, db: Database, tmp_path: Path
    ) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        person = await resident_of(community)
        home = await Household.get(id=person.household_id)
        elsewhere = (
            await Area.filter(level=AreaLevel.MICRO_GRID, path__startswith=community.path)
            .exclude(id=home.micro_grid_id)
            .first()
        )
        assert elsewhere is not None and elsewhere.code
        rows = [headers(ImportKind.ROLES), [person.phone or "", "中心户", elsewhere.code, ""]]
        job = await import_file(
            actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", rows)
        )
        assert await errors_of(job.id) == [(2, "手机号", "NOT_IN_MICRO_GRID")]

    async def test_an_admin_of_the_level_above_appoints_with_audit_and_assigner(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given the street admin above the demo community
        admin = await actor_for("street_admin")
        community = await Area.get(name=DEMO_COMMUNITY)
        person = await resident_of(community)
        rows = [
            headers(ImportKind.ROLES),
            [person.phone or "", "社区管理员", community.code or "", ""],
        ]
        job = await import_file(
            actor=admin, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", rows)
        )
        assert (job.status, job.created) == (ImportStatus.SUCCEEDED, 1)
        made = await RoleAssignment.get(
            person_id=person.id, role=Role.COMMUNITY_ADMIN, area_id=community.id
        )
        account = await UserAccount.get(username="street_admin")
        assert made.assigned_by_id == account.id
        from services.models import AuditEntry

        assert await AuditEntry.exists(subject_type="RoleAssignment", subject_id=str(made.id))


class TestPeopleImportScope:
    async def test_a_community_admin_cannot_rewrite_the_district_admin(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given the community admin, and the district admin (no household, a role at the district)
        admin = await actor_for("community_admin")
        account = await UserAccount.get(username="district_admin")
        target = await Person.get(id=account.person_id)
        community = await Area.get(name=DEMO_COMMUNITY)
        home = await Household.filter(community_id=community.id).first()
        assert home is not None and target.phone
        home.number = "H-TEST-1"
        await home.save(update_fields=["number"])
        # when they import a row with the district admin's phone into their community
        rows = [headers(ImportKind.PEOPLE), ["被改名", target.phone, "H-TEST-1", "", ""]]
        job = await import_file(
            actor=admin, kind=ImportKind.PEOPLE, path=write_csv(tmp_path / "p.csv", rows)
        )
        # then the row is refused and the district admin is untouched
        assert await errors_of(job.id) == [(2, "手机号", "FORBIDDEN")]
        again = await Person.get(id=target.id)
        assert (again.name, again.household_id) == (target.name, target.household_id)


class TestBlankCellsLeaveStoredData:
    async def test_absent_or_blank_columns_leave_people_and_households(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a party member in a numbered household
        community = await Area.get(name=DEMO_COMMUNITY)
        person = await resident_of(community)
        person.party_member = True
        await person.save(update_fields=["party_member"])
        home = await Household.get(id=person.household_id)
        # when a people file without 是否党员 and with a blank 户号 comes in (command line)
        rows = [["姓名", "手机号", "户号"], [person.name, person.phone or "", ""]]
        job = await import_file(
            actor=None, kind=ImportKind.PEOPLE, path=write_csv(tmp_path / "p.csv", rows)
        )
        # then nothing changed
        assert (job.status, job.unchanged, job.updated) == (ImportStatus.SUCCEEDED, 1, 0)
        again = await Person.get(id=person.id)
        assert (again.household_id, again.party_member) == (home.id, True)
        # and a households file with blank optional cells leaves them too
        micro = await Area.get(id=home.micro_grid_id)
        rows = [
            ["户号", "社区编码", "微网格编码", "地址"],
            [home.number or "", community.code or "", "", home.address],
        ]
        job = await import_file(
            actor=None, kind=ImportKind.HOUSEHOLDS, path=write_csv(tmp_path / "h.csv", rows)
        )
        assert (job.status, job.unchanged) == (ImportStatus.SUCCEEDED, 1)
        stored = await Household.get(id=home.id)
        assert (stored.micro_grid_id, stored.member_count, stored.room) == (
            micro.id,
            home.member_count,
            home.room,
        )


class TestHouseholdMoves:
    async def test_changing_the_micro_grid_of_a_household_is_refused(
        self, db: Database, tmp_path: Path
    ) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        home = await Household.filter(
            community_id=community.id, micro_grid_id__isnull=False
        ).first()
        assert home is not None
        other = (
            await Area.filter(level=AreaLevel.MICRO_GRID, path__startswith=community.path)
            .exclude(id=home.micro_grid_id)
            .first()
        )
        assert other is not None and other.code
        rows = [
            ["户号", "社区编码", "微网格编码", "地址"],
            [home.number or "", community.code or "", other.code, home.address],
        ]
        job = await import_file(
            actor=None, kind=ImportKind.HOUSEHOLDS, path=write_csv(tmp_path / "h.csv", rows)
        )
        assert await errors_of(job.id) == [(2, "微网格编码", "MOVE_NOT_SUPPORTED")]
        assert (await Household.get(id=home.id)).micro_grid_id == home.micro_grid_id


class TestRoundTripOfTheDemo:
    async def test_an_export_of_the_demo_as_seeded_imports_back_with_no_change(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given the demo as seeded: every household has a number
        community = await Area.get(name=DEMO_COMMUNITY)
        homes = await Household.filter(community_id=community.id).order_by("id")
        assert homes and all(h.number for h in homes)
        codes = dict(await Area.filter(code__isnull=False).values_list("id", "code"))
        numbers = {h.id: h.number or "" for h in homes}
        # and the export's columns written from the database
        household_rows = [headers(ImportKind.HOUSEHOLDS)] + [
            [
                h.number or "",
                community.code or "",
                codes.get(h.micro_grid_id, "") if h.micro_grid_id else "",
                h.address,
                h.building or "",
                h.unit or "",
                h.room or "",
                str(h.member_count),
            ]
            for h in homes
        ]
        people = await Person.filter(phone__isnull=False, household_id__in=list(numbers)).order_by(
            "id"
        )
        people_rows = [headers(ImportKind.PEOPLE)] + [
            [
                p.name,
                p.phone or "",
                numbers[p.household_id or 0],
                format_yes_no(p.party_member),
                format_id_card(p.id_card_last4) if p.id_card_last4 else "",
            ]
            for p in people
        ]
        in_households = await Person.filter(household_id__isnull=False).count()
        # when both files are imported back, by the command line and by the community admin
        admin = await actor_for("community_admin")
        for actor in (None, admin):
            h = await import_file(
                actor=actor,
                kind=ImportKind.HOUSEHOLDS,
                path=write_csv(tmp_path / "h.csv", household_rows),
            )
            p = await import_file(
                actor=actor, kind=ImportKind.PEOPLE, path=write_csv(tmp_path / "p.csv", people_rows)
            )
            # then nothing changed
            assert (h.status, h.created, h.updated, h.unchanged) == (
                ImportStatus.SUCCEEDED,
                0,
                0,
                len(homes),
            )
            assert (p.status, p.created, p.updated, p.unchanged) == (
                ImportStatus.SUCCEEDED,
                0,
                0,
                len(people),
            )
        assert await Person.filter(household_id__isnull=False).count() == in_households


class TestAreasImportFollowsTheAreaRules:
    async def test_a_new_area_named_like_a_stored_sibling_is_a_row_conflict(
        self, db: Database, tmp_path: Path
    ) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        sibling = await Area.filter(parent_id=community.id).first()
        assert sibling is not None
        rows = [headers(ImportKind.AREAS), ["T-NEW", sibling.name, "网格", community.code or ""]]
        rows[0] = rows[0][:4]
        for dry_run in (True, False):
            job = await import_file(
                actor=None,
                kind=ImportKind.AREAS,
                path=write_csv(tmp_path / "a.csv", rows),
                dry_run=dry_run,
            )
            assert job.status is ImportStatus.FAILED
            assert await errors_of(job.id) == [(2, "名称", "CONFLICT")]
        assert not await Area.exists(code="T-NEW")

    async def test_a_javascript_link_is_refused_and_a_grid_kind_cascades(
        self, db: Database, tmp_path: Path
    ) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        grid = await Area.filter(parent_id=community.id, level=AreaLevel.GRID).first()
        assert grid is not None and grid.code
        header = ["区域编码", "名称", "层级", "上级编码", "类型", "联系群链接"]
        bad = [header, [grid.code, grid.name, "网格", community.code or "", "", "javascript:x()"]]
        job = await import_file(
            actor=None, kind=ImportKind.AREAS, path=write_csv(tmp_path / "a.csv", bad)
        )
        assert await errors_of(job.id) == [(2, "联系群链接", "BAD_LINK")]
        dedicated = [header, [grid.code, grid.name, "网格", community.code or "", "专属", ""]]
        job = await import_file(
            actor=None, kind=ImportKind.AREAS, path=write_csv(tmp_path / "b.csv", dedicated)
        )
        assert (job.status, job.updated) == (ImportStatus.SUCCEEDED, 1)
        kinds = set(await Area.filter(parent_id=grid.id).values_list("kind", flat=True))
        assert kinds == {AreaKind.SPECIAL}


class TestConcurrentImports:
    async def test_two_imports_of_the_same_people_at_once_add_each_person_once(
        self, db: Database, tmp_path: Path
    ) -> None:
        rows = [headers(ImportKind.PEOPLE)] + [
            [f"并发{i}", f"1390000{i:04d}", "", "", ""] for i in range(5)
        ]
        path = write_csv(tmp_path / "p.csv", rows)
        before = await Person.all().count()
        jobs = await asyncio.gather(
            import_file(actor=None, kind=ImportKind.PEOPLE, path=path),
            import_file(actor=None, kind=ImportKind.PEOPLE, path=path),
        )
        assert all(job.status is ImportStatus.SUCCEEDED for job in jobs)
        assert await Person.all().count() == before + 5


class TestBadFilesAndBoundedErrors:
    async def test_a_huge_cell_is_a_bad_file_problem_not_an_exception(
        self, db: Database, tmp_path: Path
    ) -> None:
        rows = [headers(ImportKind.PEOPLE), ["王", "13800138000", "", "", ""], ["x" * 200_000]]
        job = await import_file(
            actor=None, kind=ImportKind.PEOPLE, path=write_csv(tmp_path / "p.csv", rows)
        )
        assert job.status is ImportStatus.FAILED
        assert await errors_of(job.id) == [(3, "", "BAD_FILE")]

    async def test_non_ascii_digits_are_row_problems(self, db: Database, tmp_path: Path) -> None:
        rows = [
            ["户号", "社区编码", "地址", "人数"],
            ["T-1", (await Area.get(name=DEMO_COMMUNITY)).code or "", "路1号", "²"],
        ]
        job = await import_file(
            actor=None, kind=ImportKind.HOUSEHOLDS, path=write_csv(tmp_path / "h.csv", rows)
        )
        assert await errors_of(job.id) == [(2, "人数", "BAD_NUMBER")]
        people = [headers(ImportKind.PEOPLE), ["王", "1３８00138000", "", "", ""]]
        job = await import_file(
            actor=None, kind=ImportKind.PEOPLE, path=write_csv(tmp_path / "p.csv", people)
        )
        assert await errors_of(job.id) == [(2, "手机号", "BAD_PHONE")]

    async def test_only_the_first_problems_are_kept_and_the_rest_counted(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(runs, "MAX_STORED_ERRORS", 4)
        rows = [headers(ImportKind.PEOPLE)] + [["王", "12345", "", "", ""] for _ in range(10)]
        job = await import_file(
            actor=None, kind=ImportKind.PEOPLE, path=write_csv(tmp_path / "p.csv", rows)
        )
        assert job.error_count == 10
        assert await errors_of(job.id) == [
            (2, "手机号", "BAD_PHONE"),
            (3, "手机号", "BAD_PHONE"),
            (4, "手机号", "BAD_PHONE"),
            (4, "", "MORE_ERRORS"),
        ]


class TestTemplatesKeepDigits:
    def test_xlsx_template_columns_are_text_and_a_numeric_id_number_is_refused(
        self, tmp_path: Path
    ) -> None:
        workbook = openpyxl.load_workbook(io.BytesIO(template(ImportKind.PEOPLE, "xlsx")))
        sheet = workbook.worksheets[0]
        assert [sheet.column_dimensions[c].number_format for c in "ABCE"] == ["@"] * 4
        # an ID number Excel kept as a number (rounded to 15 digits)
        book = openpyxl.Workbook()
        rows = book.active
        assert rows is not None
        rows.append(headers(ImportKind.PEOPLE))
        rows.append(["王", "13800138000", None, None, 110101199003077777.0])
        book.save(tmp_path / "p.xlsx")
        (row,) = list(read_table(ImportKind.PEOPLE, tmp_path / "p.xlsx").rows)
        assert [(e.column, e.code) for e in row.errors] == [("身份证号", "BAD_ID_CARD")]


class TestRoleDatesAreLocal:
    async def test_a_role_given_after_local_midnight_reimports_unchanged(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a role given at 01:30 in Shanghai (17:30 UTC the day before)
        community = await Area.get(name=DEMO_COMMUNITY)
        holders = await RoleAssignment.filter(area_id__isnull=False).values_list(
            "person_id", flat=True
        )
        person = (
            await Person.filter(
                phone__isnull=False,
                household__community_id=community.id,
                household__micro_grid_id__isnull=False,
            )
            .exclude(id__in=list(holders))
            .first()
        )
        assert person is not None
        home = await Household.get(id=person.household_id)
        micro = await Area.get(id=home.micro_grid_id)
        rows = [headers(ImportKind.ROLES), [person.phone or "", "中心户", micro.code or "", ""]]
        with clock.frozen(dt.datetime(2026, 3, 1, 1, 30, tzinfo=ZoneInfo("Asia/Shanghai"))):
            made = await import_file(
                actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", rows)
            )
            assert made.created == 1
            # when the row comes back with the local date an export writes
            rows[1][3] = "2026-03-01"
            again = await import_file(
                actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r2.csv", rows)
            )
        # then nothing changed
        assert (again.status, again.unchanged, again.updated) == (ImportStatus.SUCCEEDED, 1, 0)
