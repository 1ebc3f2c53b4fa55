"""Work-order figures per area and period (response and satisfaction), and the per-person
counts the evaluation scheme reads.

Per area subtree and period, over the orders submitted in the period and handled under the
area (where they are handled now):
- minutes to accept: submission to acceptance (the last one, after a transfer);
- minutes to resolve: submission to resolution, minus the time spent suspended;
- SLA breach: accepted or resolved late, or escalated (`sla_breached`), over all orders;
- satisfaction: the mean rating (1-5) of the rated orders.
Periods are computed in the configured time zone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services.enums import WorkOrderKind, WorkOrderStatus
from services.errors import Forbidden, InvalidInput, NotFound
from services.kit import calendar, db
from services.kit.auth import Actor, require_actor
from services.kit.paths import subtree_bounds
from services.kit.settings import get_settings
from services.models import Area

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
MAX_RANGE_DAYS = 3 * 366
# Whom a confirmation pays (services.workorders.lifecycle.handler_of), in SQL.
_HANDLER = "COALESCE(assignee_id, resolved_by_id, accepted_by_id)"
CHUNK = 500


@dataclass(frozen=True)
class WorkOrderStats:
    """Figures of the orders submitted in a period under an area."""

    start: datetime
    end: datetime
    orders: int
    open: int
    closed: int
    rejected: int
    cancelled: int
    median_minutes_to_accept: float | None
    median_minutes_to_resolve: float | None
    breached: int
    breach_rate: float | None
    rated: int
    mean_rating: float | None


def _local(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=get_settings().tz).astimezone(UTC)


def _year(text: str, field: str) -> int:
    """A year of a period: 2000 to 2100 (also keeps every date and bound representable)."""
    year = int(text)
    if not calendar.MIN_YEAR <= year <= calendar.MAX_YEAR:
        raise InvalidInput(
            f"Give a year from {calendar.MIN_YEAR} to {calendar.MAX_YEAR}.", field=field
        )
    return year


def _day(text: str) -> date:
    """A day of a range (YYYY-MM-DD, a year from 2000 to 2100)."""
    _year(text[:4], "period")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"There is no day {text}.", field="period") from exc


def parse_period(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a period: a quarter ("2026Q4"), a month ("2026-11") or a range of
    days, both included ("2026-10-01..2026-12-31"), in the configured time zone, in the
    years 2000 to 2100. Anything else is InvalidInput on `period`."""
    text = period.strip()
    if calendar.QUARTER.fullmatch(text):
        return calendar.quarter_window(text, field="period")
    if found := _MONTH.fullmatch(text):
        year, month = _year(found[1], "period"), int(found[2])
        if not 1 <= month <= 12:
            raise InvalidInput("A month is 01 to 12.", field="period")
        following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return _local(date(year, month, 1)), _local(following)
    if found := _RANGE.fullmatch(text):
        first, last = _day(found[1]), _day(found[2])
        if last < first:
            raise InvalidInput("A range of days ends on or after its first day.", field="period")
        if (last - first).days > MAX_RANGE_DAYS:
            raise InvalidInput(f"A range is at most {MAX_RANGE_DAYS} days.", field="period")
        return _local(first), _local(last + timedelta(days=1))
    raise InvalidInput(
        "A period is a quarter (2026Q4), a month (2026-11) or days (2026-10-01..2026-12-31).",
        field="period",
    )


# Durations as the database orders them (exact intervals on PostgreSQL; days as floating
# point on SQLite, fine for ordering): only the one or two middle rows are read back.
_ACCEPT_ORDER = {
    "postgres": "accepted_at - submitted_at",
    "sqlite": "julianday(accepted_at) - julianday(submitted_at)",
}
_RESOLVE_ORDER = {
    "postgres": "resolved_at - submitted_at - suspended_seconds * INTERVAL '1 second'",
    "sqlite": "(julianday(resolved_at) - julianday(submitted_at)) * 86400 - suspended_seconds",
}


def _minutes_to_accept(row: dict[str, Any]) -> float:
    submitted, accepted = db.timestamp(row["submitted_at"]), db.timestamp(row["accepted_at"])
    assert submitted is not None and accepted is not None
    return (accepted - submitted).total_seconds() / 60


def _minutes_to_resolve(row: dict[str, Any]) -> float:
    submitted, resolved = db.timestamp(row["submitted_at"]), db.timestamp(row["resolved_at"])
    assert submitted is not None and resolved is not None
    seconds = (resolved - submitted).total_seconds() - int(row["suspended_seconds"])
    return max(0.0, seconds) / 60


# The orders of a subtree submitted in a period: subtree bounds, then the period's bounds.
_WHERE = "handling_path >= ? AND handling_path < ? AND submitted_at >= ? AND submitted_at < ?"


