"""Evaluation periods: open a quarter, start scoring, publish (red flags, dynamic exit)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from services.enums import (
    AreaLevel,
    ExitReviewStatus,
    HonourKind,
    PeriodStatus,
    Role,
    TransactionKind,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evaluation import scoring
from services.evaluation.schemes import (
    Details,
    Scheme,
    details_of,
    scheme_of,
    schemes_by_ids,
)
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.calendar import period_of, quarter_window
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import ancestor_paths, district_path, in_line, subtree_bounds
from services.kit.settings import get_settings
from services.models import (
    EvaluationHonour,
    EvaluationObjection,
    EvaluationPeriod,
    EvaluationScheme,
    ExitReview,
)
from services.points import check_period
from services.points.ledger import (
    Community,
    Movement,
    add_lot,
    community_at,
    expiry_from,
    lock_account,
    person_account,
    policy_for,
    pool_account,
    post,
)

EVALUATING_LEVELS = (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY)
HONOUR_NAMES = {
    HonourKind.RED_FLAG_GRID: "红旗网格",
    HonourKind.RED_FLAG_MICRO_GRID: "红旗微网格",
    HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD: "红旗中心户",
}
HONOUR_SOURCE = "Honour"


@dataclass(frozen=True)
class Rules:
    """The scheme and detailed rules a period is scored by (those in force when it opened)."""

    scheme: Scheme
    details: dict[int, Details]

    def details_for(self, community_id: int) -> Details:
        return self.details.get(community_id) or Details(None, 0, community_id)


def version_ids(period: EvaluationPeriod) -> list[int]:
    """The scheme and detailed-rules versions recorded on the period."""
    return [i for i in [period.scheme_id, *period.detail_ids.values()] if i is not None]


async def rules_of(period: EvaluationPeriod) -> Rules:
    """The versions recorded on the period, read in one query."""
    return rules_from(period, await schemes_by_ids(version_ids(period)))


def rules_from(period: EvaluationPeriod, rows: dict[int, EvaluationScheme]) -> Rules:
    """The period's rules from its versions, already read (`rows` by id)."""
    district_id = int(district_path(period.area_path).strip("/"))
    scheme = scheme_of(rows.get(period.scheme_id) if period.scheme_id else None, district_id)
    details = {
        int(community): details_of(rows.get(version), int(community))
        for community, version in period.detail_ids.items()
    }
    return Rules(scheme, details)


async def get_period(period_id: int) -> EvaluationPeriod:
    period = await EvaluationPeriod.get_or_none(id=period_id)
    if period is None:
        raise NotFound("No such evaluation period.", field="periodId")
    return period


async def _managed(actor: Actor, period_id: int) -> EvaluationPeriod:
    period = await get_period(period_id)
    if not actor.administers(period.area_path):
        if actor.reads(period.area_path):
            raise Forbidden("Admins of the area run its evaluation.", field="periodId")
        raise NotFound("No such evaluation period.", field="periodId")
    return period


def _early_reason(period: EvaluationPeriod, reason: str | None, step: str) -> str | None:
    """None once the period's quarter is over (the service clock, in the configured time
    zone); before, the admin's reason for the early step, which is required: scores and exit
    flags of a quarter still running would stand on part of it."""
    end = quarter_window(period.quarter)[1]
    if clock.now() >= end:
        return None
    if reason is None or not reason.strip():
        local_end = end.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M")
        raise Conflict(
            f"{period.quarter} runs until {local_end}: {step} once it is over, or give the "
            "reason for doing it early (earlyReason).",
            field="earlyReason",
        )
    return clean_text(reason, field="earlyReason", max_length=500)


def _check_not_future(quarter: str) -> None:
    if quarter > period_of(clock.now()):
        raise InvalidInput("A quarter is evaluated once it has begun.", field="quarter")


