"""The imports apply the API's rules: a ROLES row is refused where assignRole's limits
(services.people.roles.role_limit_problem) would refuse it, and a new household's number
(户号) may not take the form reserved for default numbers (H + 8 digits)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from services.enums import AreaLevel, ImportKind, ImportStatus, Role
from services.errors import Conflict
from services.households import create_household, default_number
from services.imports import import_file
from services.imports.columns import COLUMNS, headers
from services.models import Area, Household, ImportRowError, Person, RoleAssignment
from services.people import roles
from services.people.persons import DUTY_CARD_ROLES
from services.people.roles import assign_role
from tests.conftest import Database, actor_for

M = "颜山花园1-2号楼微网格"


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


def row_of(kind: ImportKind, **values: str) -> list[str]:
    """A row of `kind` with the given cells by attribute, the other columns blank."""
    return [values.get(column.attribute, "") for column in COLUMNS[kind]]


async def errors_of(job_id: int) -> list[tuple[int, str, str]]:
    return [
        (e.row, e.column, e.code) for e in await ImportRowError.filter(job_id=job_id).order_by("id")
    ]


async def residents_of(micro: Area, n: int) -> list[Person]:
    """`n` people with a phone living in households of the micro-grid, holding no role there."""
    holders = await RoleAssignment.filter(area_id=micro.id, until=None).values_list(
        "person_id", flat=True
    )
    people = (
        await Person.filter(phone__isnull=False, household__micro_grid_id=micro.id)
        .exclude(id__in=list(holders) or [0])
        .order_by("id")
        .limit(n)
    )
    assert len(people) == n and all(p.phone for p in people)
    return people


async def open_roles(person: Person) -> int:
    return await RoleAssignment.filter(person_id=person.id, until=None).count()


async def duty_holders(area: Area) -> int:
    return await RoleAssignment.filter(
        area_id=area.id, until=None, role__in=list(DUTY_CARD_ROLES)
    ).count()


class TestRolesImportLimits:
    async def test_a_person_at_the_open_role_limit_is_refused_as_assign_role_refuses(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a resident who may hold one more role (the limit lowered to what they hold + 1)
        micro = await Area.get(name=M)
        community = await Area.get(id=micro.path.strip("/").split("/")[2])
        assert community.level is AreaLevel.COMMUNITY and community.code
        (person,) = await residents_of(micro, 1)
        monkeypatch.setattr(roles, "MAX_OPEN_ROLES", await open_roles(person) + 1)
        before = await RoleAssignment.all().count()
        rows = [
            headers(ImportKind.ROLES),
            row_of(
                ImportKind.ROLES, phone=person.phone or "", role="志愿者", area_code=community.code
            ),
            row_of(
                ImportKind.ROLES,
                phone=person.phone or "",
                role="共建单位成员",
                area_code=community.code,
            ),
        ]
        # when a file gives them two more roles
        job = await import_file(
            actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", rows)
        )
        # then the second row is refused on the phone, and nothing is written
        assert job.status is ImportStatus.FAILED
        assert await errors_of(job.id) == [(3, "手机号", "CONFLICT")]
        assert await RoleAssignment.all().count() == before
        # and assignRole refuses the same second appointment with the same message
        admin = await actor_for("community_admin")
        await assign_role(
            actor=admin, person_id=person.id, role=Role.VOLUNTEER, area_id=community.id
        )
        with pytest.raises(Conflict) as refused:
            await assign_role(
                actor=admin, person_id=person.id, role=Role.PARTNER_MEMBER, area_id=community.id
            )
        message = await ImportRowError.get(job_id=job.id)
        assert (refused.value.field, refused.value.message) == ("personId", message.message)

    async def test_an_area_at_the_duty_holder_limit_is_refused(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a micro-grid that may have one more duty-role holder
        micro = await Area.get(name=M)
        assert micro.code
        first, second = await residents_of(micro, 2)
        monkeypatch.setattr(roles, "MAX_DUTY_HOLDERS", await duty_holders(micro) + 1)
        rows = [headers(ImportKind.ROLES)] + [
            row_of(ImportKind.ROLES, phone=p.phone or "", role="中心户", area_code=micro.code)
            for p in (first, second)
        ]
        # when two of its residents are imported as central households
        job = await import_file(
            actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", rows)
        )
        # then the second is refused on the area, and neither is appointed
        assert await errors_of(job.id) == [(3, "区域编码", "CONFLICT")]
        assert not await RoleAssignment.exists(
            area_id=micro.id, role=Role.CENTRAL_HOUSEHOLD, person_id__in=[first.id, second.id]
        )
        # and with one row the file passes
        job = await import_file(
            actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r1.csv", rows[:2])
        )
        assert (job.status, job.created) == (ImportStatus.SUCCEEDED, 1)
        assert await duty_holders(micro) == roles.MAX_DUTY_HOLDERS

    async def test_a_row_equal_to_a_held_role_passes_at_the_limits(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a central household, with both limits reached
        micro = await Area.get(name=M)
        assert micro.code
        (person,) = await residents_of(micro, 1)
        rows = [
            headers(ImportKind.ROLES),
            row_of(ImportKind.ROLES, phone=person.phone or "", role="中心户", area_code=micro.code),
        ]
        path = write_csv(tmp_path / "r.csv", rows)
        made = await import_file(actor=None, kind=ImportKind.ROLES, path=path)
        assert made.status is ImportStatus.SUCCEEDED
        monkeypatch.setattr(roles, "MAX_OPEN_ROLES", await open_roles(person))
        monkeypatch.setattr(roles, "MAX_DUTY_HOLDERS", await duty_holders(micro))
        # when the same row is imported again, then it is unchanged, not refused
        again = await import_file(actor=None, kind=ImportKind.ROLES, path=path)
        assert (again.status, again.created, again.unchanged) == (ImportStatus.SUCCEEDED, 0, 1)


class TestReservedHouseholdNumbers:
    async def test_a_new_household_may_not_take_the_default_form(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given the next default number (the household registered next would get it)
        micro = await Area.get(name=M)
        community = await Area.get(id=micro.path.strip("/").split("/")[2])
        assert micro.code and community.code
        last = await Household.all().order_by("-id").first()
        assert last is not None
        taken = default_number(last.id + 1)
        before = await Household.all().count()

        def household(number: str) -> list[str]:
            return row_of(
                ImportKind.HOUSEHOLDS,
                number=number,
                community_code=community.code or "",
                micro_grid_code=micro.code or "",
                address="颜山路9号",
            )

        rows = [
            headers(ImportKind.HOUSEHOLDS),
            household(taken),
            household("H123456789"),
            household("H1234567"),
        ]
        # when a file brings it, a longer one of the same form, and a shorter one
        job = await import_file(
            actor=None, kind=ImportKind.HOUSEHOLDS, path=write_csv(tmp_path / "h.csv", rows)
        )
        # then both of the default form are refused with a message saying why; nothing is written
        assert await errors_of(job.id) == [(2, "户号", "RESERVED"), (3, "户号", "RESERVED")]
        message = (await ImportRowError.filter(job_id=job.id).first() or ImportRowError()).message
        assert taken in message and "reserved" in message
        assert await Household.all().count() == before
        # and the next household registered gets that number, held by nobody else
        admin = await actor_for("community_admin")
        made = await create_household(actor=admin, area_id=micro.id, address="颜山路10号")
        assert made.number == taken
        assert await Household.filter(number=taken).count() == 1

    async def test_a_stored_household_keeps_its_default_number_on_reimport(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a household registered with its default number
        micro = await Area.get(name=M)
        community = await Area.get(id=micro.path.strip("/").split("/")[2])
        assert micro.code and community.code
        admin = await actor_for("community_admin")
        made = await create_household(actor=admin, area_id=micro.id, address="颜山路10号")
        assert made.number == default_number(made.id)
        rows = [
            headers(ImportKind.HOUSEHOLDS),
            row_of(
                ImportKind.HOUSEHOLDS,
                number=made.number,
                community_code=community.code,
                micro_grid_code=micro.code,
                address="颜山路11号",
            ),
        ]
        # when a file (as an export writes it) names it by that number
        job = await import_file(
            actor=None, kind=ImportKind.HOUSEHOLDS, path=write_csv(tmp_path / "h.csv", rows)
        )
        # then it is updated in place
        assert (job.status, job.created, job.updated) == (ImportStatus.SUCCEEDED, 0, 1)
        again = await Household.get(id=made.id)
        assert (again.number, again.address) == (made.number, "颜山路11号")
