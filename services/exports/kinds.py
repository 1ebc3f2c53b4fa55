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
    PeriodStatus,
    Role,
    TransactionKind,
)
from services.errors import Forbidden, NotFound
from services.evaluation import rankings
from services.exports.writing import Cell, keyset_rows
from services.grids.coverage import CARED_SQL
from services.kit import calendar, clock, db
from services.kit.auth import Actor
from services.kit.pagination import Window
from services.kit.paths import is_under, subtree_bounds
from services.kit.settings import get_settings
from services.models import Area, EvaluationPeriod
from services.people.persons import DUTY_CARD_ROLES
from services.points.statements import person_in_scope
from services.workorders.stats import figures, work_order_stats

Row = Sequence[Cell]

LEVEL_NAMES = {
    AreaLevel.DISTRICT: "区",
    AreaLevel.STREET: "街道",
    AreaLevel.COMMUNITY: "社区",
    AreaLevel.GRID: "网格",
    AreaLevel.MICRO_GRID: "微网格",
}
KIND_NAMES = {AreaKind.RESIDENTIAL: "居民", AreaKind.COMMERCIAL: "商业专属"}
ROLE_NAMES = {
    Role.DISTRICT_ADMIN: "区管理员",
    Role.STREET_ADMIN: "街道管理员",
    Role.COMMUNITY_ADMIN: "社区管理员",
    Role.GRID_LEADER: "网格长",
    Role.MICRO_GRID_LEADER: "微网格长",
    Role.CENTRAL_HOUSEHOLD: "中心户",
    Role.PART_TIME_GRID_MEMBER: "兼职网格员",
    Role.VOLUNTEER: "志愿者",
    Role.PARTNER_MEMBER: "共建单位成员",
    Role.RESIDENT: "居民",
}
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


def _area_code(row: dict[str, Any], prefix: str = "") -> str | None:
    """The district's own code of an area, or its id while it has none."""
    value = row.get(f"{prefix}code")
    if value:
        return str(value)
    ident = row.get(f"{prefix}id")
    return None if ident is None else str(ident)


async def areas(actor: Actor, area: Area, options: Options) -> Table:
    """The area tree under an area (the area included), parents before children."""
    _require_reads(actor, area, "areas")
    low, high = subtree_bounds(area.path)
    sql = (
        "SELECT a.path AS key_value, a.id, a.name, a.level, a.kind, p.id AS parent_id, "
        "p.name AS parent_name FROM area a LEFT JOIN area p ON p.id = a.parent_id "
        "WHERE a.path >= ? AND a.path < ?"
    )

    def row(r: dict[str, Any]) -> Row:
        return (
            str(r["id"]),
            r["name"],
            LEVEL_NAMES[AreaLevel(r["level"])],
            None if r["parent_id"] is None else str(r["parent_id"]),
            KIND_NAMES.get(AreaKind(r["kind"]), r["kind"]),
        )

    # Ordered by path: a parent's path is a prefix of its children's, so it comes first.
    rows = _mapped(sql, [low, high], "a.path", row)
    return Table("区域", ("区域编码", "区域名称", "层级", "上级区域编码", "类型"), rows)


async def households(actor: Actor, area: Area, options: Options) -> Table:
    """The households registered under an area, with their micro-grid."""
    _require_reads(actor, area, "households")
    low, high = subtree_bounds(area.path)
    sql = (
        "SELECT h.id AS key_value, h.id, h.address, h.building, h.unit, h.room, "
        "h.member_count, c.name AS community, m.id AS micro_grid_id, m.name AS micro_grid "
        "FROM household h JOIN area c ON c.id = h.community_id "
        "LEFT JOIN area m ON m.id = h.micro_grid_id WHERE h.path >= ? AND h.path < ?"
    )

    def row(r: dict[str, Any]) -> Row:
        return (
            str(r["id"]),
            r["community"],
            None if r["micro_grid_id"] is None else str(r["micro_grid_id"]),
            r["micro_grid"],
            r["address"],
            r["building"],
            r["unit"],
            r["room"],
            int(r["member_count"]),
        )

    headers = ("户号", "社区", "微网格编码", "微网格", "地址", "楼栋", "单元", "房号", "人数")
    return Table("户籍", headers, _mapped(sql, [low, high], "h.id", row))


