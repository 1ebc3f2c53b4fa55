"""What changes between an import's checks and its write (services.imports.runs): a domain rule
or a unique constraint refusing a row at write time fails the job with that problem (CONFLICT)
and writes nothing, and the roles import counts assignRole's limits again under the write lock,
so that an appointment made meanwhile is counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.enums import AreaLevel, ImportKind, ImportStatus, Role
from services.imports import import_file
from services.imports.columns import headers
from services.imports.loading import RoleLoader
from services.imports.partners import PartnerResourceLoader
from services.models import Area, ImportRowError, PartnerUnit, ResourceOffer, RoleAssignment
from services.people import roles
from services.people.persons import DUTY_CARD_ROLES
from services.people.roles import assign_role
from tests.conftest import Database, actor_for
from tests.services.imports.test_import_rules import M, open_roles, residents_of, row_of
from tests.services.imports.test_imports import errors_of, write_csv
from tests.services.imports.test_partners import UNIT, import_unit, resource_rows, unit_rows


def between_check_and_write(
    monkeypatch: pytest.MonkeyPatch, loader: type[Any], meanwhile: Any
) -> None:
    """Run `meanwhile()` once the loader's checks have all passed, before its write (the first
    import only: one that `meanwhile` runs checks plainly)."""
    finish_checks = loader.finish_checks
    pending = [meanwhile]

    async def checked(self: Any) -> Any:
        problems = await finish_checks(self)
        if pending:
            await pending.pop()()
        return problems

    monkeypatch.setattr(loader, "finish_checks", checked)


class TestWriteConflicts:
    async def test_a_quantity_committed_meanwhile_fails_the_row_and_writes_nothing(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        unit = await import_unit(tmp_path)
        path = write_csv(tmp_path / "r.csv", await resource_rows("电脑"))
        await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        offer = await ResourceOffer.get(unit_id=unit.id, title="电脑")

        async def matched() -> None:  # a match commits 8 of the 10 after the checks
            await ResourceOffer.filter(id=offer.id).update(remaining=2)

        between_check_and_write(monkeypatch, PartnerResourceLoader, matched)
        # when a file lowers the quantity to 5 (passing the checks: nothing committed then)
        path = write_csv(tmp_path / "r2.csv", await resource_rows("电脑", quantity="5"))
        job = await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        # then the job fails on that row's quantity, nothing written
        assert (job.status, job.error_count, job.updated) == (ImportStatus.FAILED, 1, 0)
        assert await errors_of(job.id) == [(2, "数量", "CONFLICT")]
        after = await ResourceOffer.get(id=offer.id)
        assert (after.quantity, after.remaining) == (10, 2)

    async def test_a_name_taken_meanwhile_fails_the_job_and_writes_nothing(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        bulk_create = PartnerUnit.bulk_create

        async def raced(objects: list[PartnerUnit], **kwargs: Any) -> Any:
            # a registerUnit of the same name commits between the write's read and its insert
            first = objects[0]
            await PartnerUnit.create(
                name=first.name,
                kind=first.kind,
                status=first.status,
                community_id=first.community_id,
                community_path=first.community_path,
                registered_by_id=first.registered_by_id,
                created_at=first.created_at,
            )
            return await bulk_create(objects, **kwargs)

        monkeypatch.setattr(PartnerUnit, "bulk_create", raced)
        path = write_csv(tmp_path / "u.csv", await unit_rows())
        # when the unit is imported
        job = await import_file(actor=None, kind=ImportKind.PARTNERS, path=path)
        # then the job fails with a CONFLICT of the file, nothing written
        assert (job.status, job.error_count, job.created) == (ImportStatus.FAILED, 1, 0)
        assert await errors_of(job.id) == [(1, "", "CONFLICT")]
        assert not await PartnerUnit.exists(name=UNIT)


class TestRoleLimitsAtWrite:
    async def test_an_appointment_made_meanwhile_counts_against_the_open_role_limit(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a resident who may hold one more role
        micro = await Area.get(name=M)
        community = await Area.get(id=micro.path.strip("/").split("/")[2])
        assert community.level is AreaLevel.COMMUNITY and community.code
        (person,) = await residents_of(micro, 1)
        monkeypatch.setattr(roles, "MAX_OPEN_ROLES", await open_roles(person) + 1)
        admin = await actor_for("community_admin")

        async def appointed() -> None:  # assignRole gives them that role after the checks
            await assign_role(
                actor=admin, person_id=person.id, role=Role.PARTNER_MEMBER, area_id=community.id
            )

        between_check_and_write(monkeypatch, RoleLoader, appointed)
        before = await RoleAssignment.all().count()
        rows = [
            headers(ImportKind.ROLES),
            row_of(
                ImportKind.ROLES, phone=person.phone or "", role="志愿者", area_code=community.code
            ),
        ]
        # when a file appoints them to another (passing the checks)
        job = await import_file(
            actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", rows)
        )
        # then the row is refused on the phone at write time, as assignRole would, and the
        # import wrote nothing: the person holds no more than the limit
        assert (job.status, job.created) == (ImportStatus.FAILED, 0)
        assert await errors_of(job.id) == [(2, "手机号", "CONFLICT")]
        [problem] = await ImportRowError.filter(job_id=job.id)
        assert problem.message.startswith(f"A person holds at most {roles.MAX_OPEN_ROLES} roles")
        assert await RoleAssignment.all().count() == before + 1
        assert await open_roles(person) == roles.MAX_OPEN_ROLES

    async def test_the_duty_holder_limit_is_counted_again_at_write(
        self, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a micro-grid that may have one more duty-role holder
        micro = await Area.get(name=M)
        code = micro.code or ""
        assert code
        first, second = await residents_of(micro, 2)
        holders = await RoleAssignment.filter(
            area_id=micro.id, until=None, role__in=list(DUTY_CARD_ROLES)
        ).count()
        monkeypatch.setattr(roles, "MAX_DUTY_HOLDERS", holders + 1)
        rows = [
            headers(ImportKind.ROLES),
            row_of(ImportKind.ROLES, phone=second.phone or "", role="中心户", area_code=code),
        ]

        async def other_import() -> None:  # another import appoints the first meanwhile
            other = [
                rows[0],
                row_of(ImportKind.ROLES, phone=first.phone or "", role="中心户", area_code=code),
            ]
            done = await import_file(
                actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "o.csv", other)
            )
            assert done.status is ImportStatus.SUCCEEDED

        between_check_and_write(monkeypatch, RoleLoader, other_import)
        # when this file appoints the second
        job = await import_file(
            actor=None, kind=ImportKind.ROLES, path=write_csv(tmp_path / "r.csv", rows)
        )
        # then it is refused on the area at write time; the other import's stands
        assert await errors_of(job.id) == [(2, "区域编码", "CONFLICT")]
        assert not await RoleAssignment.exists(person_id=second.id, area_id=micro.id, until=None)
        assert await RoleAssignment.exists(person_id=first.id, area_id=micro.id, until=None)
