"""Scoring a period, set-based: a fixed number of statements however many role holders.

A role holder's score in a dimension is

    ledger + metrics + manual, clamped to 0..maxScore

- ledger: their evaluation credit of the quarter, rule by rule (points_transaction grouped by
  person and rule: awards, penalties and reversals). Each rule counts in its own dimension
  unless the community's detailed rules map it elsewhere, and at most the rule's cap there
  (a cap limits what a rule adds, never what a penalty takes). Credit in VOLUNTEER_SERVICE
  counts only where a community maps the rule into one of the four dimensions.
- metrics: activity in the quarter x the scheme's points per unit, each in its dimension:
  training sessions attended (MANAGEMENT_SERVICE), notices acknowledged (POLICY_COMMUNICATION),
  problem reports verified, as the reporter (INFORMATION_REPORTING), work orders confirmed
  within their SLA, as the handler (PROBLEM_HANDLING). Shown in `details` whenever the count is
  not zero, also at 0 points per unit.
- manual: the adjustments admins made during scoring (manual items and free adjustments)
  that are not withdrawn.

The total is the weighted sum of score / maxScore, out of 100 (weights sum to 100), kept in
hundredths (rounded half up). Ranks within the community and the street are per role, by total
descending, then by the plain sum of the dimension scores descending, then by the earlier role
assignment (longer in the role), so ties are always broken and every rank is distinct.

Areas: a grid's or micro-grid's score = 0.8 x the mean total of the role holders evaluated in it
(for a grid: its grid leader, its micro-grid leaders and its central households) + 0.2 x its
activity, where activity = the mean of its central-household coverage (households looked after
by a central household), its training coverage (share of those role holders trained in the
year) and, when work orders handled in it (for a grid: by it or its micro-grids) were confirmed
in the quarter, their share on time (not past a due time) and their satisfaction (mean rating
/ 5, over the rated ones), all as 0-100. Areas rank within their community and level by
score, then by the holders' mean, then by area id.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from services import notices, workorders
from services.enums import (
    EVALUATED_ROLES,
    EVALUATION_DIMENSIONS,
    METRIC_DIMENSIONS,
    AreaLevel,
    Dimension,
    Metric,
    Role,
)
from services.evaluation.schemes import Details, RoleSpec, Scheme
from services.grids import coverage_figures
from services.kit import calendar, db
from services.kit.paths import path_ids
from services.models import EvaluationAdjustment, EvaluationPeriod, EvaluationResult

CHUNK = 400
HOLDERS_SHARE = Fraction(4, 5)


def quarter_bounds(quarter: str) -> tuple[datetime, datetime, datetime]:
    """(start of the year, start, end) of a quarter like "2026Q4" in the configured time
    zone, as UTC instants."""
    start, end = calendar.quarter_window(quarter)
    year_start, _ = calendar.quarter_window(f"{quarter[:4]}Q1")
    return year_start, start, end


def previous_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[5])
    return f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"


def prefix(path: str, depth: int) -> str:
    """The path of the ancestor at `depth` components (4: the grid, 5: the micro-grid)."""
    return "/" + "/".join(path.strip("/").split("/")[:depth]) + "/"


def half_up(value: Fraction) -> int:
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


@dataclass
class Part:
    """What one source adds to a dimension, as shown in `details`."""

    kind: str  # RULE, METRIC, ITEM or ADJUSTMENT
    label: str
    points: int
    counted: int
    ref: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "points": self.points,
            "counted": self.counted,
            "ref": self.ref,
        }


def compose(
    spec: RoleSpec, base: dict[Dimension, list[Part]], manual: list[tuple[Dimension, Part]]
) -> tuple[int, int, str]:
    """(total in hundredths, sum of dimension scores, scores JSON) of one result."""
    total, score_sum, dims = totals(spec, base, manual)
    return total, score_sum, json.dumps(dims, ensure_ascii=False)


def totals(
    spec: RoleSpec, base: dict[Dimension, list[Part]], manual: list[tuple[Dimension, Part]]
) -> tuple[int, int, list[dict[str, Any]]]:
    """(total in hundredths, sum of dimension scores, the dimensions) of one result: what
    `compose` stores and what-if (services.evaluation.whatif) compares."""
    total = Fraction(0)
    score_sum = 0
    dims = []
    for d in spec.dimensions:
        parts = list(base.get(d.dimension, [])) + [p for dim, p in manual if dim is d.dimension]
        raw = sum(p.counted for p in parts)
        score = max(0, min(d.max_score, raw))
        score_sum += score
        total += Fraction(100 * d.weight * score, d.max_score)
        dims.append(
            {
                "dimension": d.dimension.value,
                "weight": d.weight,
                "max": d.max_score,
                "raw": raw,
                "score": score,
                "details": [p.as_json() for p in parts],
            }
        )
    return half_up(total), score_sum, dims


@dataclass(frozen=True)
class DimensionScore:
    """A dimension of a result as scored: its weight and maximum, the sum of what was counted
    (raw), that sum clamped to 0..max_score (score), and the parts it came from."""

    dimension: Dimension
    weight: int
    max_score: int
    raw: int
    score: int
    details: list[Part]


def decode_scores(scores_json: str) -> list[DimensionScore]:
    """The dimensions stored in a result's `scores` (JSON text written by `compose`)."""
    return [
        DimensionScore(
            dimension=Dimension(d["dimension"]),
            weight=d["weight"],
            max_score=d["max"],
            raw=d["raw"],
            score=d["score"],
            details=[
                Part(p["kind"], p["label"], p["points"], p["counted"], p.get("ref"))
                for p in d["details"]
            ],
        )
        for d in json.loads(scores_json)
    ]


