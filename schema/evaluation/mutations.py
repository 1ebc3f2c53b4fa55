"""Mutations of the evaluation scheme, periods, adjustments, objections, exit and training."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import require_key
from schema.evaluation.inputs import (
    AdjustEvaluationScoreInput,
    ClearExitReviewInput,
    CreateTrainingSessionInput,
    ObjectToAdjustmentInput,
    OpenEvaluationPeriodInput,
    PeriodInput,
    RecordAttendanceInput,
    ResolveObjectionInput,
    UpdateEvaluationSchemeInput,
)
from schema.evaluation.payloads import (
    AdjustEvaluationScoreResult,
    AdjustEvaluationScoreSuccess,
    ClearExitReviewResult,
    ClearExitReviewSuccess,
    EvaluationPeriodResult,
    EvaluationPeriodSuccess,
    ObjectToAdjustmentResult,
    ObjectToAdjustmentSuccess,
    PublishEvaluationPeriodResult,
    PublishEvaluationPeriodSuccess,
    ResolveObjectionResult,
    ResolveObjectionSuccess,
    TrainingSessionResult,
    TrainingSessionSuccess,
    UpdateEvaluationSchemeResult,
    UpdateEvaluationSchemeSuccess,
)
from schema.evaluation.types import (
    Evaluation,
    EvaluationAdjustment,
    EvaluationObjection,
    EvaluationPeriod,
    EvaluationScheme,
    ExitReview,
    Honour,
    TrainingSession,
)
from services import evaluation


def _scheme_input(input: UpdateEvaluationSchemeInput) -> evaluation.SchemeInput:
    return evaluation.SchemeInput(
        roles=(
            [
                evaluation.RoleSpec(
                    r.role,
                    tuple(
                        evaluation.DimensionSpec(d.dimension, d.weight, d.max_score)
                        for d in r.dimensions
                    ),
                )
                for r in input.roles
            ]
            if input.roles is not None
            else None
        ),
        honours=(
            [evaluation.HonourSpec(h.kind, h.top, h.bonus_points) for h in input.honours]
            if input.honours is not None
            else None
        ),
        training_points=input.training_points,
        exit_threshold=input.exit_threshold,
        metric_points=(
            [evaluation.MetricPoints(m.metric, m.points) for m in input.metric_points]
            if input.metric_points is not None
            else None
        ),
        rule_links=(
            [evaluation.RuleLink(r.rule_code, r.dimension, r.cap) for r in input.points_rules]
            if input.points_rules is not None
            else None
        ),
        manual_items=(
            [
                evaluation.ManualItem(i.code, i.name, i.dimension, i.max_score)
                for i in input.manual_items
            ]
            if input.manual_items is not None
            else None
        ),
    )


async def _evaluation_now(info: Info, result_id: int) -> Evaluation | None:
    found = await evaluation.results_by_ids(actor=info.context.actor, result_ids=[result_id])
    return Evaluation.from_model(found[0]) if found[0] else None


@strawberry.type
class EvaluationMutation:
    @strawberry.mutation(
        description="Write a new version of the district scheme or of a community's detailed "
        "rules (their admins)."
    )
    async def update_evaluation_scheme(
        self, info: Info, input: Annotated[UpdateEvaluationSchemeInput, MUTATION_INPUT]
    ) -> UpdateEvaluationSchemeResult:
        view = await evaluation.update_scheme(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            data=_scheme_input(input),
        )
        return UpdateEvaluationSchemeSuccess(
            scheme=EvaluationScheme.build(view.scheme, view.details)
        )

    @strawberry.mutation(description="Open a quarter for evaluation (admins of the area).")
    async def open_evaluation_period(
        self, info: Info, input: Annotated[OpenEvaluationPeriodInput, MUTATION_INPUT]
    ) -> EvaluationPeriodResult:
        period = await evaluation.open_period(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            quarter=input.quarter,
        )
        return EvaluationPeriodSuccess(period=EvaluationPeriod.from_model(period))

    @strawberry.mutation(
        description="Score an open period from the ledger and the metrics as they stand now: "
        "once its quarter is over, or earlier with earlyReason."
    )
    async def start_scoring(
        self, info: Info, input: Annotated[PeriodInput, MUTATION_INPUT]
    ) -> EvaluationPeriodResult:
        period = await evaluation.start_scoring(
            actor=info.context.actor,
            period_id=require_key(input.period_id, "EvaluationPeriod", "periodId"),
            early_reason=input.early_reason,
        )
        return EvaluationPeriodSuccess(period=EvaluationPeriod.from_model(period))

    @strawberry.mutation(
        description="Score a manual item or adjust a dimension of an evaluation being scored "
        "(admins of the holder's area; never one's own)."
    )
    async def adjust_evaluation_score(
        self, info: Info, input: Annotated[AdjustEvaluationScoreInput, MUTATION_INPUT]
    ) -> AdjustEvaluationScoreResult:
        result_id = require_key(input.evaluation_id, "Evaluation", "evaluationId")
        adjustment = await evaluation.adjust_score(
            actor=info.context.actor,
            result_id=result_id,
            dimension=input.dimension,
            points=input.points,
            reason=input.reason,
            item_code=input.item_code,
        )
        return AdjustEvaluationScoreSuccess(
            adjustment=EvaluationAdjustment.from_model(adjustment),
            evaluation=await _evaluation_now(info, result_id),
        )

    @strawberry.mutation(description="Object to an adjustment of your own evaluation.")
    async def object_to_adjustment(
        self, info: Info, input: Annotated[ObjectToAdjustmentInput, MUTATION_INPUT]
    ) -> ObjectToAdjustmentResult:
        objection = await evaluation.object_to_adjustment(
            actor=info.context.actor,
            adjustment_id=require_key(input.adjustment_id, "EvaluationAdjustment", "adjustmentId"),
            reason=input.reason,
        )
        return ObjectToAdjustmentSuccess(objection=EvaluationObjection.from_model(objection))

    @strawberry.mutation(description="Resolve an objection (admins of the holder's area).")
    async def resolve_objection(
        self, info: Info, input: Annotated[ResolveObjectionInput, MUTATION_INPUT]
    ) -> ResolveObjectionResult:
        objection = await evaluation.resolve_objection(
            actor=info.context.actor,
            objection_id=require_key(input.objection_id, "EvaluationObjection", "objectionId"),
            upheld=input.upheld,
            resolution=input.resolution,
        )
        return ResolveObjectionSuccess(
            objection=EvaluationObjection.from_model(objection),
            evaluation=await _evaluation_now(info, objection.result_id),
        )

    @strawberry.mutation(
        description="Publish a period: final ranks, red flags with bonus points, exit reviews. "
        "Publishing again changes nothing. Once its quarter is over, or earlier with earlyReason."
    )
    async def publish_evaluation_period(
        self, info: Info, input: Annotated[PeriodInput, MUTATION_INPUT]
    ) -> PublishEvaluationPeriodResult:
        period_id = require_key(input.period_id, "EvaluationPeriod", "periodId")
        period = await evaluation.publish_period(
            actor=info.context.actor, period_id=period_id, early_reason=input.early_reason
        )
        honours = await evaluation.red_flags(
            actor=info.context.actor, under_id=period.area_id, period_id=period.id
        )
        return PublishEvaluationPeriodSuccess(
            period=EvaluationPeriod.from_model(period),
            red_flags=[Honour.from_model(h) for h in honours],
        )

    @strawberry.mutation(description="Clear a dynamic-exit flag (admins of the area).")
    async def clear_exit_review(
        self, info: Info, input: Annotated[ClearExitReviewInput, MUTATION_INPUT]
    ) -> ClearExitReviewResult:
        review = await evaluation.clear_exit_review(
            actor=info.context.actor,
            review_id=require_key(input.exit_review_id, "ExitReview", "exitReviewId"),
            reason=input.reason,
        )
        return ClearExitReviewSuccess(exit_review=ExitReview.from_model(review))

    @strawberry.mutation(description="Organise a training session (admins of the area).")
    async def create_training_session(
        self, info: Info, input: Annotated[CreateTrainingSessionInput, MUTATION_INPUT]
    ) -> TrainingSessionResult:
        session = await evaluation.create_session(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            topic=input.topic,
            place=input.place,
            starts_at=input.starts_at,
        )
        return TrainingSessionSuccess(session=TrainingSession.from_model(session))

    @strawberry.mutation(description="Record attendance at a session (its organisers).")
    async def record_attendance(
        self, info: Info, input: Annotated[RecordAttendanceInput, MUTATION_INPUT]
    ) -> TrainingSessionResult:
        session = await evaluation.record_attendance(
            actor=info.context.actor,
            session_id=require_key(input.session_id, "TrainingSession", "sessionId"),
            person_ids=[require_key(p, "Person", "personIds") for p in input.person_ids],
        )
        return TrainingSessionSuccess(session=TrainingSession.from_model(session))
