"""Fixes of review 1 to the bulk import: the ROLES import applies assignRole's rules, the PEOPLE
import changes only people the admin may place, blank or absent columns leave stored data, every
household has a number and an export of the demo imports back with no change."""

from __future__ import annotations

import csv
from pathlib import Path

from seed.demo import DEMO_COMMUNITY
from services.enums import AreaLevel, ImportKind, ImportStatus, Role
from services.imports import import_file
from services.imports.columns import headers
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
