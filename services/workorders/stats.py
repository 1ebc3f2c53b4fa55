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
import statistics
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from services import db
from services.auth import Actor, require_actor, subtree_bounds
from services.enums import WorkOrderKind, WorkOrderStatus
from services.errors import Forbidden, InvalidInput, NotFound
from services.models import Area
from services.settings import get_settings

_QUARTER = re.compile(r"(\d{4})Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
MAX_RANGE_DAYS = 3 * 366
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
    median_minutes_to_accept: float | None
    median_minutes_to_resolve: float | None
    breached: int
    breach_rate: float | None
    rated: int
    mean_rating: float | None


def _local(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=get_settings().tz).astimezone(UTC)


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """[start, end) of a quarter like "2026Q4" in the configured time zone (UTC instants)."""
    found = _QUARTER.fullmatch(quarter.strip())
    if not found:
        raise InvalidInput("A quarter reads like 2026Q4.", field="quarter")
    year, number = int(found[1]), int(found[2])
    start = date(year, (number - 1) * 3 + 1, 1)
    end = date(year + 1, 1, 1) if number == 4 else date(year, number * 3 + 1, 1)
    return _local(start), _local(end)


def parse_period(period: str) -> tuple[datetime, datetime]:
    """[start, end) of a period: a quarter ("2026Q4"), a month ("2026-11") or a range of
    days, both included ("2026-10-01..2026-12-31"), in the configured time zone."""
    text = period.strip()
    if _QUARTER.fullmatch(text):
        return quarter_bounds(text)
    try:
        if found := _MONTH.fullmatch(text):
            year, month = int(found[1]), int(found[2])
            first = date(year, month, 1)
            following = date(year + month // 12, month % 12 + 1, 1)
            return _local(first), _local(following)
        if found := _RANGE.fullmatch(text):
            first, last = date.fromisoformat(found[1]), date.fromisoformat(found[2])
            if last < first or (last - first).days > MAX_RANGE_DAYS:
                raise ValueError(text)
            return _local(first), _local(last + timedelta(days=1))
    except ValueError as exc:
        raise InvalidInput("That period does not exist.", field="period") from exc
    raise InvalidInput(
        "A period is a quarter (2026Q4), a month (2026-11) or days (2026-10-01..2026-12-31).",
        field="period",
    )


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


async def figures(*, path: str, start: datetime, end: datetime) -> WorkOrderStats:
    """The figures of the orders submitted in [start, end) and handled under `path` (no
    authorization: for the evaluation and for `work_order_stats`)."""
    low, high = subtree_bounds(path)
    rows = await db.fetch(
        "SELECT status, submitted_at, accepted_at, resolved_at, suspended_seconds, "
        "sla_breached, rating FROM work_order "
        "WHERE handling_path >= ? AND handling_path < ? AND submitted_at >= ? AND submitted_at < ?",
        [low, high, start, end],
    )
    to_accept: list[float] = []
    to_resolve: list[float] = []
    ratings: list[int] = []
    counts = {"open": 0, "closed": 0, "rejected": 0, "breached": 0}
    for row in rows:
        status = WorkOrderStatus(row["status"])
        if status is WorkOrderStatus.CLOSED:
            counts["closed"] += 1
        elif status is WorkOrderStatus.REJECTED:
            counts["rejected"] += 1
        else:
            counts["open"] += 1
        counts["breached"] += bool(row["sla_breached"])
        submitted = db.timestamp(row["submitted_at"])
        accepted = db.timestamp(row["accepted_at"])
        resolved = db.timestamp(row["resolved_at"])
        assert submitted is not None
        if accepted is not None:
            to_accept.append((accepted - submitted).total_seconds() / 60)
        if resolved is not None:
            seconds = (resolved - submitted).total_seconds() - int(row["suspended_seconds"])
            to_resolve.append(max(0.0, seconds) / 60)
        if row["rating"] is not None:
            ratings.append(int(row["rating"]))
    total = len(rows)
    return WorkOrderStats(
        start=start,
        end=end,
        orders=total,
        open=counts["open"],
        closed=counts["closed"],
        rejected=counts["rejected"],
        median_minutes_to_accept=_median(to_accept),
        median_minutes_to_resolve=_median(to_resolve),
        breached=counts["breached"],
        breach_rate=round(counts["breached"] / total, 4) if total else None,
        rated=len(ratings),
        mean_rating=round(sum(ratings) / len(ratings), 2) if ratings else None,
    )


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
    """Per handler among `people` (the assignee, else the one who accepted): the orders
    confirmed in [start, end) (by the resident, a verification or the timer) that were never
    late; one grouped statement."""
    rows = await db.fetch(
        "SELECT COALESCE(assignee_id, accepted_by_id) AS person_id, COUNT(*) AS n "
        "FROM work_order WHERE confirmed_at >= ? AND confirmed_at < ? AND sla_breached = ? "
        f"AND COALESCE(assignee_id, accepted_by_id) IN ({people}) "
        "GROUP BY COALESCE(assignee_id, accepted_by_id)",
        [start, end, False, *params],
    )
    return {int(r["person_id"]): int(r["n"]) for r in rows}


async def person_metrics(quarter: str, person_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per person, for the evaluation of a quarter (by the time of confirmation):
    - reports_verified: their problem reports the grid leader verified (核实);
    - orders_within_sla: the orders they handled (as assignee, else as the one who accepted)
      that were confirmed (by the resident, a verification or the timer) and never late.
    Every id given gets an entry (zeros when nothing counts); two grouped statements per
    500 people."""
    start, end = quarter_bounds(quarter)
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
