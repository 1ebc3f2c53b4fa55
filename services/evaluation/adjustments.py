"""Manual adjustments during scoring, and role holders' objections to them."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from services.enums import EVALUATION_DIMENSIONS, Dimension, ObjectionStatus, PeriodStatus
from services.errors import Conflict, InvalidInput, NotFound
from services.evaluation import scoring
from services.evaluation.periods import Rules, rules_of
from services.grids import clean_text
from services.kit import audit, clock, db
from services.kit.auth import Actor, require_actor
from services.models import (
    EvaluationAdjustment,
    EvaluationObjection,
    EvaluationPeriod,
    EvaluationResult,
)

MAX_ADJUSTMENT = 100
# Bounds the API's cost estimate relies on (`Evaluation.adjustments`,
# `EvaluationAdjustment.objections`): adjustments of one result (withdrawn and superseded ones
# included), and objections to one adjustment (a rejected objection may be raised again).
MAX_ADJUSTMENTS = 50
MAX_OBJECTIONS = 5


async def _scoring(period_id: int) -> EvaluationPeriod:
    """The period, locked for this transaction; Conflict unless it is being scored."""
    rows = await db.execute(
        "UPDATE evaluation_period SET status = status WHERE id = ? RETURNING status", [period_id]
    )
    if PeriodStatus(rows[0]["status"]) is not PeriodStatus.SCORING:
        raise Conflict(
            "Adjustments and objections are taken while the period is being scored.",
            field="periodId",
        )
    return await EvaluationPeriod.get(id=period_id)


async def recompute(result: EvaluationResult, rules: Rules) -> None:
    """A result's scores after its manual adjustments changed (automatic parts unchanged)."""
    adjustments = await EvaluationAdjustment.filter(result_id=result.id).order_by("id")
    details = rules.details_for(result.community_id)
    total, score_sum, scores = scoring.compose(
        rules.scheme.role(result.role),
        scoring.base_parts(result.scores),
        scoring.manual_parts(adjustments, details),
    )
    await EvaluationResult.filter(id=result.id).update(
        total=total, score_sum=score_sum, scores=scores
    )


async def _refresh(result: EvaluationResult, rules: Rules) -> None:
    await recompute(result, rules)
    period = await EvaluationPeriod.get(id=result.period_id)
    await scoring.rank_period(period, rules.scheme)


async def adjust_score(
    *,
    actor: Actor | None,
    result_id: int,
    dimension: Dimension | None,
    points: int,
    reason: str,
    item_code: str | None,
) -> EvaluationAdjustment:
    """Score a manual item of the community's detailed rules (0..its maximum; a new score
    replaces the old) or adjust a dimension freely (-100..100, not 0), with a reason. Admins
    of the holder's area, never their own result, while the period is being scored."""
    actor = require_actor(actor)
    reason = clean_text(reason, field="reason", max_length=500)
    result = await EvaluationResult.get_or_none(id=result_id)
    if result is None or not actor.reads(result.area_path):
        raise NotFound("No such evaluation.", field="evaluationId")
    actor.require_admin_of(result.area_path, "adjust evaluations")
    actor.require_someone_else(
        result.person_id, "Nobody adjusts their own evaluation.", field="evaluationId"
    )
    period = await EvaluationPeriod.get(id=result.period_id)
    rules = await rules_of(period)
    code = item_code.strip().upper() if item_code else None
    if code is not None:
        item = rules.details_for(result.community_id).item(code)
        if item is None:
            raise InvalidInput(
                f"The detailed rules of this period have no manual item {code}.",
                field="itemCode",
            )
        if dimension is not None and dimension is not item.dimension:
            raise InvalidInput(f"{code} counts in {item.dimension.value}.", field="dimension")
        if not 0 <= points <= item.max_score:
            raise InvalidInput(f"{code} scores 0 to {item.max_score}.", field="points")
        dimension = item.dimension
    else:
        if dimension is None or dimension not in EVALUATION_DIMENSIONS:
            raise InvalidInput("Give one of the four evaluation dimensions.", field="dimension")
        if points == 0 or not -MAX_ADJUSTMENT <= points <= MAX_ADJUSTMENT:
            raise InvalidInput(
                f"An adjustment is -{MAX_ADJUSTMENT} to {MAX_ADJUSTMENT} points, not 0.",
                field="points",
            )
    async with in_transaction():
        await _scoring(result.period_id)
        if await EvaluationAdjustment.filter(result_id=result.id).count() >= MAX_ADJUSTMENTS:
            raise Conflict(
                f"An evaluation takes at most {MAX_ADJUSTMENTS} adjustments.",
                field="evaluationId",
            )
        moment = clock.now()
        if code is not None:
            earlier = await EvaluationAdjustment.filter(
                result_id=result.id, item_code=code, withdrawn_at=None
            ).values_list("id", flat=True)
            if await EvaluationObjection.exists(
                adjustment_id__in=list(earlier), status=ObjectionStatus.OPEN
            ):
                raise Conflict(
                    "Resolve the objection to this item's score first.", field="itemCode"
                )
        adjustment = await EvaluationAdjustment.create(
            result_id=result.id,
            period_id=result.period_id,
            dimension=dimension.value,
            points=points,
            item_code=code,
            reason=reason,
            made_by_id=actor.person_id,
            created_at=moment,
        )
        if code is not None:
            await EvaluationAdjustment.filter(
                result_id=result.id, item_code=code, withdrawn_at=None, id__not=adjustment.id
            ).update(withdrawn_at=moment, withdrawn_reason=f"superseded by #{adjustment.id}")
        await _refresh(result, rules)
        await audit.log(
            actor, audit.EVALUATION, "adjustScore", adjustment, area_path=result.area_path
        )
    return adjustment