def dimension_scores(result: EvaluationResult) -> list[DimensionScore]:
    """A result's four dimensions with their scores and where the points came from."""
    return decode_scores(result.scores)


def base_parts(scores_json: str) -> dict[Dimension, list[Part]]:
    """The automatic parts stored in a result's scores (manual ones are re-read)."""
    base: dict[Dimension, list[Part]] = defaultdict(list)
    for dim in decode_scores(scores_json):
        base[dim.dimension].extend(p for p in dim.details if p.kind in ("RULE", "METRIC"))
    return base


def manual_parts(
    adjustments: list[EvaluationAdjustment], details: Details
) -> list[tuple[Dimension, Part]]:
    parts = []
    for a in adjustments:
        if a.withdrawn_at is not None:
            continue
        item = details.item(a.item_code) if a.item_code else None
        label = f"{item.name}: {a.reason}" if item else a.reason
        parts.append(
            (
                Dimension(a.dimension),
                Part("ITEM" if a.item_code else "ADJUSTMENT", label, a.points, a.points, a.id),
            )
        )
    return parts


def metric_part(metric: Metric, count: int, scheme: Scheme) -> Part:
    """What `count` units of an activity metric add to its dimension under a scheme."""
    return Part("METRIC", metric.value, count, count * scheme.points_per(metric))


def rescored(base: dict[Dimension, list[Part]], scheme: Scheme) -> dict[Dimension, list[Part]]:
    """Stored automatic parts under another scheme: the metric parts counted again at its
    points per unit (their counts are kept), the ledger parts as they were."""
    return {
        dimension: [
            metric_part(Metric(p.label), p.points, scheme) if p.kind == "METRIC" else p
            for p in parts
        ]
        for dimension, parts in base.items()
    }


def area_score(holders_mean: Fraction, activity: Fraction) -> Fraction:
    """A grid's or micro-grid's score from its holders' mean total and its activity."""
    return HOLDERS_SHARE * holders_mean + (1 - HOLDERS_SHARE) * activity


def _subtree(path: str) -> tuple[str, str]:
    return path, path[:-1] + "0"


_HOLDERS = (
    "SELECT {cols} FROM role_assignment ra WHERE ra.until IS NULL AND ra.role IN (?, ?, ?) "
    "AND ra.area_path >= ? AND ra.area_path < ?"
)


def _holder_params(path: str) -> list[Any]:
    return [*(r.value for r in EVALUATED_ROLES), *_subtree(path)]


async def _activity_metrics(
    start: datetime, end: datetime, people: str, params: list[Any]
) -> dict[Metric, dict[int, int]]:
    """Per activity metric other than training, how many units each holder (`people`, an SQL
    subquery with its parameters) counts in the quarter [start, end): one statement each."""
    return {
        Metric.NOTICES_ACKNOWLEDGED: await notices.acknowledged_between(start, end, people, params),
        Metric.REPORTS_VERIFIED: await workorders.verified_reports_between(
            start, end, people, params
        ),
        Metric.ORDERS_WITHIN_SLA: await workorders.orders_within_sla_between(
            start, end, people, params
        ),
    }


