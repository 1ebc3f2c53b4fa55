"""The other kinds of export (services.exports): each kind's headers and rows on the demo
district, checked against the models, and who may export them."""

from __future__ import annotations

from pathlib import Path

import pytest

from seed.coverage import GAP_COMMUNITY, GAP_MICRO_GRID
from seed.demo import DEMO_COMMUNITY
from services import exports, grids
from services.enums import ExportFormat, ExportKind, ImportKind, Role
from services.errors import Forbidden, InvalidInput, NotFound
from services.exports import Options, mask_phone
from services.grids import Coverage
from services.imports.columns import headers
from services.kit import calendar, clock
from services.models import (
    Area,
    EvaluationResult,
    Household,
    PartnerUnit,
    Person,
    PointsEntry,
    PointsTransaction,
    RoleAssignment,
)
from services.workorders.stats import figures, figures_of_areas, parse_period, work_order_stats
from tests.conftest import Database, actor_for
from tests.services.exports.support import number_households, read_back


async def run(
    username: str, kind: ExportKind, area: Area, options: Options | None = None
) -> list[list[str]]:
    """Export as a demo account (XLSX) and read the rows back, headers first."""
    result = await exports.export(
        actor=await actor_for(username),
        kind=kind,
        under=area.id,
        format=ExportFormat.XLSX,
        options=options,
    )
    rows = read_back(result)
    assert result.rows == len(rows) - 1
    return rows