async def object_to_adjustment(
    *, actor: Actor | None, adjustment_id: int, reason: str
) -> EvaluationObjection:
    """The role holder objects to an adjustment of their own result, before publication."""
    actor = require_actor(actor)
    reason = clean_text(reason, field="reason", max_length=500)
    adjustment = await EvaluationAdjustment.get_or_none(id=adjustment_id)
    result = await EvaluationResult.get_or_none(id=adjustment.result_id) if adjustment else None
    if adjustment is None or result is None or result.person_id != actor.person_id:
        raise NotFound("No such adjustment of your evaluation.", field="adjustmentId")
    if adjustment.withdrawn_at is not None:
        raise Conflict("That adjustment no longer counts.", field="adjustmentId")
    async with in_transaction():
        await _scoring(result.period_id)
        # Read again under the period's lock: a new item score may have superseded it.
        if await EvaluationAdjustment.exists(id=adjustment.id, withdrawn_at__isnull=False):
            raise Conflict("That adjustment no longer counts.", field="adjustmentId")
        if await EvaluationObjection.exists(
            adjustment_id=adjustment.id, status=ObjectionStatus.OPEN
        ):
            raise Conflict("You objected to it already.", field="adjustmentId")
        if await EvaluationObjection.filter(adjustment_id=adjustment.id).count() >= (
            MAX_OBJECTIONS
        ):
            raise Conflict(
                f"An adjustment takes at most {MAX_OBJECTIONS} objections.",
                field="adjustmentId",
            )
        return await EvaluationObjection.create(
            adjustment_id=adjustment.id,
            result_id=result.id,
            period_id=result.period_id,
            person_id=actor.person_id,
            reason=reason,
            status=ObjectionStatus.OPEN,
            created_at=clock.now(),
        )


async def resolve_objection(
    *, actor: Actor | None, objection_id: int, upheld: bool, resolution: str
) -> EvaluationObjection:
    """An admin of the holder's area (not the objector) upholds the objection (the adjustment
    is withdrawn and the result recomputed) or rejects it (it stands), with a reason."""
    actor = require_actor(actor)
    resolution = clean_text(resolution, field="resolution", max_length=500)
    objection = await EvaluationObjection.get_or_none(id=objection_id)
    result = await EvaluationResult.get_or_none(id=objection.result_id) if objection else None
    if objection is None or result is None or not actor.reads(result.area_path):
        raise NotFound("No such objection.", field="objectionId")
    actor.require_admin_of(result.area_path, "resolve objections")
    actor.require_someone_else(
        objection.person_id, "Someone else resolves your objection.", field="objectionId"
    )
    period = await EvaluationPeriod.get(id=result.period_id)
    rules = await rules_of(period)
    async with in_transaction():
        await _scoring(result.period_id)
        moment = clock.now()
        changed = await EvaluationObjection.filter(
            id=objection.id, status=ObjectionStatus.OPEN
        ).update(
            status=ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED,
            resolution=resolution,
            resolved_by_id=actor.person_id,
            resolved_at=moment,
        )
        if not changed:
            raise Conflict("The objection is resolved already.", field="objectionId")
        if upheld:
            await EvaluationAdjustment.filter(id=objection.adjustment_id, withdrawn_at=None).update(
                withdrawn_at=moment, withdrawn_reason=f"objection upheld: {resolution}"
            )
            await _refresh(result, rules)
    return await EvaluationObjection.get(id=objection.id)


async def adjustments_of(*, result_ids: list[int]) -> list[list[EvaluationAdjustment]]:
    """Every adjustment of each result (withdrawn ones too), oldest first; one query."""
    found: dict[int, list[EvaluationAdjustment]] = {i: [] for i in result_ids}
    for a in await EvaluationAdjustment.filter(result_id__in=result_ids).order_by("id"):
        found[a.result_id].append(a)
    return [found[i] for i in result_ids]


async def objections_of(*, adjustment_ids: list[int]) -> list[list[EvaluationObjection]]:
    """The objections to each adjustment, oldest first; one query."""
    found: dict[int, list[EvaluationObjection]] = {i: [] for i in adjustment_ids}
    for o in await EvaluationObjection.filter(adjustment_id__in=adjustment_ids).order_by("id"):
        found[o.adjustment_id].append(o)
    return [found[i] for i in adjustment_ids]
