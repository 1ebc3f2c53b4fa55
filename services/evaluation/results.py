"""Reading evaluations: own results, rankings, area results, red flags, exit reviews.

Who sees what: admins whose scope covers an area see its evaluations once scoring starts;
a role holder sees their own result once scoring starts; once a period is published its
results, rankings and honours are public within each community (to the people who live or
hold a role there).
"""

from __future__ import annotations

from services.enums import AreaLevel, ExitReviewStatus, PeriodStatus, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evaluation.periods import get_period
from services.grids import clean_text, get_area
from services.kit import clock
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import is_under, subtree_bounds
from services.models import (
    AreaEvaluation,
    EvaluationAdjustment,
    EvaluationHonour,
    EvaluationObjection,
    EvaluationPeriod,
    EvaluationResult,
    ExitReview,
)


def sees_result(actor: Actor, result: EvaluationResult, status: PeriodStatus) -> bool:
    if status is PeriodStatus.OPEN:
        return False
    if result.person_id == actor.person_id or actor.administers(result.area_path):
        return True
    return status is PeriodStatus.PUBLISHED and actor.member_of(result.area_path)


async def _statuses(period_ids: set[int]) -> dict[int, PeriodStatus]:
    rows = await EvaluationPeriod.filter(id__in=list(period_ids)).values_list("id", "status")
    return {int(i): PeriodStatus(s) for i, s in rows}


async def results_by_ids(
    *, actor: Actor | None, result_ids: list[int]
) -> list[EvaluationResult | None]:
    """Results the actor may see, in order (None elsewhere)."""
    if actor is None:
        return [None for _ in result_ids]
    found = {r.id: r for r in await EvaluationResult.filter(id__in=result_ids)}
    statuses = await _statuses({r.period_id for r in found.values()})
    return [
        r if r is not None and sees_result(actor, r, statuses[r.period_id]) else None
        for r in map(found.get, result_ids)
    ]


async def evaluation(
    *, actor: Actor | None, person_id: int, period_id: int, role: Role | None
) -> EvaluationResult | None:
    """A person's result in a period (for the given role; else their highest evaluated role:
    grid leader, then micro-grid leader, then central household). None when there is none or
    the actor may not see it."""
    actor = require_actor(actor)
    query = EvaluationResult.filter(person_id=person_id, period_id=period_id)
    if role is not None:
        query = query.filter(role=role)
    order = {Role.GRID_LEADER: 0, Role.MICRO_GRID_LEADER: 1, Role.CENTRAL_HOUSEHOLD: 2}
    results = sorted(await query, key=lambda r: (order.get(r.role, 9), r.id))
    if not results:
        return None
    period = await get_period(period_id)
    return results[0] if sees_result(actor, results[0], period.status) else None


# Bounds the API's cost estimate relies on: a person's own results (the newest: five years of
# quarters for one role), the honours of one person or area (the newest), the red flags and the
# exit reviews one query lists (the newest), the roles one person held (the latest).
MY_EVALUATIONS_LIMIT = 20
HONOURS_LIMIT = 40
RED_FLAGS_LIMIT = 500
EXIT_REVIEWS_LIMIT = 200


async def my_evaluations(*, person_id: int) -> list[EvaluationResult]:
    """A person's own results (the viewer's) in periods being scored or published, newest
    first; at most MY_EVALUATIONS_LIMIT."""
    results = await EvaluationResult.filter(person_id=person_id).order_by("-id")
    statuses = await _statuses({r.period_id for r in results})
    shown = [r for r in results if statuses[r.period_id] is not PeriodStatus.OPEN]
    return shown[:MY_EVALUATIONS_LIMIT]


async def _rankable(actor: Actor, under_id: int, period_id: int) -> tuple[EvaluationPeriod, str]:
    """The period and the area path to rank under, after the visibility checks."""
    period = await get_period(period_id)
    area = await get_area(area_id=under_id)
    if area.level not in (
        AreaLevel.STREET,
        AreaLevel.COMMUNITY,
        AreaLevel.GRID,
        AreaLevel.MICRO_GRID,
    ):
        raise InvalidInput("Rankings are within a street or a community.", field="under")
    if not (is_under(area.path, period.area_path) or is_under(period.area_path, area.path)):
        raise InvalidInput("That period does not evaluate this area.", field="under")
    if period.status is PeriodStatus.OPEN:
        raise Conflict("The period is not scored yet.", field="periodId")
    if actor.administers(area.path):
        return period, area.path
    if period.status is PeriodStatus.PUBLISHED and actor.member_of(area.path):
        return period, area.path
    raise Forbidden(
        "Rankings are shown to admins, and within the community once published.",
        field="under",
    )