async def score_period(
    period: EvaluationPeriod, scheme: Scheme, details: dict[int, Details]
) -> int:
    """Evaluate every open GRID_LEADER, MICRO_GRID_LEADER and CENTRAL_HOUSEHOLD assignment
    under the period's area (inside the caller's transaction); returns how many."""
    holders = await db.fetch(
        _HOLDERS.format(cols="ra.id, ra.person_id, ra.role, ra.area_id, ra.area_path")
        + " ORDER BY ra.id",
        _holder_params(period.area_path),
    )
    people = _HOLDERS.format(cols="ra.person_id")
    credits = await db.fetch(
        "SELECT t.person_id, t.rule_id, t.dimension, SUM(t.credit) AS credit "
        "FROM points_transaction t WHERE t.period = ? AND t.rule_id IS NOT NULL "
        f"AND t.person_id IN ({people}) GROUP BY t.person_id, t.rule_id, t.dimension",
        [period.quarter, *_holder_params(period.area_path)],
    )
    codes = {
        int(r["id"]): str(r["code"]) for r in await db.fetch("SELECT id, code FROM points_rule", [])
    }
    year_start, start, end = quarter_bounds(period.quarter)
    training = await db.fetch(
        "SELECT a.person_id, "
        "SUM(CASE WHEN s.starts_at >= ? THEN 1 ELSE 0 END) AS in_quarter, COUNT(*) AS in_year "
        "FROM training_attendance a JOIN training_session s ON s.id = a.session_id "
        f"WHERE s.starts_at >= ? AND s.starts_at < ? AND a.person_id IN ({people}) "
        "GROUP BY a.person_id",
        [start, year_start, end, *_holder_params(period.area_path)],
    )
    sessions = {int(r["person_id"]): (int(r["in_quarter"]), int(r["in_year"])) for r in training}
    activity = await _activity_metrics(start, end, people, _holder_params(period.area_path))
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in credits:
        by_person[int(row["person_id"])].append(row)

    rows: list[list[Any]] = []
    for h in holders:
        ids = path_ids(str(h["area_path"]))
        community_id, street_id = ids[2], ids[1]
        person_id = int(h["person_id"])
        role = Role(h["role"])
        rule_details = details.get(community_id) or Details(None, 0, community_id)
        base = _ledger_parts(by_person.get(person_id, []), codes, rule_details)
        quarter_sessions, year_sessions = sessions.get(person_id, (0, 0))
        # Stored even at 0 points per session (it adds nothing then), so that what-if can
        # count the sessions at other points.
        if quarter_sessions:
            base[Dimension.MANAGEMENT_SERVICE].append(
                metric_part(Metric.TRAINING_ATTENDED, quarter_sessions, scheme)
            )
        for metric, counts in activity.items():
            if counts.get(person_id):
                base[METRIC_DIMENSIONS[metric]].append(
                    metric_part(metric, counts[person_id], scheme)
                )
        total, score_sum, scores = compose(scheme.role(role), base, [])
        rows.append(
            [
                period.id,
                period.quarter,
                person_id,
                role.value,
                int(h["id"]),
                int(h["area_id"]),
                str(h["area_path"]),
                community_id,
                street_id,
                total,
                score_sum,
                scores,
                year_sessions > 0,
            ]
        )
    columns = (
        "period_id, quarter, person_id, role, assignment_id, area_id, area_path, community_id, "
        "street_id, total, score_sum, scores, trained, poor"
    )
    for i in range(0, len(rows), CHUNK):
        chunk = rows[i : i + CHUNK]
        marks = ", ".join("(" + ", ".join("?" for _ in range(13)) + ", ?)" for _ in chunk)
        params = [v for row in chunk for v in [*row, False]]
        await db.execute(f"INSERT INTO evaluation_result ({columns}) VALUES {marks}", params)
    return len(rows)


def _ledger_parts(
    credits: list[dict[str, Any]], codes: dict[int, str], details: Details
) -> dict[Dimension, list[Part]]:
    """Credit per rule code, mapped and capped by the community's detailed rules."""
    summed: dict[tuple[str, Dimension], int] = defaultdict(int)
    for row in credits:
        code = codes.get(int(row["rule_id"]), "?")
        link = details.link(code)
        dimension = link.dimension if link and link.dimension else Dimension(row["dimension"])
        summed[(code, dimension)] += int(row["credit"])
    base: dict[Dimension, list[Part]] = defaultdict(list)
    for (code, dimension), credit in sorted(summed.items(), key=lambda kv: kv[0][0]):
        if dimension not in EVALUATION_DIMENSIONS or credit == 0:
            continue
        link = details.link(code)
        counted = min(credit, link.cap) if link and link.cap is not None else credit
        base[dimension].append(Part("RULE", code, credit, counted))
    return base


_RANKS = """
UPDATE evaluation_result SET community_rank = r.cr,
       poor = (r.total < ? OR (r.cr > 1 AND r.cr = r.cn))
FROM (
  SELECT id, total,
         ROW_NUMBER() OVER (PARTITION BY community_id, role
                            ORDER BY total DESC, score_sum DESC, assignment_id) AS cr,
         COUNT(*) OVER (PARTITION BY community_id, role) AS cn
  FROM evaluation_result WHERE period_id = ?
) AS r
WHERE evaluation_result.id = r.id
"""