async def people(actor: Actor, area: Area, options: Options) -> Table:
    """The people living in the households under an area."""
    _require_reads(actor, area, "people")
    phone = _phones(actor, area, options)
    low, high = subtree_bounds(area.path)
    sql = (
        "SELECT p.id AS key_value, p.id, p.name, p.phone, p.party_member, h.id AS household_id, "
        "h.address FROM person p JOIN household h ON h.id = p.household_id "
        "WHERE h.path >= ? AND h.path < ?"
    )

    def row(r: dict[str, Any]) -> Row:
        return (
            r["name"],
            phone(r["phone"]),
            str(r["household_id"]),
            r["address"],
            _yes(r["party_member"]),
        )

    headers = ("姓名", "手机号", "户号", "地址", "党员")
    return Table("人员", headers, _mapped(sql, [low, high], "p.id", row))


async def roles(actor: Actor, area: Area, options: Options) -> Table:
    """The role holders in office under an area, and which of them are on a duty card."""
    _require_reads(actor, area, "role holders")
    phone = _phones(actor, area, options)
    low, high = subtree_bounds(area.path)
    sql = (
        "SELECT r.id AS key_value, r.role, r.since, p.name, p.phone, a.id AS area_id, "
        "a.name AS area_name, a.level FROM role_assignment r "
        "JOIN person p ON p.id = r.person_id JOIN area a ON a.id = r.area_id "
        "WHERE r.until IS NULL AND r.area_path >= ? AND r.area_path < ?"
    )

    def row(r: dict[str, Any]) -> Row:
        role = Role(r["role"])
        return (
            r["name"],
            phone(r["phone"]),
            ROLE_NAMES[role],
            str(r["area_id"]),
            r["area_name"],
            LEVEL_NAMES[AreaLevel(r["level"])],
            local_time(r["since"]),
            _yes(role in DUTY_CARD_ROLES),
        )

    headers = ("姓名", "手机号", "角色", "区域编码", "区域名称", "层级", "任职时间", "便民服务牌")
    return Table("角色", headers, _mapped(sql, [low, high], "r.id", row))


async def coverage_gaps(actor: Actor, area: Area, options: Options) -> Table:
    """The gaps behind the coverage figures (as `coverageGaps`): unassigned households,
    micro-grids without a leader, households no central household looks after."""
    _require_admin(actor, area, "coverage gaps")
    low, high = subtree_bounds(area.path)
    unassigned = (
        "SELECT h.id AS key_value, h.id, h.address, c.id AS area_id, c.name AS area_name "
        "FROM household h JOIN area c ON c.id = h.community_id "
        "WHERE h.path >= ? AND h.path < ? AND h.micro_grid_id IS NULL"
    )
    leaderless = (
        "SELECT a.id AS key_value, a.id AS area_id, a.name AS area_name FROM area a "
        "WHERE a.path >= ? AND a.path < ? AND a.level = ? AND NOT EXISTS (SELECT 1 FROM "
        "role_assignment r WHERE r.area_id = a.id AND r.role = ? AND r.until IS NULL)"
    )
    uncared = (
        "SELECT h.id AS key_value, h.id, h.address, a.id AS area_id, a.name AS area_name "
        "FROM household h JOIN area a ON a.id = COALESCE(h.micro_grid_id, h.community_id) "
        "WHERE h.path >= ? AND h.path < ? AND NOT EXISTS (SELECT 1 FROM care_link c "
        f"WHERE c.household_id = h.id AND {CARED_SQL})"
    )

    async def rows() -> AsyncIterator[Row]:
        async for r in keyset_rows(unassigned, [low, high], key="h.id"):
            yield (
                "未划入微网格的户",
                str(r["area_id"]),
                r["area_name"],
                str(r["id"]),
                r["address"],
            )
        leader = [AreaLevel.MICRO_GRID.value, Role.MICRO_GRID_LEADER.value]
        async for r in keyset_rows(leaderless, [low, high, *leader], key="a.id"):
            yield ("无微网格长的微网格", str(r["area_id"]), r["area_name"], None, None)
        async for r in keyset_rows(uncared, [low, high], key="h.id"):
            yield (
                "无中心户联系的户",
                str(r["area_id"]),
                r["area_name"],
                str(r["id"]),
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
        "p.name, a.id AS area_id, a.name AS area_name, (SELECT MIN(h.kind) FROM "
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
            str(r["area_id"]),
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
    sql = "SELECT a.path AS key_value, a.name, a.level, a.path, a.id FROM area a " + (
        "WHERE a.path >= ? AND a.path < ?"
    )

    async def rows() -> AsyncIterator[Row]:
        async for r in keyset_rows(sql, [low, high], key="a.path"):
            stats = (
                top
                if r["id"] == area.id
                else await figures(path=r["path"], start=top.start, end=top.end)
            )
            yield (
                period,
                str(r["id"]),
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