async def rankings(
    *,
    actor: Actor | None,
    under_id: int,
    period_id: int,
    role: Role,
    window: Window,
) -> Page[EvaluationResult]:
    """The results of one role under a street (by street rank) or a community or below (by
    community rank); the cursor is the rank."""
    actor = require_actor(actor)
    period, path = await _rankable(actor, under_id, period_id)
    column = "street_rank" if path.count("/") == 3 else "community_rank"
    low, high = subtree_bounds(path)
    query = EvaluationResult.filter(
        period_id=period.id, role=role, area_path__gte=low, area_path__lt=high
    )
    return await paginate(query, window, key=column)


async def area_rankings(
    *,
    actor: Actor | None,
    under_id: int,
    period_id: int,
    level: AreaLevel,
    window: Window,
) -> Page[AreaEvaluation]:
    """Grids or micro-grids under a community ranked by their score (cursor: the rank)."""
    actor = require_actor(actor)
    if level not in (AreaLevel.GRID, AreaLevel.MICRO_GRID):
        raise InvalidInput("Grids and micro-grids are ranked.", field="level")
    period, path = await _rankable(actor, under_id, period_id)
    if path.count("/") < 4:
        raise InvalidInput("Areas are ranked within a community.", field="under")
    low, high = subtree_bounds(path)
    query = AreaEvaluation.filter(
        period_id=period.id, level=level, area_path__gte=low, area_path__lt=high
    )
    return await paginate(query, window, key="community_rank")


async def area_results_by_ids(*, result_ids: list[int]) -> list[AreaEvaluation | None]:
    found = {r.id: r for r in await AreaEvaluation.filter(id__in=result_ids)}
    return [found.get(i) for i in result_ids]


async def red_flags(
    *, actor: Actor | None, under_id: int, period_id: int | None
) -> list[EvaluationHonour]:
    """The honours of published periods under an area (one period, or all: the history),
    newest quarter first, at most RED_FLAGS_LIMIT; outside the actor's administration only
    their own communities'."""
    actor = require_actor(actor)
    area = await get_area(area_id=under_id)
    low, high = subtree_bounds(area.path)
    query = EvaluationHonour.filter(area_path__gte=low, area_path__lt=high)
    if period_id is not None:
        query = query.filter(period_id=period_id)
    honours = await query.order_by("-quarter", "community_id", "kind", "rank")
    shown = [h for h in honours if actor.administers(h.area_path) or actor.member_of(h.area_path)]
    return shown[:RED_FLAGS_LIMIT]


async def honours_of_people(
    *, actor: Actor | None, person_ids: list[int]
) -> list[list[EvaluationHonour]]:
    """Each person's honours, newest first, at most HONOURS_LIMIT each; one query (public
    within the community)."""
    found: dict[int, list[EvaluationHonour]] = {i: [] for i in person_ids}
    if actor is None:
        return [[] for _ in person_ids]
    for h in await EvaluationHonour.filter(person_id__in=person_ids).order_by("-id"):
        held = found[int(h.person_id or 0)]
        if len(held) < HONOURS_LIMIT and (
            actor.administers(h.area_path) or actor.member_of(h.area_path)
        ):
            held.append(h)
    return [found[i] for i in person_ids]


async def honours_of_areas(
    *, actor: Actor | None, area_ids: list[int]
) -> list[list[EvaluationHonour]]:
    """Each area's honours (grids, micro-grids, and the central households in a micro-grid),
    newest first, at most HONOURS_LIMIT each; one query."""
    found: dict[int, list[EvaluationHonour]] = {i: [] for i in area_ids}
    if actor is None:
        return [[] for _ in area_ids]
    for h in await EvaluationHonour.filter(area_id__in=area_ids).order_by("-id"):
        held = found[h.area_id]
        if len(held) < HONOURS_LIMIT and (
            actor.administers(h.area_path) or actor.member_of(h.area_path)
        ):
            held.append(h)
    return [found[i] for i in area_ids]


