"""What each kind of export holds: its sheet title, Chinese headers and rows, read from the
database a page at a time. Each builder checks the actor's scope before a row is read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from services.enums import (
    AreaKind,
    AreaLevel,
    Dimension,
    ExportKind,
    HonourKind,
    ImportKind,
    PartnerUnitKind,
    PeriodStatus,
    ResourceCategory,
    Role,
    TransactionKind,
)
from services.errors import Forbidden, NotFound
from services.evaluation import rankings
from services.exports.writing import PAGE_SIZE, Cell, keyset_rows
from services.grids.coverage import CARED_SQL
from services.imports import columns
from services.kit import calendar, clock, db
from services.kit.auth import Actor
from services.kit.pagination import Window
from services.kit.paths import is_under, subtree_bounds
from services.kit.settings import get_settings
from services.models import Area, EvaluationPeriod
from services.points.statements import person_in_scope
from services.workorders.stats import figures_of_areas, work_order_stats

Row = Sequence[Cell]

LEVEL_NAMES = columns.LEVEL_LABELS
ROLE_NAMES = columns.ROLE_LABELS
TRANSACTION_NAMES = {
    TransactionKind.AWARD: "奖励",
    TransactionKind.PENALTY: "扣分",
    TransactionKind.REDEMPTION: "兑换",
    TransactionKind.EXPIRY: "过期",
    TransactionKind.REVERSAL: "冲正",
}
DIMENSION_NAMES = {
    Dimension.POLICY_COMMUNICATION: "政策宣传",
    Dimension.MANAGEMENT_SERVICE: "管理服务",
    Dimension.INFORMATION_REPORTING: "信息上报",
    Dimension.PROBLEM_HANDLING: "问题处置",
    Dimension.VOLUNTEER_SERVICE: "志愿服务",
}
HONOUR_NAMES = {
    HonourKind.RED_FLAG_GRID: "红旗网格",
    HonourKind.RED_FLAG_MICRO_GRID: "红旗微网格",
    HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD: "红旗中心户",
}
YES, NO = "是", "否"


@dataclass(frozen=True)
class Options:
    """How an export is asked for besides its kind and area."""

    # Full phone numbers (admins of the area only); masked (138****1234) otherwise.
    unmasked_phones: bool = False
    # The period: a quarter for RANKINGS (default: the latest scored one), a quarter, month
    # or range of days for WORK_ORDER_STATS (default: the current quarter).
    period: str | None = None
    # POINTS_STATEMENT of one person (by id) instead of everyone under the area.
    person_id: int | None = None


@dataclass(frozen=True)
class Table:
    """An export ready to be written: sheet title (also the file name's first word), headers,
    and the rows to come."""

    title: str
    headers: tuple[str, ...]
    rows: AsyncIterator[Row]


def mask_phone(phone: str | None) -> str | None:
    """A phone number with its middle digits hidden: 13812341234 → 138****1234."""
    if not phone:
        return phone
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def local_time(value: Any) -> str | None:
    """A timestamp column as local time ("2026-12-07 09:30:00", the configured zone)."""
    moment = db.timestamp(value)
    if moment is None:
        return None
    return moment.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M:%S")


def _yes(value: Any) -> str:
    return YES if value else NO


def _phones(actor: Actor, area: Area, options: Options) -> Callable[[str | None], str | None]:
    """How phones are written: masked unless an admin of the area asked for them in full."""
    if not options.unmasked_phones:
        return mask_phone
    if not actor.administers(area.path):
        raise Forbidden(
            "Only admins of the area export full phone numbers.", field="unmaskedPhones"
        )
    return lambda phone: phone


def _require_reads(actor: Actor, area: Area, what: str) -> None:
    if not actor.reads(area.path):
        raise Forbidden(f"Only admins and leaders of the area export its {what}.", field="under")


def _require_admin(actor: Actor, area: Area, what: str) -> None:
    if not actor.administers(area.path):
        raise Forbidden(f"Only admins of the area export its {what}.", field="under")


async def _mapped(
    sql: str, params: Sequence[Any], key: str, row: Callable[[dict[str, Any]], Row]
) -> AsyncIterator[Row]:
    async for found in keyset_rows(sql, params, key=key):
        yield row(found)


def _code_columns(alias: str, name: str) -> str:
    """SELECT items for the code of the area `alias` as `<name>_code` and its id as
    `<name>_id`."""
    return f"{alias}.code AS {name}_code, {alias}.id AS {name}_id"


def _code(row: dict[str, Any], name: str) -> str | None:
    """The district's own code of an area read with `_code_columns`. An area without one is
    written empty, never as its id: an import would take that for another area's code."""
    code = row[f"{name}_code"]
    return str(code) if code else None


def _number_column() -> str:
    """The household number (户号) column."""
    return "h.number"


def _number(number: Any) -> str | None:
    """A household's number (户号); none for a household that never had one (registered one by
    one): written empty rather than as its id, which an import would take for a new household."""
    return str(number) if number else None


def _import_table(kind: ImportKind, rows: AsyncIterator[dict[str, Any]]) -> Table:
    """A table with the columns of the import kind (the same headers and cell formats), so
    the file imports back with no errors and no change."""

    async def formatted() -> AsyncIterator[Row]:
        async for values in rows:
            yield columns.format_row(kind, values)

    return Table(columns.KIND_NAMES[kind], tuple(columns.headers(kind)), formatted())


async def areas(actor: Actor, area: Area, options: Options) -> Table:
    """The area tree under an area (the area included), parents before children."""
    _require_reads(actor, area, "areas")
    low, high = subtree_bounds(area.path)
    sql = (
        f"SELECT a.path AS key_value, a.name, a.level, a.kind, a.contact_group_name, "
        f"a.contact_group_link, {_code_columns('a', 'area')}, {_code_columns('p', 'parent')} "
        "FROM area a LEFT JOIN area p ON p.id = a.parent_id WHERE a.path >= ? AND a.path < ?"
    )

    async def rows() -> AsyncIterator[dict[str, Any]]:
        # By path: a parent's path is a prefix of its children's, so it comes first.
        async for r in keyset_rows(sql, [low, high], key="a.path"):
            yield {
                "code": _code(r, "area"),
                "name": r["name"],
                "level": AreaLevel(r["level"]),
                "parent_code": _code(r, "parent"),
                "kind": AreaKind(r["kind"]),
                "contact_group_name": r["contact_group_name"],
                "contact_group_link": r["contact_group_link"],
            }

    return _import_table(ImportKind.AREAS, rows())


async def households(actor: Actor, area: Area, options: Options) -> Table:
    """The households registered under an area, with their community and micro-grid."""
    _require_reads(actor, area, "households")
    low, high = subtree_bounds(area.path)
    sql = (
        f"SELECT h.id AS key_value, h.id, {_number_column()} AS number, h.address, h.building, "
        f"h.unit, h.room, h.member_count, h.longitude, h.latitude, "
        f"{_code_columns('c', 'community')}, "
        f"{_code_columns('m', 'micro_grid')} FROM household h "
        "JOIN area c ON c.id = h.community_id LEFT JOIN area m ON m.id = h.micro_grid_id "
        "WHERE h.path >= ? AND h.path < ?"
    )

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async for r in keyset_rows(sql, [low, high], key="h.id"):
            yield {
                "number": _number(r["number"]),
                "community_code": _code(r, "community"),
                "micro_grid_code": _code(r, "micro_grid"),
                "address": r["address"],
                "building": r["building"],
                "unit": r["unit"],
                "room": r["room"],
                "member_count": int(r["member_count"]),
                "longitude": r["longitude"],
                "latitude": r["latitude"],
            }

    return _import_table(ImportKind.HOUSEHOLDS, rows())


async def people(actor: Actor, area: Area, options: Options) -> Table:
    """The people living in the households under an area (an ID card only as its last four)."""
    _require_reads(actor, area, "people")
    phone = _phones(actor, area, options)
    low, high = subtree_bounds(area.path)
    last4 = "p.id_card_last4"
    sql = (
        f"SELECT p.id AS key_value, p.name, p.phone, p.party_member, {last4} AS last4, "
        f"h.id AS household_id, {_number_column()} AS number "
        "FROM person p JOIN household h ON h.id = p.household_id "
        "WHERE h.path >= ? AND h.path < ?"
    )

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async for r in keyset_rows(sql, [low, high], key="p.id"):
            yield {
                "name": r["name"],
                "phone": phone(r["phone"]),
                "household_number": _number(r["number"]),
                "party_member": bool(r["party_member"]),
                "id_card": r["last4"] or None,
            }

    return _import_table(ImportKind.PEOPLE, rows())


async def roles(actor: Actor, area: Area, options: Options) -> Table:
    """The role holders in office under an area (duty cards (便民服务牌) show the duty roles
    among them)."""
    _require_reads(actor, area, "role holders")
    phone = _phones(actor, area, options)
    low, high = subtree_bounds(area.path)
    sql = (
        f"SELECT r.id AS key_value, r.role, r.since, p.phone, {_code_columns('a', 'area')} "
        "FROM role_assignment r JOIN person p ON p.id = r.person_id "
        "JOIN area a ON a.id = r.area_id "
        "WHERE r.until IS NULL AND r.area_path >= ? AND r.area_path < ?"
    )
    zone = get_settings().tz

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async for r in keyset_rows(sql, [low, high], key="r.id"):
            since = db.timestamp(r["since"])
            yield {
                "phone": phone(r["phone"]),
                "role": Role(r["role"]),
                "area_code": _code(r, "area"),
                "since": None if since is None else since.astimezone(zone).date(),
            }

    return _import_table(ImportKind.ROLES, rows())


async def partners(actor: Actor, area: Area, options: Options) -> Table:
    """The partner units (共建单位) registered in the communities under an area."""
    _require_reads(actor, area, "partner units")
    phone = _phones(actor, area, options)
    low, high = subtree_bounds(area.path)
    sql = (
        "SELECT u.id AS key_value, u.name, u.kind, u.address, u.phone, u.description, "
        f"{_code_columns('c', 'community')} FROM partner_unit u "
        "JOIN area c ON c.id = u.community_id "
        "WHERE u.community_path >= ? AND u.community_path < ?"
    )

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async for r in keyset_rows(sql, [low, high], key="u.id"):
            yield {
                "name": r["name"],
                "kind": PartnerUnitKind(r["kind"]),
                "community_code": _code(r, "community"),
                "address": r["address"] or None,
                "phone": phone(r["phone"]),
                "description": r["description"] or None,
            }

    return _import_table(ImportKind.PARTNERS, rows())


async def partner_resources(actor: Actor, area: Area, options: Options) -> Table:
    """The resource lists (资源清单) of the partner units of the communities under an area."""
    _require_reads(actor, area, "partner resources")
    low, high = subtree_bounds(area.path)
    sql = (
        "SELECT r.id AS key_value, u.name AS unit_name, r.title, r.category, r.quantity, "
        f"r.unit_label, r.description, {_code_columns('c', 'community')} "
        "FROM resource_offer r JOIN partner_unit u ON u.id = r.unit_id "
        "JOIN area c ON c.id = u.community_id "
        "WHERE r.community_path >= ? AND r.community_path < ?"
    )

    async def rows() -> AsyncIterator[dict[str, Any]]:
        async for r in keyset_rows(sql, [low, high], key="r.id"):
            yield {
                "unit_name": r["unit_name"],
                "community_code": _code(r, "community"),
                "title": r["title"],
                "category": ResourceCategory(r["category"]),
                "quantity": int(r["quantity"]),
                "unit_label": r["unit_label"],
                "description": r["description"] or None,
            }

    return _import_table(ImportKind.PARTNER_RESOURCES, rows())


async def coverage_gaps(actor: Actor, area: Area, options: Options) -> Table:
    """The gaps behind the coverage figures (as `coverageGaps`): unassigned households,
    micro-grids without a leader, households no central household looks after."""
    _require_admin(actor, area, "coverage gaps")
    low, high = subtree_bounds(area.path)
    unassigned = (
        "SELECT h.id AS key_value, h.number, h.address, c.code AS area_code, "
        "c.name AS area_name FROM household h JOIN area c ON c.id = h.community_id "
        "WHERE h.path >= ? AND h.path < ? AND h.micro_grid_id IS NULL"
    )
    leaderless = (
        "SELECT a.id AS key_value, a.code AS area_code, a.name AS area_name FROM area a "
        "WHERE a.path >= ? AND a.path < ? AND a.level = ? AND NOT EXISTS (SELECT 1 FROM "
        "role_assignment r WHERE r.area_id = a.id AND r.role = ? AND r.until IS NULL)"
    )
    uncared = (
        "SELECT h.id AS key_value, h.number, h.address, a.code AS area_code, "
        "a.name AS area_name FROM household h "
        "JOIN area a ON a.id = COALESCE(h.micro_grid_id, h.community_id) "
        "WHERE h.path >= ? AND h.path < ? AND NOT EXISTS (SELECT 1 FROM care_link c "
        f"WHERE c.household_id = h.id AND {CARED_SQL})"
    )

    async def rows() -> AsyncIterator[Row]:
        async for r in keyset_rows(unassigned, [low, high], key="h.id"):
            yield (
                "未划入微网格的户",
                _code(r, "area"),
                r["area_name"],
                _number(r["number"]),
                r["address"],
            )
        leader = [AreaLevel.MICRO_GRID.value, Role.MICRO_GRID_LEADER.value]
        async for r in keyset_rows(leaderless, [low, high, *leader], key="a.id"):
            yield ("无微网格长的微网格", _code(r, "area"), r["area_name"], None, None)
        async for r in keyset_rows(uncared, [low, high], key="h.id"):
            yield (
                "无中心户联系的户",
                _code(r, "area"),
                r["area_name"],
                _number(r["number"]),
                r["address"],
            )

    headers = ("缺口类型", "区域编码", "区域名称", "户号", "地址")
    return Table("覆盖缺口", headers, rows())


async def points_statement(actor: Actor, area: Area, options: Options) -> Table:
    """The points transactions of the people under an area (or of one person), oldest first."""
    params: list[Any]
    if options.person_id is not None:
        await person_in_scope(actor=actor, person_id=options.person_id)
        where, params = "t.person_id = ?", [options.person_id]
    else:
        _require_reads(actor, area, "points statements")
        low, high = subtree_bounds(area.path)
        where, params = (
            "t.area_path >= ? AND t.area_path < ? AND t.person_id IS NOT NULL",
            [
                low,
                high,
            ],
        )
    sql = (
        "SELECT t.id AS key_value, t.id, t.created_at, t.kind, t.dimension, t.points, t.credit, "
        "t.period, t.reason, p.name FROM points_transaction t "
        f"LEFT JOIN person p ON p.id = t.person_id WHERE {where}"
    )

    def row(r: dict[str, Any]) -> Row:
        dimension = r["dimension"]
        return (
            str(r["id"]),
            local_time(r["created_at"]),
            r["name"],
            TRANSACTION_NAMES[TransactionKind(r["kind"])],
            DIMENSION_NAMES[Dimension(dimension)] if dimension else None,
            int(r["points"]),
            int(r["credit"]),
            r["period"],
            r["reason"],
        )

    headers = ("流水号", "时间", "姓名", "类型", "维度", "积分", "考评积分", "考评季度", "事由")
    return Table("积分明细", headers, _mapped(sql, params, "t.id", row))


async def ledger(actor: Actor, area: Area, options: Options) -> Table:
    """Every ledger entry of the transactions under an area, for audit (admins only)."""
    _require_admin(actor, area, "ledger")
    low, high = subtree_bounds(area.path)
    sql = (
        "SELECT e.id AS key_value, e.id, e.transaction_id, e.created_at, e.account_id, "
        "a.kind AS account_kind, a.name AS account_name, e.points, e.balance_after, e.kind, "
        "e.reason, e.source_type, e.source_id, e.actor_account_id FROM points_entry e "
        "JOIN points_transaction t ON t.id = e.transaction_id "
        "JOIN points_account a ON a.id = e.account_id "
        "WHERE t.area_path >= ? AND t.area_path < ?"
    )

    def row(r: dict[str, Any]) -> Row:
        return (
            str(r["id"]),
            str(r["transaction_id"]),
            local_time(r["created_at"]),
            str(r["account_id"]),
            r["account_kind"],
            r["account_name"],
            int(r["points"]),
            int(r["balance_after"]),
            TRANSACTION_NAMES[TransactionKind(r["kind"])],
            r["reason"],
            r["source_type"],
            r["source_id"],
            None if r["actor_account_id"] is None else str(r["actor_account_id"]),
        )

    headers = (
        "分录号",
        "交易号",
        "时间",
        "账户号",
        "账户类型",
        "账户名称",
        "积分",
        "记账后余额",
        "类型",
        "事由",
        "来源类型",
        "来源编号",
        "操作账号",
    )
    return Table("积分台账", headers, _mapped(sql, [low, high], "e.id", row))


async def _period_for(area: Area, quarter: str | None) -> EvaluationPeriod:
    """The scored period evaluating the area: of `quarter`, or the latest."""
    query = EvaluationPeriod.exclude(status=PeriodStatus.OPEN)
    if quarter is not None:
        query = query.filter(quarter=quarter.strip())
    for period in await query.order_by("-quarter", "-id"):
        if is_under(area.path, period.area_path) or is_under(period.area_path, area.path):
            return period
    raise NotFound("No scored evaluation period covers this area.", field="period")


async def rankings_table(actor: Actor, area: Area, options: Options) -> Table:
    """An evaluation period's results under an area with their ranks and red flags."""
    period = await _period_for(area, options.period)
    # The rankings' own checks (the area's level, admins, or members once published).
    await rankings(
        actor=actor,
        under_id=area.id,
        period_id=period.id,
        role=Role.GRID_LEADER,
        window=Window(first=0),
    )
    low, high = subtree_bounds(area.path)
    sql = (
        "SELECT r.id AS key_value, r.role, r.total, r.community_rank, r.street_rank, r.poor, "
        "p.name, a.code AS area_code, a.name AS area_name, (SELECT MIN(h.kind) FROM "
        "evaluation_honour h WHERE h.period_id = r.period_id AND h.person_id = r.person_id) "
        "AS honour FROM evaluation_result r JOIN person p ON p.id = r.person_id "
        "JOIN area a ON a.id = r.area_id "
        "WHERE r.period_id = ? AND r.area_path >= ? AND r.area_path < ?"
    )

    def row(r: dict[str, Any]) -> Row:
        honour = r["honour"]
        return (
            period.quarter,
            ROLE_NAMES[Role(r["role"])],
            _code(r, "area"),
            r["area_name"],
            r["name"],
            int(r["total"]) / 100,
            r["community_rank"],
            r["street_rank"],
            HONOUR_NAMES[HonourKind(honour)] if honour else None,
            _yes(r["poor"]),
        )

    headers = (
        "季度",
        "角色",
        "区域编码",
        "区域名称",
        "姓名",
        "得分",
        "社区排名",
        "街道排名",
        "红旗",
        "较差",
    )
    return Table("考评排名", headers, _mapped(sql, [period.id, low, high], "r.id", row))


async def work_order_stats_table(actor: Actor, area: Area, options: Options) -> Table:
    """Work-order figures of a period for the area and each area below it."""
    period = options.period or calendar.period_of(clock.now())
    # Scope and the period's grammar, as `workOrderStats` checks them.
    top = await work_order_stats(actor=actor, under_id=area.id, period=period)
    low, high = subtree_bounds(area.path)
    sql = "SELECT a.path AS key_value, a.name, a.level, a.path, a.id, a.code FROM area a " + (
        "WHERE a.path >= ? AND a.path < ?"
    )

    async def rows() -> AsyncIterator[Row]:
        # A page of areas at a time: their counts in one grouped statement (figures_of_areas).
        page: list[dict[str, Any]] = []
        async for r in keyset_rows(sql, [low, high], key="a.path"):
            page.append(r)
            if len(page) == PAGE_SIZE:
                for row in await page_rows(page):
                    yield row
                page = []
        for row in await page_rows(page):
            yield row

    async def page_rows(page: list[dict[str, Any]]) -> list[Row]:
        found = await figures_of_areas(
            [str(r["path"]) for r in page if r["id"] != area.id], start=top.start, end=top.end
        )
        done: list[Row] = []
        for r in page:
            stats = top if r["id"] == area.id else found[str(r["path"])]
            done.append(
                (
                    period,
                    str(r["code"]) if r["code"] else None,
                    r["name"],
                    LEVEL_NAMES[AreaLevel(r["level"])],
                    stats.orders,
                    stats.open,
                    stats.closed,
                    stats.rejected,
                    stats.cancelled,
                    stats.breached,
                    stats.breach_rate,
                    stats.median_minutes_to_accept,
                    stats.median_minutes_to_resolve,
                    stats.rated,
                    stats.mean_rating,
                )
            )
        return done

    headers = (
        "统计期",
        "区域编码",
        "区域名称",
        "层级",
        "工单数",
        "办理中",
        "已办结",
        "已驳回",
        "已取消",
        "超时",
        "超时率",
        "受理用时中位数(分钟)",
        "办结用时中位数(分钟)",
        "评价数",
        "平均评分",
    )
    return Table("工单统计", headers, rows())


Builder = Callable[[Actor, Area, Options], Any]
BUILDERS: dict[ExportKind, Builder] = {
    ExportKind.AREAS: areas,
    ExportKind.HOUSEHOLDS: households,
    ExportKind.PEOPLE: people,
    ExportKind.ROLES: roles,
    ExportKind.PARTNERS: partners,
    ExportKind.PARTNER_RESOURCES: partner_resources,
    ExportKind.COVERAGE_GAPS: coverage_gaps,
    ExportKind.POINTS_STATEMENT: points_statement,
    ExportKind.LEDGER: ledger,
    ExportKind.RANKINGS: rankings_table,
    ExportKind.WORK_ORDER_STATS: work_order_stats_table,
}


async def build(kind: ExportKind, actor: Actor, area: Area, options: Options) -> Table:
    """The table of `kind` under `area`, after the kind's scope checks."""
    table: Table = await BUILDERS[kind](actor, area, options)
    return table