async def open_period(
    *, actor: Actor | None, area_id: int, quarter: str | None
) -> EvaluationPeriod:
    """Open a quarter (the current one by default) for a district, street or community. The
    scheme and detailed rules in force now are the ones it will be scored by. A quarter is
    evaluated once per area: periods of one quarter never overlap in the tree."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    if area.level not in EVALUATING_LEVELS:
        raise InvalidInput(
            "Evaluations run for a district, a street or a community.", field="areaId"
        )
    if not actor.administers(area.path):
        raise Forbidden("You may not run evaluations here.", field="areaId")
    quarter = check_period(quarter)
    _check_not_future(quarter)
    district = district_path(area.path)
    async with in_transaction():
        # One opening at a time per district (a no-op write on the district row), so the
        # overlap check below sees every period opened before.
        await db.execute("UPDATE area SET name = name WHERE path = ? RETURNING id", [district])
        low, high = subtree_bounds(area.path)
        # The area's own ancestors (the district has none: "" matches no period).
        ancestors = ancestor_paths(area.path) or [""]
        marks = ",".join("?" for _ in ancestors)
        overlapping = await db.fetch(
            "SELECT id FROM evaluation_period WHERE quarter = ? AND "
            f"((area_path >= ? AND area_path < ?) OR area_path IN ({marks}))",
            [quarter, low, high, *ancestors],
        )
        if overlapping:
            raise Conflict(
                f"{quarter} is already evaluated for this area or an area around it.",
                field="quarter",
            )
        versions = await db.fetch(
            "SELECT s.id, s.area_id, s.area_path, s.version FROM evaluation_scheme s "
            "WHERE s.area_path = ? OR (s.area_path >= ? AND s.area_path < ?)",
            [district, low, high],
        )
        newest: dict[int, tuple[int, int]] = {}
        for v in versions:
            key, version = int(v["area_id"]), int(v["version"])
            if key not in newest or version > newest[key][0]:
                newest[key] = (version, int(v["id"]))
        district_id = int(district.strip("/"))
        scheme_id = newest.pop(district_id, (0, None))[1]
        detail_ids = {str(k): v[1] for k, v in newest.items()}
        return await EvaluationPeriod.create(
            area_id=area.id,
            area_path=area.path,
            area_level=area.level,
            quarter=quarter,
            status=PeriodStatus.OPEN,
            scheme_id=scheme_id,
            detail_ids=detail_ids,
            opened_by_id=actor.person_id,
            opened_at=clock.now(),
        )


async def _lock(period_id: int) -> PeriodStatus:
    """Lock the period row for this transaction (a no-op write) and read its status."""
    rows = await db.execute(
        "UPDATE evaluation_period SET status = status WHERE id = ? RETURNING status", [period_id]
    )
    return PeriodStatus(rows[0]["status"])


async def start_scoring(
    *, actor: Actor | None, period_id: int, early_reason: str | None = None
) -> EvaluationPeriod:
    """Score the period: every GRID_LEADER, MICRO_GRID_LEADER and CENTRAL_HOUSEHOLD whose role
    is open now is evaluated from the ledger and the metrics as they stand now (later credit
    does not change it); admins then adjust, holders object, and the period is published.
    Once its quarter is over, or earlier with the admin's reason (`early_reason`, recorded)."""
    actor = require_actor(actor)
    period = await _managed(actor, period_id)
    rules = await rules_of(period)
    async with in_transaction():
        status = await _lock(period.id)
        if status is not PeriodStatus.OPEN:
            raise Conflict(f"The period is {status.value} already.", field="periodId")
        early = _early_reason(period, early_reason, "score it")
        await scoring.score_period(period, rules.scheme, rules.details)
        await scoring.rank_period(period, rules.scheme)
        await EvaluationPeriod.filter(id=period.id).update(
            status=PeriodStatus.SCORING, scoring_started_at=clock.now(), scored_early_reason=early
        )
    return await EvaluationPeriod.get(id=period.id)