async def exit_reviews(
    *, actor: Actor | None, under_id: int, status: ExitReviewStatus | None
) -> list[ExitReview]:
    """Exit reviews under an area, newest first, at most EXIT_REVIEWS_LIMIT (admins of the
    area)."""
    actor = require_actor(actor)
    area = await get_area(area_id=under_id)
    actor.require_admin_of(area.path, "see exit reviews")
    low, high = subtree_bounds(area.path)
    query = ExitReview.filter(area_path__gte=low, area_path__lt=high)
    if status is not None:
        query = query.filter(status=status)
    return await query.order_by("-id").limit(EXIT_REVIEWS_LIMIT)


async def clear_exit_review(*, actor: Actor | None, review_id: int, reason: str) -> ExitReview:
    """Clear an exit flag with a reason (the holder stays in the role). To make them exit, an
    admin ends the role instead (endRole, reason kept), which closes the review as ROLE_ENDED."""
    actor = require_actor(actor)
    reason = clean_text(reason, field="reason", max_length=500)
    review = await ExitReview.get_or_none(id=review_id)
    if review is None or not actor.reads(review.area_path):
        raise NotFound("No such exit review.", field="exitReviewId")
    actor.require_admin_of(review.area_path, "clear exit reviews")
    actor.require_someone_else(
        review.person_id, "Another admin decides on your own exit review.", field="exitReviewId"
    )
    # Conditional update: of two admins clearing at once, one finds it closed.
    changed = await ExitReview.filter(id=review.id, status=ExitReviewStatus.OPEN).update(
        status=ExitReviewStatus.CLEARED,
        resolution=reason,
        resolved_by_id=actor.person_id,
        resolved_at=clock.now(),
    )
    if not changed:
        raise Conflict("The review is closed already.", field="exitReviewId")
    return await ExitReview.get(id=review.id)


async def exit_reviews_by_ids(
    *, actor: Actor | None, review_ids: list[int]
) -> list[ExitReview | None]:
    if actor is None:
        return [None for _ in review_ids]
    found = {r.id: r for r in await ExitReview.filter(id__in=review_ids)}
    return [
        r if r is not None and actor.administers(r.area_path) else None
        for r in map(found.get, review_ids)
    ]


async def honours_by_ids(
    *, actor: Actor | None, honour_ids: list[int]
) -> list[EvaluationHonour | None]:
    """Honours the actor may see (their community's, or under their administration)."""
    if actor is None:
        return [None for _ in honour_ids]
    found = {h.id: h for h in await EvaluationHonour.filter(id__in=honour_ids)}
    return [
        h
        if h is not None and (actor.administers(h.area_path) or actor.member_of(h.area_path))
        else None
        for h in map(found.get, honour_ids)
    ]


async def adjustments_by_ids(
    *, actor: Actor | None, adjustment_ids: list[int]
) -> list[EvaluationAdjustment | None]:
    """Adjustments of results the actor may see."""
    found = {a.id: a for a in await EvaluationAdjustment.filter(id__in=adjustment_ids)}
    visible = await results_by_ids(
        actor=actor, result_ids=sorted({a.result_id for a in found.values()})
    )
    seen = {r.id for r in visible if r is not None}
    return [
        a if a is not None and a.result_id in seen else None for a in map(found.get, adjustment_ids)
    ]


async def objections_by_ids(
    *, actor: Actor | None, objection_ids: list[int]
) -> list[EvaluationObjection | None]:
    """Objections to adjustments of results the actor may see."""
    found = {o.id: o for o in await EvaluationObjection.filter(id__in=objection_ids)}
    visible = await results_by_ids(
        actor=actor, result_ids=sorted({o.result_id for o in found.values()})
    )
    seen = {r.id for r in visible if r is not None}
    return [
        o if o is not None and o.result_id in seen else None for o in map(found.get, objection_ids)
    ]