async def _median(
    where: str,
    params: list[Any],
    *,
    done: str,
    order: dict[str, str],
    count: int,
    minutes: Callable[[dict[str, Any]], float],
) -> float | None:
    """The median (as statistics.median: the middle value, or the mean of the two middle
    ones) of `minutes` over the `count` rows where `done` is set, reading only the middle
    rows in the database's order; rounded to 0.1."""
    if not count:
        return None
    rows = await db.fetch(
        "SELECT submitted_at, accepted_at, resolved_at, suspended_seconds FROM work_order "
        f"WHERE {where} AND {done} IS NOT NULL ORDER BY {order[db.dialect()]}, id "
        f"LIMIT {2 - count % 2} OFFSET {(count - 1) // 2}",
        params,
    )
    values = [minutes(row) for row in rows]
    # Computed in Python from the timestamps, as statistics.median would from every value.
    return round(values[0] if len(values) == 1 else (values[0] + values[1]) / 2, 1)


async def figures(*, path: str, start: datetime, end: datetime) -> WorkOrderStats:
    """The figures of the orders submitted in [start, end) and handled under `path` (no
    authorization: for the evaluation and for `work_order_stats`). Counts and sums are one
    grouped statement; each median reads only its middle rows."""
    low, high = subtree_bounds(path)
    params: list[Any] = [low, high, start, end]
    rows = await db.fetch(
        "SELECT COUNT(*) AS orders, "
        "COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS closed, "
        "COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS rejected, "
        "COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0) AS cancelled, "
        "COALESCE(SUM(CASE WHEN sla_breached = ? THEN 1 ELSE 0 END), 0) AS breached, "
        "COUNT(accepted_at) AS accepted, COUNT(resolved_at) AS resolved, "
        "COUNT(rating) AS rated, COALESCE(SUM(rating), 0) AS rating_sum "
        f"FROM work_order WHERE {_WHERE}",
        [
            WorkOrderStatus.CLOSED.value,
            WorkOrderStatus.REJECTED.value,
            WorkOrderStatus.CANCELLED.value,
            True,
            *params,
        ],
    )
    return await _from_counts(rows[0], params, start=start, end=end)


async def figures_of_areas(
    paths: list[str], *, start: datetime, end: datetime
) -> dict[str, WorkOrderStats]:
    """`figures` of many areas (by path) at once: the counts of all of them in one grouped
    statement; a median is read (its middle rows only) just for the areas with such orders."""
    if not paths:
        return {}
    marks = ", ".join("?" for _ in paths)
    rows = await db.fetch(
        "SELECT a.path AS path, COUNT(w.id) AS orders, "
        "COALESCE(SUM(CASE WHEN w.status = ? THEN 1 ELSE 0 END), 0) AS closed, "
        "COALESCE(SUM(CASE WHEN w.status = ? THEN 1 ELSE 0 END), 0) AS rejected, "
        "COALESCE(SUM(CASE WHEN w.status = ? THEN 1 ELSE 0 END), 0) AS cancelled, "
        "COALESCE(SUM(CASE WHEN w.sla_breached = ? THEN 1 ELSE 0 END), 0) AS breached, "
        "COUNT(w.accepted_at) AS accepted, COUNT(w.resolved_at) AS resolved, "
        "COUNT(w.rating) AS rated, COALESCE(SUM(w.rating), 0) AS rating_sum "
        "FROM area a LEFT JOIN work_order w ON w.handling_path >= a.path "
        # subtree_bounds in SQL: "/1/4/" → "/1/40"
        "AND w.handling_path < SUBSTR(a.path, 1, LENGTH(a.path) - 1) || '0' "
        "AND w.submitted_at >= ? AND w.submitted_at < ? "
        f"WHERE a.path IN ({marks}) GROUP BY a.path",
        [
            WorkOrderStatus.CLOSED.value,
            WorkOrderStatus.REJECTED.value,
            WorkOrderStatus.CANCELLED.value,
            True,
            start,
            end,
            *paths,
        ],
    )
    found: dict[str, WorkOrderStats] = {}
    for row in rows:
        low, high = subtree_bounds(str(row["path"]))
        params: list[Any] = [low, high, start, end]
        found[str(row["path"])] = await _from_counts(row, params, start=start, end=end)
    return found


async def work_order_stats(*, actor: Actor | None, under_id: int, period: str) -> WorkOrderStats:
    """Figures under an area for a period (the admins and leaders of the area)."""
    actor = require_actor(actor)
    start, end = parse_period(period)
    area = await Area.get_or_none(id=under_id)
    if area is None:
        raise NotFound("No such area.", field="under")
    if not actor.reads(area.path):
        raise Forbidden("Admins and leaders of the area read its figures.", field="under")
    return await figures(path=area.path, start=start, end=end)