class TestAreas:
    async def test_the_tree_parents_first(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        rows = await run("community_admin", ExportKind.AREAS, community)
        assert rows[0] == headers(ImportKind.AREAS)
        expected = [a for a in await Area.all() if a.path.startswith(community.path)]
        assert sorted(r[1] for r in rows[1:]) == sorted(a.name for a in expected)
        # the community first, each parent before its children
        assert rows[1][1] == DEMO_COMMUNITY and rows[1][2] == "社区"
        seen = {rows[1][0]}
        for row in rows[2:]:
            assert row[3] in seen
            seen.add(row[0])


class TestRoles:
    async def test_role_holders_in_office(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        rows = await run("community_admin", ExportKind.ROLES, community)
        assert rows[0] == headers(ImportKind.ROLES) == ["手机号", "角色", "区域编码", "起始日期"]
        held = [
            r
            for r in await RoleAssignment.filter(until=None, area_id__not_isnull=True)
            if r.area_path.startswith(community.path)
        ]
        assert len(rows) - 1 == len(held) > 0
        phones = {p.id: p.phone for p in await Person.all()}
        codes = {a.id: a.code for a in await Area.all()}
        expected = sorted((mask_phone(phones[r.person_id]) or "", codes[r.area_id]) for r in held)
        assert sorted((row[0], row[2]) for row in rows[1:]) == expected
        assert {"网格长", "微网格长", "中心户"} <= {row[1] for row in rows[1:]}


class TestPartners:
    async def test_partner_units_of_the_community(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        rows = await run("community_admin", ExportKind.PARTNERS, community)
        assert rows[0] == headers(ImportKind.PARTNERS)
        units = await PartnerUnit.filter(community_id=community.id)
        assert sorted(r[0] for r in rows[1:]) == sorted(u.name for u in units)


class TestCoverageGaps:
    async def test_the_gaps_behind_the_figures(self, db: Database, media_dir: Path) -> None:
        # given the demo community with gaps, and its figures
        admin = await actor_for("district_admin")
        area = await Area.get(name=GAP_COMMUNITY)
        (figure,) = await grids.coverage(actor=admin, area_ids=[area.id])
        assert isinstance(figure, Coverage)
        # when its gaps are exported
        rows = await run("district_admin", ExportKind.COVERAGE_GAPS, area)
        # then each gap the figures count is a row
        assert rows[0] == ["缺口类型", "区域编码", "区域名称", "户号", "地址"]
        kinds = [row[0] for row in rows[1:]]
        assert kinds.count("未划入微网格的户") == figure.unassigned_households
        assert kinds.count("无微网格长的微网格") == figure.micro_grids_without_leader > 0
        uncared = figure.households - figure.households_with_central_household
        assert kinds.count("无中心户联系的户") == uncared
        assert GAP_MICRO_GRID in {row[2] for row in rows[1:]}

    async def test_codes_and_numbers_never_ids(self, db: Database, media_dir: Path) -> None:
        # given the gap community, a micro-grid without a code, its households numbered but one
        area = await Area.get(name=GAP_COMMUNITY)
        await Area.filter(name=GAP_MICRO_GRID).update(code=None)
        below = [a for a in await Area.all() if a.path.startswith(area.path)]
        await number_households(area, skip_first=True)
        numbers = {h.number or "" for h in await Household.all() if h.path.startswith(area.path)}
        # when its gaps are exported
        rows = await run("district_admin", ExportKind.COVERAGE_GAPS, area)
        # then 区域编码 holds the areas' own codes (empty for none; the name beside it)
        assert {row[1] for row in rows[1:]} <= {a.code or "" for a in below}
        assert ["", GAP_MICRO_GRID] in [row[1:3] for row in rows[1:]]
        # and 户号 the households' numbers, empty for those without one, never an id
        # (the row of a micro-grid ends at its name: trailing empty cells are not stored)
        written = {[*row, "", ""][3] for row in rows[1:]}
        assert written <= numbers and any(n.startswith("H") for n in written)

    async def test_leaders_are_refused(self, db: Database, media_dir: Path) -> None:
        leader = await actor_for("grid_leader")
        grid = (await RoleAssignment.get(person_id=leader.person_id, role=Role.GRID_LEADER)).area_id
        with pytest.raises(Forbidden):
            await exports.export(
                actor=leader,
                kind=ExportKind.COVERAGE_GAPS,
                under=grid,
                format=ExportFormat.CSV,
            )


class TestPoints:
    async def test_statement_of_an_area(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        rows = await run("community_admin", ExportKind.POINTS_STATEMENT, community)
        assert rows[0][:6] == ["流水号", "时间", "姓名", "类型", "维度", "积分"]
        expected = [
            t
            for t in await PointsTransaction.filter(person_id__not_isnull=True).order_by("id")
            if t.area_path.startswith(community.path)
        ]
        assert [row[0] for row in rows[1:]] == [str(t.id) for t in expected]
        assert [int(row[5]) for row in rows[1:]] == [t.points for t in expected]

    async def test_statement_of_one_person(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        resident = await actor_for("central_household")
        mine = Options(person_id=resident.person_id)
        rows = await run("community_admin", ExportKind.POINTS_STATEMENT, community, mine)
        expected = await PointsTransaction.filter(person_id=resident.person_id).count()
        assert len(rows) - 1 == expected > 0
        # a person reads their own statement, not somebody else's
        assert len(await run("central_household", ExportKind.POINTS_STATEMENT, community, mine))
        other = Options(person_id=(await actor_for("grid_leader")).person_id)
        with pytest.raises(NotFound):
            await run("resident", ExportKind.POINTS_STATEMENT, community, other)

    async def test_ledger_for_admins_only(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        rows = await run("community_admin", ExportKind.LEDGER, community)
        assert rows[0][:3] == ["分录号", "交易号", "时间"]
        transactions = {
            t.id for t in await PointsTransaction.all() if t.area_path.startswith(community.path)
        }
        entries = await PointsEntry.filter(transaction_id__in=list(transactions)).count()
        assert len(rows) - 1 == entries > 0
        # the entries of a transaction sum to zero
        assert sum(int(row[6]) for row in rows[1:]) == 0
        with pytest.raises(Forbidden):
            await run("grid_leader", ExportKind.LEDGER, community)


class TestRankings:
    async def test_the_published_quarter(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        rows = await run("community_admin", ExportKind.RANKINGS, community)
        assert rows[0][:5] == ["季度", "角色", "区域编码", "区域名称", "姓名"]
        results = await EvaluationResult.filter(community_id=community.id)
        quarter = rows[1][0]
        assert len(rows) - 1 == sum(r.quarter == quarter for r in results) > 0
        assert any(row[8].startswith("红旗") for row in rows[1:])
        codes = {a.code for a in await Area.all() if a.path.startswith(community.path)}
        assert {row[2] for row in rows[1:]} <= codes
        # a resident of the community sees the published rankings; another community's not
        assert len(await run("resident", ExportKind.RANKINGS, community)) == len(rows)
        other = await Area.get(name=GAP_COMMUNITY)
        with pytest.raises((Forbidden, NotFound)):
            await run("resident", ExportKind.RANKINGS, other)


class TestWorkOrderStats:
    async def test_each_area_below(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        rows = await run("community_admin", ExportKind.WORK_ORDER_STATS, community)
        assert rows[0][:6] == ["统计期", "区域编码", "区域名称", "层级", "工单数", "办理中"]
        below = [a for a in await Area.all() if a.path.startswith(community.path)]
        assert len(rows) - 1 == len(below)
        # 区域编码 is each area's own code, never its id
        assert sorted(r[1] for r in rows[1:]) == sorted(a.code or "" for a in below)
        assert rows[1][2] == DEMO_COMMUNITY and rows[1][0] == "2026Q2"
        total = int(rows[1][4])
        grids_total = sum(int(r[4]) for r in rows[1:] if r[3] == "网格")
        assert total >= grids_total
        # residents do not read the figures
        with pytest.raises(Forbidden):
            await run("resident", ExportKind.WORK_ORDER_STATS, community)

    async def test_grouped_figures_are_each_areas_figures(self, db: Database) -> None:
        # given the areas of the demo community and this quarter
        community = await Area.get(name=DEMO_COMMUNITY)
        paths = [a.path for a in await Area.all() if a.path.startswith(community.path)]
        start, end = parse_period(calendar.period_of(clock.now()))
        # when their figures are read at once (as the export does, a page at a time)
        grouped = await figures_of_areas(paths, start=start, end=end)
        # then they are those of each area read alone
        assert grouped == {p: await figures(path=p, start=start, end=end) for p in paths}
        assert sum(s.orders for s in grouped.values()) > 0

    async def test_each_row_has_the_figures_work_order_stats_gives(
        self, db: Database, media_dir: Path
    ) -> None:
        # given the demo community's export of this quarter
        community = await Area.get(name=DEMO_COMMUNITY)
        rows = await run("community_admin", ExportKind.WORK_ORDER_STATS, community)
        admin = await actor_for("community_admin")
        by_code = {a.code: a for a in await Area.all() if a.path.startswith(community.path)}
        fields = {
            "工单数": "orders",
            "办理中": "open",
            "已办结": "closed",
            "已驳回": "rejected",
            "已取消": "cancelled",
            "超时": "breached",
            "超时率": "breach_rate",
            "受理用时中位数(分钟)": "median_minutes_to_accept",
            "办结用时中位数(分钟)": "median_minutes_to_resolve",
            "评价数": "rated",
            "平均评分": "mean_rating",
        }
        # every figure of the API's WorkOrderStats has its column
        assert set(fields) <= set(rows[0])
        medians = 0
        for row in rows[1:]:
            cells = dict(zip(rows[0], row + [""] * (len(rows[0]) - len(row)), strict=True))
            # then each area's row has the figures workOrderStats(under: that area) gives,
            # its medians included (not the community's)
            stats = await work_order_stats(
                actor=admin, under_id=by_code[cells["区域编码"]].id, period=cells["统计期"]
            )
            for header, name in fields.items():
                value = getattr(stats, name)
                cell = cells[header]
                assert (None if cell == "" else float(cell)) == (
                    None if value is None else pytest.approx(float(value))
                ), (cells["区域编码"], header)
            medians += stats.median_minutes_to_resolve is not None
        # and the demo has medians below the community to compare
        assert medians > 1

    async def test_a_bad_period_is_refused(self, db: Database, media_dir: Path) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        with pytest.raises(InvalidInput):
            await run(
                "community_admin",
                ExportKind.WORK_ORDER_STATS,
                community,
                Options(period="last year"),
            )
