"""Importing partner units (共建单位) and their resource lists (资源清单): created approved,
unchanged on re-import, updated in place with history, the rules of registerUnit and
postResource, scope, dry runs, and exports that import back unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from seed.demo import DEMO_COMMUNITY
from services import exports
from services.enums import (
    AreaLevel,
    AuditKind,
    ExportFormat,
    ExportKind,
    ImportKind,
    ImportStatus,
    PartnerUnitKind,
    PartnerUnitStatus,
    ResourceCategory,
    ResourceStatus,
)
from services.exports import Options
from services.exports.writing import export_file
from services.imports import import_file
from services.imports.columns import headers
from services.models import (
    Area,
    AuditEntry,
    ImportRowError,
    PartnerUnit,
    ResourceArea,
    ResourceOffer,
)
from tests.conftest import Database, actor_for
from tests.services.imports.test_imports import errors_of, write_csv

UNIT = "博山区测试科技公司"


async def community() -> Area:
    area = await Area.get(name=DEMO_COMMUNITY)
    assert area.code
    return area


async def unit_rows(**cells: str) -> list[list[str]]:
    code = (await community()).code or ""
    row = {
        "name": UNIT,
        "kind": "企业",
        "community_code": code,
        "address": "颜山路1号",
        "phone": "+86 138-0013-8000",
        "description": "软件服务",
    }
    row.update(cells)
    return [headers(ImportKind.PARTNERS), list(row.values())]


async def resource_rows(*titles: str, quantity: str = "10") -> list[list[str]]:
    code = (await community()).code or ""
    return [headers(ImportKind.PARTNER_RESOURCES)] + [
        [UNIT, code, title, "设备", quantity, "台", "笔记本电脑"] for title in titles
    ]


async def import_unit(tmp_path: Path) -> PartnerUnit:
    path = write_csv(tmp_path / "units.csv", await unit_rows())
    job = await import_file(actor=None, kind=ImportKind.PARTNERS, path=path)
    assert job.status is ImportStatus.SUCCEEDED
    return await PartnerUnit.get(name=UNIT)


class TestPartnerUnits:
    async def test_import_creates_then_reimport_changes_nothing(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a file of one unit, imported by the community's admin
        admin = await actor_for("community_admin")
        path = write_csv(tmp_path / "u.csv", await unit_rows())
        # when it is imported twice
        first = await import_file(actor=admin, kind=ImportKind.PARTNERS, path=path)
        second = await import_file(actor=admin, kind=ImportKind.PARTNERS, path=path)
        # then the unit is created approved (the phone normalised), and nothing changes again
        assert (first.status, first.created, first.updated) == (ImportStatus.SUCCEEDED, 1, 0)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 1)
        unit = await PartnerUnit.get(name=UNIT)
        assert (unit.kind, unit.status, unit.phone) == (
            PartnerUnitKind.ENTERPRISE,
            PartnerUnitStatus.APPROVED,
            "13800138000",
        )
        assert (unit.community_id, unit.registered_by_id) == (
            (await community()).id,
            admin.person_id,
        )

    async def test_a_changed_row_updates_in_place_with_history(
        self, db: Database, tmp_path: Path
    ) -> None:
        unit = await import_unit(tmp_path)
        # when the unit comes again with another kind, a landline and blank optional cells
        rows = await unit_rows(kind="社会组织", phone="05334181234", address="", description="")
        job = await import_file(
            actor=None, kind=ImportKind.PARTNERS, path=write_csv(tmp_path / "u2.csv", rows)
        )
        # then it is updated in place; blank cells erased nothing
        assert (job.created, job.updated) == (0, 1)
        after = await PartnerUnit.get(id=unit.id)
        assert (after.kind, after.phone, after.address, after.description) == (
            PartnerUnitKind.SOCIAL_ORGANIZATION,
            "05334181234",
            "颜山路1号",
            "软件服务",
        )
        entry = await AuditEntry.get(kind=AuditKind.IMPORT, subject_id=str(unit.id))
        assert entry.before == {"kind": "ENTERPRISE", "phone": "13800138000"}
        assert entry.after == {"kind": "SOCIAL_ORGANIZATION", "phone": "05334181234"}

    async def test_bad_rows_are_reported_and_nothing_is_written(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given a file with a bad kind, an unknown community, a bad phone and a duplicate
        rows = await unit_rows()
        good = rows[1]
        rows += [
            [*good[:1], "工厂", *good[2:]],
            ["另一单位", "企业", "NOPE", "", "", ""],
            ["第三单位", "企业", good[2], "", "12", ""],
        ]
        count = await PartnerUnit.all().count()
        job = await import_file(
            actor=None, kind=ImportKind.PARTNERS, path=write_csv(tmp_path / "u.csv", rows)
        )
        # then every problem is reported by row and column, and nothing is written
        assert job.status is ImportStatus.FAILED
        assert await errors_of(job.id) == [
            (3, "单位类型", "BAD_VALUE"),
            (3, "单位名称", "DUPLICATE"),
            (4, "社区编码", "NOT_FOUND"),
            (5, "联系电话", "BAD_PHONE"),
        ]
        assert await PartnerUnit.all().count() == count

    async def test_an_admin_imports_only_into_their_subtree(
        self, db: Database, tmp_path: Path
    ) -> None:
        admin = await actor_for("community_admin")
        other = await Area.filter(level=AreaLevel.COMMUNITY).exclude(name=DEMO_COMMUNITY).first()
        assert other is not None and other.code
        path = write_csv(tmp_path / "u.csv", await unit_rows(community_code=other.code))
        job = await import_file(actor=admin, kind=ImportKind.PARTNERS, path=path)
        assert await errors_of(job.id) == [(2, "社区编码", "FORBIDDEN")]
        assert not await PartnerUnit.exists(name=UNIT)

    async def test_a_dry_run_counts_and_writes_nothing(self, db: Database, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "u.csv", await unit_rows())
        job = await import_file(actor=None, kind=ImportKind.PARTNERS, path=path, dry_run=True)
        assert (job.status, job.created) == (ImportStatus.DRY_RUN_DONE, 1)
        assert not await PartnerUnit.exists(name=UNIT)


class TestPartnerResources:
    async def test_import_creates_then_reimport_changes_nothing(
        self, db: Database, tmp_path: Path
    ) -> None:
        # given an imported unit and a file of two of its resources
        unit = await import_unit(tmp_path)
        path = write_csv(tmp_path / "r.csv", await resource_rows("电脑", "投影仪"))
        # when the file is imported twice
        first = await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        second = await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        # then two open entries serve the unit's community, and the second run changes nothing
        assert (first.status, first.created) == (ImportStatus.SUCCEEDED, 2)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
        offers = await ResourceOffer.filter(unit_id=unit.id).order_by("id")
        assert [(o.title, o.quantity, o.remaining, o.status) for o in offers] == [
            ("电脑", 10, 10, ResourceStatus.OPEN),
            ("投影仪", 10, 10, ResourceStatus.OPEN),
        ]
        served = await ResourceArea.filter(resource_id__in=[o.id for o in offers])
        assert {(s.area_id, s.category) for s in served} == {
            (unit.community_id, ResourceCategory.EQUIPMENT)
        }
        assert len(served) == 2

    async def test_a_changed_quantity_moves_the_remaining_with_history(
        self, db: Database, tmp_path: Path
    ) -> None:
        unit = await import_unit(tmp_path)
        path = write_csv(tmp_path / "r.csv", await resource_rows("电脑"))
        await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        offer = await ResourceOffer.get(unit_id=unit.id, title="电脑")
        # given 3 of the 10 committed by matches
        await ResourceOffer.filter(id=offer.id).update(remaining=7)
        # when the quantity becomes 15
        path = write_csv(tmp_path / "r2.csv", await resource_rows("电脑", quantity="15"))
        job = await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        # then it is updated in place, the committed 3 kept, with an audit entry
        assert (job.created, job.updated) == (0, 1)
        after = await ResourceOffer.get(id=offer.id)
        assert (after.quantity, after.remaining) == (15, 12)
        entry = await AuditEntry.get(kind=AuditKind.IMPORT, subject_id=str(offer.id))
        assert entry.subject_type == "ResourceOffer"
        assert entry.before and entry.after
        assert (entry.before["quantity"], entry.after["quantity"]) == (10, 15)
        # and below the committed part it is refused
        path = write_csv(tmp_path / "r3.csv", await resource_rows("电脑", quantity="2"))
        job = await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        assert await errors_of(job.id) == [(2, "数量", "BELOW_COMMITTED")]

    async def test_bad_rows_are_reported_and_nothing_is_written(
        self, db: Database, tmp_path: Path
    ) -> None:
        await import_unit(tmp_path)
        path = write_csv(tmp_path / "r.csv", await resource_rows("电脑"))
        await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        rows = await resource_rows("电脑", "电脑", "零件", "打印机")
        rows[1][3] = "资金"  # a stored entry's category stays
        rows[3][4] = "0"  # a quantity is 1 or more (postResource)
        rows[4][0] = "没有的单位"
        rows.append(["未知", "NOPE", "x", "怪类", "1", "个", ""])
        count = await ResourceOffer.all().count()
        job = await import_file(
            actor=None, kind=ImportKind.PARTNER_RESOURCES, path=write_csv(tmp_path / "b.csv", rows)
        )
        assert job.status is ImportStatus.FAILED
        assert await errors_of(job.id) == [
            (2, "资源类别", "CATEGORY_CHANGED"),
            (3, "资源名称", "DUPLICATE"),
            (4, "数量", "BAD_VALUE"),
            (5, "单位名称", "UNKNOWN_PARTNER"),
            (6, "资源类别", "BAD_VALUE"),
            (6, "社区编码", "NOT_FOUND"),
        ]
        assert await ResourceOffer.all().count() == count

    async def test_out_of_scope_and_unapproved_units_are_refused(
        self, db: Database, tmp_path: Path
    ) -> None:
        unit = await import_unit(tmp_path)
        path = write_csv(tmp_path / "r.csv", await resource_rows("电脑"))
        # a community admin of another street's community
        street_admin = await actor_for("street_admin")
        other = await Area.filter(level=AreaLevel.COMMUNITY).exclude(name=DEMO_COMMUNITY)
        outside = next(a for a in other if a.code and not street_admin.administers(a.path))
        rows = await resource_rows("电脑")
        rows[1][1] = outside.code or ""
        job = await import_file(
            actor=street_admin,
            kind=ImportKind.PARTNER_RESOURCES,
            path=write_csv(tmp_path / "o.csv", rows),
        )
        assert await errors_of(job.id) == [(2, "社区编码", "FORBIDDEN")]
        # a unit still pending review posts no resources (as postResource)
        await PartnerUnit.filter(id=unit.id).update(status=PartnerUnitStatus.PENDING)
        job = await import_file(actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path)
        assert await errors_of(job.id) == [(2, "单位名称", "NOT_APPROVED")]
        assert not await ResourceOffer.exists(unit_id=unit.id)

    async def test_a_dry_run_counts_and_writes_nothing(self, db: Database, tmp_path: Path) -> None:
        unit = await import_unit(tmp_path)
        path = write_csv(tmp_path / "r.csv", await resource_rows("电脑"))
        job = await import_file(
            actor=None, kind=ImportKind.PARTNER_RESOURCES, path=path, dry_run=True
        )
        assert (job.status, job.created) == (ImportStatus.DRY_RUN_DONE, 1)
        assert not await ResourceOffer.exists(unit_id=unit.id)


@pytest.mark.parametrize("format", [ExportFormat.CSV, ExportFormat.XLSX])
async def test_exports_import_back_unchanged(
    db: Database, media_dir: Path, format: ExportFormat
) -> None:
    # given the demo community's units and resource lists (a landline among the phones)
    area = await community()
    admin = await actor_for("community_admin")
    for export_kind, import_kind in [
        (ExportKind.PARTNERS, ImportKind.PARTNERS),
        (ExportKind.PARTNER_RESOURCES, ImportKind.PARTNER_RESOURCES),
    ]:
        # when each is exported (phones in full) and imported back, dry
        result = await exports.export(
            actor=admin,
            kind=export_kind,
            under=area.id,
            format=format,
            options=Options(unmasked_phones=True),
        )
        assert result.rows > 0, export_kind
        job = await import_file(
            actor=admin, kind=import_kind, path=export_file(result.path), dry_run=True
        )
        # then there is no problem and nothing would change
        problems = await ImportRowError.filter(job_id=job.id).limit(5).values()
        assert job.status is ImportStatus.DRY_RUN_DONE, (export_kind, problems)
        assert (job.created, job.updated, job.unchanged) == (0, 0, result.rows), export_kind