async def verified_reports_between(
    start: datetime, end: datetime, people: str, params: list[Any]
) -> dict[int, int]:
    """Per reporter among `people` (an SQL subquery of person ids, with its parameters): their
    problem reports a person verified (核实) in [start, end); one grouped statement."""
    rows = await db.fetch(
        "SELECT reporter_id AS person_id, COUNT(*) AS n FROM work_order "
        "WHERE kind = ? AND confirmed_by_id IS NOT NULL AND confirmed_at >= ? "
        f"AND confirmed_at < ? AND reporter_id IN ({people}) GROUP BY reporter_id",
        [WorkOrderKind.PROBLEM_REPORT.value, start, end, *params],
    )
    return {int(r["person_id"]): int(r["n"]) for r in rows}


async def orders_within_sla_between(
    start: datetime, end: datetime, people: str, params: list[Any]
) -> dict[int, int]:
    """Per handler among `people` (whom the confirmation paid: the assignee, else who
    resolved it, else who accepted it, as services.workorders.lifecycle.handler_of): the
    orders confirmed in [start, end) (by the resident, a verification or the timer) that were
    never late; one grouped statement."""
    rows = await db.fetch(
        f"SELECT {_HANDLER} AS person_id, COUNT(*) AS n "
        "FROM work_order WHERE confirmed_at >= ? AND confirmed_at < ? AND sla_breached = ? "
        f"AND {_HANDLER} IN ({people}) GROUP BY {_HANDLER}",
        [start, end, False, *params],
    )
    return {int(r["person_id"]): int(r["n"]) for r in rows}


async def person_metrics(quarter: str, person_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per person, for the evaluation of a quarter (by the time of confirmation):
    - reports_verified: their problem reports the grid leader verified (核实);
    - orders_within_sla: the orders they were paid for (as assignee, else as the one who
      resolved it, else accepted it) that were confirmed (by the resident, a verification or
      the timer) and never late.
    Every id given gets an entry (zeros when nothing counts); two grouped statements per
    500 people."""
    start, end = calendar.quarter_window(quarter)
    out = {p: {"reports_verified": 0, "orders_within_sla": 0} for p in person_ids}
    unique = sorted(out)
    for i in range(0, len(unique), CHUNK):
        chunk = unique[i : i + CHUNK]
        marks = ",".join("?" for _ in chunk)
        for person, n in (await verified_reports_between(start, end, marks, chunk)).items():
            out[person]["reports_verified"] = n
        for person, n in (await orders_within_sla_between(start, end, marks, chunk)).items():
            out[person]["orders_within_sla"] = n
    return out


@dataclass(frozen=True)
class Service:
    """The service an area gave in a period: orders confirmed, how many of them late (past a
    due time), and the ratings they got."""

    orders: int = 0
    late: int = 0
    rating_sum: int = 0
    rated: int = 0

    def __add__(self, other: Service) -> Service:
        return Service(
            self.orders + other.orders,
            self.late + other.late,
            self.rating_sum + other.rating_sum,
            self.rated + other.rated,
        )


async def service_by_handling_path(start: datetime, end: datetime, path: str) -> dict[str, Service]:
    """Per handling area path in the subtree at `path`: the orders confirmed in [start, end)
    (by the resident, a verification or the timer); one grouped statement."""
    low, high = subtree_bounds(path)
    rows = await db.fetch(
        "SELECT handling_path, COUNT(*) AS n, "
        "SUM(CASE WHEN sla_breached THEN 1 ELSE 0 END) AS late, "
        "COALESCE(SUM(rating), 0) AS rating_sum, COUNT(rating) AS rated FROM work_order "
        "WHERE handling_path >= ? AND handling_path < ? AND confirmed_at >= ? "
        "AND confirmed_at < ? GROUP BY handling_path",
        [low, high, start, end],
    )
    return {
        str(r["handling_path"]): Service(
            int(r["n"]), int(r["late"]), int(r["rating_sum"]), int(r["rated"])
        )
        for r in rows
    }


async def _from_counts(
    row: dict[str, Any], params: list[Any], *, start: datetime, end: datetime
) -> WorkOrderStats:
    """The figures from one row of counts, the medians read for the orders `params` select
    (`_WHERE`: subtree bounds, then the period)."""
    total, closed, rejected = int(row["orders"]), int(row["closed"]), int(row["rejected"])
    cancelled = int(row["cancelled"])
    breached, rated, rating_sum = int(row["breached"]), int(row["rated"]), int(row["rating_sum"])
    return WorkOrderStats(
        start=start,
        end=end,
        orders=total,
        open=total - closed - rejected - cancelled,
        closed=closed,
        rejected=rejected,
        cancelled=cancelled,
        median_minutes_to_accept=await _median(
            _WHERE,
            params,
            done="accepted_at",
            order=_ACCEPT_ORDER,
            count=int(row["accepted"]),
            minutes=_minutes_to_accept,
        ),
        median_minutes_to_resolve=await _median(
            _WHERE,
            params,
            done="resolved_at",
            order=_RESOLVE_ORDER,
            count=int(row["resolved"]),
            minutes=_minutes_to_resolve,
        ),
        breached=breached,
        breach_rate=round(breached / total, 4) if total else None,
        rated=rated,
        mean_rating=round(rating_sum / rated, 2) if rated else None,
    )