async def publish_period(
    *, actor: Actor | None, period_id: int, early_reason: str | None = None
) -> EvaluationPeriod:
    """Publish (lock) a period: final ranks, red flags with their bonus points, exit reviews.
    Publishing again changes nothing (the honours and their points are given once). An admin
    who would be honoured in it leaves the publication to another admin (Forbidden). Once its
    quarter is over, or earlier with the admin's reason (`early_reason`, recorded)."""
    actor = require_actor(actor)
    period = await _managed(actor, period_id)
    rules = await rules_of(period)
    async with in_transaction():
        status = await _lock(period.id)
        if status is PeriodStatus.PUBLISHED:
            return await EvaluationPeriod.get(id=period.id)
        if status is PeriodStatus.OPEN:
            raise Conflict("Start scoring before publishing.", field="periodId")
        if await EvaluationObjection.exists(period_id=period.id, status="OPEN"):
            raise Conflict("Resolve the open objections first.", field="periodId")
        early = _early_reason(period, early_reason, "publish it")
        await scoring.rank_period(period, rules.scheme)
        await _honour(period, rules.scheme, actor)
        await _flag_exits(period, rules.scheme)
        await EvaluationPeriod.filter(id=period.id).update(
            status=PeriodStatus.PUBLISHED,
            published_at=clock.now(),
            published_by_id=actor.person_id,
            published_early_reason=early,
        )
    return await EvaluationPeriod.get(id=period.id)


@dataclass(frozen=True)
class _Winner:
    kind: HonourKind
    area_id: int
    area_path: str
    community_id: int
    person_id: int | None
    rank: int
    score: int


async def _winners(period: EvaluationPeriod, scheme: Scheme) -> list[_Winner]:
    """The top K of each community per honour kind, among those that evaluated well: areas
    scoring at least the exit threshold, central households not poor (see scoring)."""
    winners: list[_Winner] = []
    for kind, level, leader in (
        (HonourKind.RED_FLAG_GRID, AreaLevel.GRID, Role.GRID_LEADER),
        (HonourKind.RED_FLAG_MICRO_GRID, AreaLevel.MICRO_GRID, Role.MICRO_GRID_LEADER),
    ):
        top = scheme.honour(kind).top
        if not top:
            continue
        rows = await db.fetch(
            "SELECT e.area_id, e.area_path, e.community_id, e.community_rank, e.score, "
            "r.person_id FROM area_evaluation e LEFT JOIN evaluation_result r "
            "ON r.period_id = e.period_id AND r.area_id = e.area_id AND r.role = ? "
            "WHERE e.period_id = ? AND e.level = ? AND e.holders > 0 AND e.community_rank <= ? "
            "AND e.score >= ? ORDER BY e.community_id, e.community_rank",
            [leader.value, period.id, level.value, top, scheme.exit_threshold * 100],
        )
        winners.extend(
            _Winner(
                kind,
                int(r["area_id"]),
                str(r["area_path"]),
                int(r["community_id"]),
                int(r["person_id"]) if r["person_id"] is not None else None,
                int(r["community_rank"]),
                int(r["score"]),
            )
            for r in rows
        )
    top = scheme.honour(HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD).top
    if top:
        rows = await db.fetch(
            "SELECT area_id, area_path, community_id, community_rank, total, person_id "
            "FROM evaluation_result WHERE period_id = ? AND role = ? AND community_rank <= ? "
            "AND poor = ? ORDER BY community_id, community_rank",
            [period.id, Role.CENTRAL_HOUSEHOLD.value, top, False],
        )
        winners.extend(
            _Winner(
                HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD,
                int(r["area_id"]),
                str(r["area_path"]),
                int(r["community_id"]),
                int(r["person_id"]),
                int(r["community_rank"]),
                int(r["total"]),
            )
            for r in rows
        )
    return winners