# Street ranks compare every result of the quarter in the period's streets, whichever period
# holds it: communities of one street may run their own periods (never overlapping), and each
# period ranked alone would give each community its own street rank 1. Assignment ids are
# unique within a quarter (one period per area and quarter), so the order is total.
_STREET_RANKS = """
UPDATE evaluation_result SET street_rank = r.sr
FROM (
  SELECT id,
         ROW_NUMBER() OVER (PARTITION BY street_id, role
                            ORDER BY total DESC, score_sum DESC, assignment_id) AS sr
  FROM evaluation_result
  WHERE quarter = ?
    AND street_id IN (SELECT DISTINCT street_id FROM evaluation_result WHERE period_id = ?)
) AS r
WHERE evaluation_result.id = r.id
"""


async def rank_period(period: EvaluationPeriod, scheme: Scheme) -> None:
    """Ranks of the people (community ranks within the period, street ranks across the
    quarter's periods of its streets) and the results of the areas of a period. A total below
    the exit threshold, or the last rank of two or more in the community, is poor."""
    await db.execute(_RANKS, [scheme.exit_threshold * 100, period.id])
    # The street rows first (a no-op write, one statement): two communities of a street
    # ranking at once rewrite each other's street ranks one after the other. A community's
    # period locks one street, so two rankings never wait on each other's rows crosswise.
    await db.execute(
        "UPDATE area SET name = name WHERE id IN "
        "(SELECT DISTINCT street_id FROM evaluation_result WHERE period_id = ?) RETURNING id",
        [period.id],
    )
    await db.execute(_STREET_RANKS, [period.quarter, period.id])
    await _score_areas(period)


async def _score_areas(period: EvaluationPeriod) -> None:
    results = await db.fetch(
        "SELECT area_path, total, trained FROM evaluation_result WHERE period_id = ?", [period.id]
    )
    low, high = _subtree(period.area_path)
    areas = await db.fetch(
        "SELECT id, path, level FROM area WHERE path >= ? AND path < ? AND level IN (?, ?) "
        "ORDER BY id",
        [low, high, AreaLevel.GRID.value, AreaLevel.MICRO_GRID.value],
    )
    if not areas:
        await db.execute("DELETE FROM area_evaluation WHERE period_id = ?", [period.id])
        return
    totals: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for r in results:
        path = str(r["area_path"])
        entry = (int(r["total"]), bool(r["trained"]))
        totals[prefix(path, 4)].append(entry)
        if path.count("/") > 5:
            totals[prefix(path, 5)].append(entry)
    figures = await coverage_figures([int(a["id"]) for a in areas])
    _, start, end = quarter_bounds(period.quarter)
    service: dict[str, workorders.Service] = defaultdict(workorders.Service)
    for handling_path, given in (
        await workorders.service_by_handling_path(start, end, period.area_path)
    ).items():
        for depth in (4, 5):  # the grid and the micro-grid handling it (not the community)
            if handling_path.count("/") > depth:
                service[prefix(handling_path, depth)] += given
    scored: list[list[Any]] = []
    for area, figure in zip(areas, figures, strict=True):
        entries = totals.get(str(area["path"]), [])
        mean = Fraction(sum(t for t, _ in entries), len(entries)) if entries else Fraction(0)
        trained = (
            Fraction(sum(1 for _, t in entries if t), len(entries)) if entries else Fraction(0)
        )
        cared = (
            Fraction(figure.households_with_central_household, figure.households)
            if figure.households
            else Fraction(0)
        )
        shares = [cared, trained]
        served = service.get(str(area["path"]))
        if served is not None and served.orders:
            shares.append(1 - Fraction(served.late, served.orders))
        if served is not None and served.rated:
            shares.append(Fraction(served.rating_sum, 5 * served.rated))
        activity = sum(shares, Fraction(0)) / len(shares) * 10000
        score = area_score(mean, activity)
        ids = path_ids(str(area["path"]))
        scored.append(
            [
                period.id,
                int(area["id"]),
                str(area["path"]),
                str(area["level"]),
                ids[2],
                len(entries),
                half_up(mean),
                half_up(activity),
                half_up(score),
            ]
        )
    ranks: dict[tuple[int, str], list[list[Any]]] = defaultdict(list)
    for row in scored:
        ranks[(int(row[4]), str(row[3]))].append(row)
    for group in ranks.values():
        group.sort(key=lambda row: (-row[8], -row[6], row[1]))
        for rank, row in enumerate(group, start=1):
            row.append(rank)
    await db.execute("DELETE FROM area_evaluation WHERE period_id = ?", [period.id])
    columns = (
        "period_id, area_id, area_path, level, community_id, holders, holders_mean, activity, "
        "score, community_rank"
    )
    for i in range(0, len(scored), CHUNK):
        chunk = scored[i : i + CHUNK]
        marks = ", ".join("(" + ", ".join("?" for _ in range(10)) + ")" for _ in chunk)
        await db.execute(
            f"INSERT INTO area_evaluation ({columns}) VALUES {marks}",
            [v for row in chunk for v in row],
        )