async def _honour(period: EvaluationPeriod, scheme: Scheme, actor: Actor) -> None:
    """Name the red flags and post their bonus points: pool → receiver, one AWARD transaction
    per honour (source: the honour), person accounts locked first in id order."""
    winners = await _winners(period, scheme)
    # Raised inside publish_period's transaction: the ranks written before roll back too.
    for w in winners:
        actor.require_someone_else(
            w.person_id,
            "You are among this period's red flags: another admin publishes it.",
            field="periodId",
        )
    moment = clock.now()
    honours = [
        await EvaluationHonour.create(
            period_id=period.id,
            quarter=period.quarter,
            kind=w.kind,
            area_id=w.area_id,
            area_path=w.area_path,
            community_id=w.community_id,
            person_id=w.person_id,
            rank=w.rank,
            score=w.score,
            bonus_points=scheme.honour(w.kind).bonus_points if w.person_id is not None else 0,
            created_at=moment,
        )
        for w in winners
    ]
    paid = [h for h in honours if h.person_id is not None and h.bonus_points > 0]
    accounts = {h.person_id: await person_account(h.person_id) for h in paid if h.person_id}
    for account in sorted(accounts.values(), key=lambda a: a.id):
        await lock_account(account.id)
    # Per community: where its pool is and when its points expire (read once, not per honour).
    payers: dict[int, tuple[Community, int, datetime | None]] = {}
    for honour in paid:
        assert honour.person_id is not None
        payer = payers.get(honour.community_id)
        if payer is None:
            community = await community_at(honour.area_path)
            pool = await pool_account(community)
            expires = expiry_from(await policy_for(community), moment)
            payer = payers[honour.community_id] = (community, pool.id, expires)
        community, pool_id, expires = payer
        account = accounts[honour.person_id]
        tx = await post(
            Movement(
                kind=TransactionKind.AWARD,
                community=community,
                person_id=honour.person_id,
                points=honour.bonus_points,
                reason=f"{HONOUR_NAMES[honour.kind]} {period.quarter} (第{honour.rank}名)",
                source_type=HONOUR_SOURCE,
                source_id=str(honour.id),
                actor_account_id=actor.account_id,
            ),
            [(account.id, honour.bonus_points), (pool_id, -honour.bonus_points)],
        )
        await add_lot(account.id, tx.id, honour.bonus_points, expires)
        await EvaluationHonour.filter(id=honour.id).update(transaction_id=tx.id)


async def _flag_exits(period: EvaluationPeriod, scheme: Scheme) -> None:
    """Flag the role assignments that were poor in this period and in the previous quarter's
    published period (see scoring: below the threshold, or last of two or more)."""
    previous = scoring.previous_quarter(period.quarter)
    rows = await db.fetch(
        "SELECT cur.id, cur.person_id, cur.role, cur.assignment_id, cur.area_id, cur.area_path, "
        "cur.total, cur.community_rank, prev.id AS prev_id, prev.total AS prev_total, "
        "prev.community_rank AS prev_rank "
        "FROM evaluation_result cur "
        "JOIN evaluation_result prev ON prev.assignment_id = cur.assignment_id "
        "AND prev.quarter = ? AND prev.poor = ? "
        "JOIN evaluation_period p ON p.id = prev.period_id AND p.status = ? "
        "WHERE cur.period_id = ? AND cur.poor = ?",
        [previous, True, PeriodStatus.PUBLISHED.value, period.id, True],
    )
    threshold = scheme.exit_threshold
    moment = clock.now()
    await ExitReview.bulk_create(
        [
            ExitReview(
                period_id=period.id,
                result_id=int(r["id"]),
                previous_result_id=int(r["prev_id"]),
                person_id=int(r["person_id"]),
                role=Role(r["role"]),
                assignment_id=int(r["assignment_id"]),
                area_id=int(r["area_id"]),
                area_path=str(r["area_path"]),
                reason=(
                    f"{previous}: {int(r['prev_total']) / 100:.2f} 分 (第{r['prev_rank']}名); "
                    f"{period.quarter}: {int(r['total']) / 100:.2f} 分 "
                    f"(第{r['community_rank']}名); "
                    f"连续两季度低于 {threshold} 分或社区末位"
                ),
                status=ExitReviewStatus.OPEN,
                created_at=moment,
            )
            for r in rows
        ]
    )


async def list_periods(
    *, actor: Actor | None, under_id: int, window: Window
) -> Page[EvaluationPeriod]:
    """Periods of an area, of the areas above it and of those below it, newest first."""
    require_actor(actor)
    area = await get_area(area_id=under_id)
    query = EvaluationPeriod.filter(in_line(area.path))
    return await paginate(query, window, newest_first=True)


async def periods_by_ids(*, period_ids: list[int]) -> list[EvaluationPeriod | None]:
    """Periods by id (their existence and quarter are no secret to signed-in users)."""
    found = {p.id: p for p in await EvaluationPeriod.filter(id__in=period_ids)}
    return [found.get(i) for i in period_ids]
