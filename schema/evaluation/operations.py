"""Queries and mutations of the evaluation scheme, periods, results, red flags, exit, training."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import (
    MUTATION_INPUT,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from schema.core.ids import id_argument, id_field, node_key, require_key
from schema.core.pagination import After, Connection, First, page_args
from schema.evaluation.types import (
    AreaEvaluation,
    Evaluation,
    EvaluationAdjustment,
    EvaluationObjection,
    EvaluationPeriod,
    EvaluationScheme,
    ExitReview,
    ExitReviewStatus,
    Honour,
    HonourKind,
    Metric,
    TrainingSession,
)
from schema.grids import AreaLevel
from schema.people import Role
from schema.points import Dimension
from services import evaluation
from services.errors import InvalidInput as InvalidInputError
from services.evaluation.results import EXIT_REVIEWS_LIMIT, RED_FLAGS_LIMIT

# --- updateEvaluationScheme ----------------------------------------------------------------


@strawberry.input(description="A dimension's weight and maximum score.")
class DimensionWeightInput:
    dimension: Dimension = strawberry.field(description="One of the four dimensions.")  # type: ignore[valid-type]
    weight: int = strawberry.field(description="0-100; a role's four weights sum to 100.")
    max_score: int = strawberry.field(description="1-1000.")


@strawberry.input(description="How one evaluated role is scored.")
class RoleSchemeInput:
    role: Role = strawberry.field(
        description="GRID_LEADER, MICRO_GRID_LEADER or CENTRAL_HOUSEHOLD."
    )
    dimensions: list[DimensionWeightInput] = strawberry.field(
        description="Each of the four dimensions once."
    )


@strawberry.input(description="Red flags of one kind per community.")
class HonourRuleInput:
    kind: HonourKind = strawberry.field(description="The honour.")  # type: ignore[valid-type]
    top: int = strawberry.field(description="The top K of each community, 0-20.")
    bonus_points: int = strawberry.field(description="Bonus points to the receiver, 0-10000.")


@strawberry.input(description="Points per unit of one activity metric.")
class MetricPointsInput:
    metric: Metric = strawberry.field(  # type: ignore[valid-type]
        description="The metric (not TRAINING_ATTENDED: see trainingPoints)."
    )
    points: int = strawberry.field(description="Points per unit, 0-100.")


@strawberry.input(description="How a community counts one points rule.")
class RuleLinkInput:
    rule_code: str = strawberry.field(description="The rule's code.")
    dimension: Dimension | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Count it in this dimension (null: the rule's own)."
    )
    cap: int | None = strawberry.field(
        default=None, description="At most this much credit per quarter (null: no cap)."
    )


@strawberry.input(description="A manual item of a community's detailed rules.")
class ManualItemInput:
    code: str = strawberry.field(description="Code: capital letters, digits, _ (1-40).")
    name: str = strawberry.field(description="What it scores.")
    dimension: Dimension = strawberry.field(description="The dimension.")  # type: ignore[valid-type]
    max_score: int = strawberry.field(description="Its most points, 1-100.")


@strawberry.input(
    description="A new version of the district's scheme (at the district: roles, honours, "
    "trainingPoints, exitThreshold, metricPoints) or of a community's detailed rules (at a "
    "community: pointsRules, manualItems). Omitted fields keep their current value."
)
class UpdateEvaluationSchemeInput:
    area_id: relay.GlobalID = id_field("Area", description="The district or the community.")
    roles: list[RoleSchemeInput] | None = strawberry.field(
        default=None, description="All three evaluated roles (district)."
    )
    honours: list[HonourRuleInput] | None = strawberry.field(
        default=None, description="Honour kinds to change (district)."
    )
    training_points: int | None = strawberry.field(
        default=None, description="Points per training session attended, 0-100 (district)."
    )
    exit_threshold: int | None = strawberry.field(
        default=None, description="Poor below this total, 0-100 (district)."
    )
    metric_points: list[MetricPointsInput] | None = strawberry.field(
        default=None, description="Metrics to change (district)."
    )
    points_rules: list[RuleLinkInput] | None = strawberry.field(
        default=None, description="The rules the community maps or caps (replaces the list)."
    )
    manual_items: list[ManualItemInput] | None = strawberry.field(
        default=None, description="The community's manual items (replaces the list)."
    )


@strawberry.type(description="The new version is in force (open periods keep theirs).")
class UpdateEvaluationSchemeSuccess:
    scheme: EvaluationScheme = strawberry.field(description="The scheme as in force now.")


UpdateEvaluationSchemeResult = Annotated[
    UpdateEvaluationSchemeSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated,
    strawberry.union("UpdateEvaluationSchemeResult", description="The new scheme or why not."),
]


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


# --- periods -------------------------------------------------------------------------------


@strawberry.input(description="Open a quarter for a district, street or community.")
class OpenEvaluationPeriodInput:
    area_id: relay.GlobalID = id_field("Area", description="The area evaluated.")
    quarter: str | None = strawberry.field(
        default=None,
        description='The quarter, e.g. "2026Q4" (the current one when omitted; '
        "a past one may be opened, a future one not).",
    )


@strawberry.input(description="A period, by id.")
class PeriodInput:
    period_id: relay.GlobalID = id_field("EvaluationPeriod", description="The evaluation period.")


@strawberry.type(description="The period as it stands now.")
class EvaluationPeriodSuccess:
    period: EvaluationPeriod = strawberry.field(description="The period.")


EvaluationPeriodResult = Annotated[
    EvaluationPeriodSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("EvaluationPeriodResult", description="The period or why not."),
]


@strawberry.type(description="Published: ranks, red flags and exit reviews are final.")
class PublishEvaluationPeriodSuccess:
    period: EvaluationPeriod = strawberry.field(description="The published period.")
    red_flags: list[Honour] = strawberry.field(description="The honours it named.")


PublishEvaluationPeriodResult = Annotated[
    PublishEvaluationPeriodSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | Conflict,
    strawberry.union(
        "PublishEvaluationPeriodResult", description="The published period or why not."
    ),
]


# --- adjustments and objections ------------------------------------------------------------


@strawberry.input(
    description="Score a manual item (itemCode: 0..its maximum, replacing an earlier score) or "
    "adjust a dimension freely (dimension, -100..100, not 0), with a reason."
)
class AdjustEvaluationScoreInput:
    evaluation_id: relay.GlobalID = id_field("Evaluation", description="The evaluation.")
    dimension: Dimension | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="The dimension (required without itemCode)."
    )
    item_code: str | None = strawberry.field(
        default=None, description="A manual item of the community's detailed rules."
    )
    points: int = strawberry.field(description="The points.")
    reason: str = strawberry.field(description="Why (shown to the holder).")


@strawberry.type(description="Adjusted: the evaluation and ranks are recomputed.")
class AdjustEvaluationScoreSuccess:
    adjustment: EvaluationAdjustment = strawberry.field(description="The adjustment.")
    evaluation: Evaluation | None = strawberry.field(description="The evaluation now.")


AdjustEvaluationScoreResult = Annotated[
    AdjustEvaluationScoreSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("AdjustEvaluationScoreResult", description="The adjustment or why not."),
]


@strawberry.input(description="Object to an adjustment of your own evaluation.")
class ObjectToAdjustmentInput:
    adjustment_id: relay.GlobalID = id_field("EvaluationAdjustment", description="The adjustment.")
    reason: str = strawberry.field(description="Why you object.")


@strawberry.type(description="The objection is recorded; an admin resolves it.")
class ObjectToAdjustmentSuccess:
    objection: EvaluationObjection = strawberry.field(description="The objection.")


ObjectToAdjustmentResult = Annotated[
    ObjectToAdjustmentSuccess | InvalidInput | NotFound | Unauthenticated | Conflict,
    strawberry.union("ObjectToAdjustmentResult", description="The objection or why not."),
]


@strawberry.input(description="Resolve an objection (an admin of the holder's area).")
class ResolveObjectionInput:
    objection_id: relay.GlobalID = id_field("EvaluationObjection", description="The objection.")
    upheld: bool = strawberry.field(
        description="true: the adjustment is withdrawn; false: it stands."
    )
    resolution: str = strawberry.field(description="Why (shown to the holder).")


@strawberry.type(description="Resolved.")
class ResolveObjectionSuccess:
    objection: EvaluationObjection = strawberry.field(description="The objection.")
    evaluation: Evaluation | None = strawberry.field(description="The evaluation now.")


ResolveObjectionResult = Annotated[
    ResolveObjectionSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("ResolveObjectionResult", description="The resolution or why not."),
]


# --- exit and training ---------------------------------------------------------------------


@strawberry.input(description="Clear a dynamic-exit flag; the holder stays in the role.")
class ClearExitReviewInput:
    exit_review_id: relay.GlobalID = id_field("ExitReview", description="The review.")
    reason: str = strawberry.field(description="Why (kept).")


@strawberry.type(description="Cleared.")
class ClearExitReviewSuccess:
    exit_review: ExitReview = strawberry.field(description="The review.")


ClearExitReviewResult = Annotated[
    ClearExitReviewSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("ClearExitReviewResult", description="The review or why not."),
]


@strawberry.input(description="Organise a training session.")
class CreateTrainingSessionInput:
    area_id: relay.GlobalID = id_field("Area", description="District, street or community.")
    topic: str = strawberry.field(description="What it is about (1-200 characters).")
    place: str = strawberry.field(description="Where (1-200 characters).")
    starts_at: datetime = strawberry.field(description="When it begins (with its offset).")


@strawberry.type(description="The session is scheduled.")
class TrainingSessionSuccess:
    session: TrainingSession = strawberry.field(description="The session.")


TrainingSessionResult = Annotated[
    TrainingSessionSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("TrainingSessionResult", description="The session or why not."),
]


@strawberry.input(description="Record who attended (recording someone twice changes nothing).")
class RecordAttendanceInput:
    session_id: relay.GlobalID = id_field(
        "TrainingSession", description="The session (begun already)."
    )
    person_ids: list[relay.GlobalID] = id_field(
        "Person", description="1-500 different people of the organising area."
    )


@strawberry.type
class EvaluationQuery:
    @strawberry.field(
        description="The evaluation scheme in force for an area, with its community's "
        "detailed rules inside a community (signed-in users)."
    )
    async def evaluation_scheme(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
    ) -> EvaluationScheme:
        view = await evaluation.evaluation_scheme(
            actor=info.context.actor, under_id=require_key(under, "Area", "under")
        )
        return EvaluationScheme.build(view.scheme, view.details)

    @strawberry.field(
        description="Periods of an area, of the areas above it and below it, newest first."
    )
    async def evaluation_periods(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        first: First = None,
        after: After = None,
    ) -> Connection[EvaluationPeriod]:
        size, key = page_args(info, first, after)
        page = await evaluation.list_periods(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            first=size,
            after=key,
        )
        return Connection.build(page, EvaluationPeriod.from_model)

    @strawberry.field(
        description="A person's evaluation in a period (null if none or not visible): for "
        "`role`, else their highest evaluated role."
    )
    async def evaluation(
        self,
        info: Info,
        person_id: Annotated[relay.GlobalID, id_argument("Person", description="The person.")],
        period_id: Annotated[
            relay.GlobalID, id_argument("EvaluationPeriod", description="The period.")
        ],
        role: Annotated[
            Role | None,
            strawberry.argument(description="The role (when they hold several)."),
        ] = None,
    ) -> Evaluation | None:
        found = await evaluation.evaluation(
            actor=info.context.actor,
            person_id=require_key(person_id, "Person", "personId"),
            period_id=require_key(period_id, "EvaluationPeriod", "periodId"),
            role=role,
        )
        return Evaluation.from_model(found) if found else None

    @strawberry.field(
        description="Evaluations of one role ranked under a street (by street rank) or a "
        "community or below (by community rank). Admins of the area once scoring starts; "
        "members of the community once published."
    )
    async def rankings(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Street or below.")],
        period_id: Annotated[
            relay.GlobalID, id_argument("EvaluationPeriod", description="The period.")
        ],
        role: Annotated[Role, strawberry.argument(description="The evaluated role.")],
        first: First = None,
        after: After = None,
    ) -> Connection[Evaluation]:
        size, key = page_args(info, first, after)
        page = await evaluation.rankings(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            period_id=require_key(period_id, "EvaluationPeriod", "periodId"),
            role=role,
            first=size,
            after=key,
        )
        return Connection.build(page, Evaluation.from_model)

    @strawberry.field(
        description="Grids or micro-grids of a community ranked by their score in a period "
        "(see AreaEvaluation for how it is computed)."
    )
    async def area_rankings(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Community or below.")],
        period_id: Annotated[
            relay.GlobalID, id_argument("EvaluationPeriod", description="The period.")
        ],
        level: Annotated[AreaLevel, strawberry.argument(description="GRID or MICRO_GRID.")],
        first: First = None,
        after: After = None,
    ) -> Connection[AreaEvaluation]:
        size, key = page_args(info, first, after)
        page = await evaluation.area_rankings(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            period_id=require_key(period_id, "EvaluationPeriod", "periodId"),
            level=level,
            first=size,
            after=key,
        )
        return Connection.build(page, AreaEvaluation.from_model)

    @strawberry.field(
        description="Red-flag honours under an area: of one period, or all published ones "
        f"(the history), newest quarter first (at most {RED_FLAGS_LIMIT}). Public within each "
        "community."
    )
    async def red_flags(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        period_id: Annotated[
            relay.GlobalID | None,
            id_argument("EvaluationPeriod", description="One period (all when omitted)."),
        ] = None,
    ) -> list[Honour]:
        found = await evaluation.red_flags(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            period_id=node_key(period_id, "EvaluationPeriod", "periodId"),
        )
        return [Honour.from_model(h) for h in found]

    @strawberry.field(
        description="Dynamic-exit reviews under an area, newest first (the latest "
        f"{EXIT_REVIEWS_LIMIT}; admins)."
    )
    async def exit_reviews(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        status: Annotated[
            ExitReviewStatus | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this status (all when omitted)."),
        ] = None,
    ) -> list[ExitReview]:
        found = await evaluation.exit_reviews(
            actor=info.context.actor, under_id=require_key(under, "Area", "under"), status=status
        )
        return [ExitReview.from_model(r) for r in found]

    @strawberry.field(
        description="Training sessions organised in an area, above it or below it, newest "
        "first (signed-in users)."
    )
    async def training_sessions(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        first: First = None,
        after: After = None,
    ) -> Connection[TrainingSession]:
        size, key = page_args(info, first, after)
        page = await evaluation.list_sessions(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            first=size,
            after=key,
        )
        return Connection.build(page, TrainingSession.from_model)


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
        description="Score an open period from the ledger and the metrics as they stand now."
    )
    async def start_scoring(
        self, info: Info, input: Annotated[PeriodInput, MUTATION_INPUT]
    ) -> EvaluationPeriodResult:
        period = await evaluation.start_scoring(
            actor=info.context.actor,
            period_id=require_key(input.period_id, "EvaluationPeriod", "periodId"),
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
        "Publishing again changes nothing."
    )
    async def publish_evaluation_period(
        self, info: Info, input: Annotated[PeriodInput, MUTATION_INPUT]
    ) -> PublishEvaluationPeriodResult:
        period_id = require_key(input.period_id, "EvaluationPeriod", "periodId")
        period = await evaluation.publish_period(actor=info.context.actor, period_id=period_id)
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
        if len(input.person_ids) > evaluation.MAX_ATTENDEES:
            raise InvalidInputError(
                f"At most {evaluation.MAX_ATTENDEES} people at once.", field="personIds"
            )
        session = await evaluation.record_attendance(
            actor=info.context.actor,
            session_id=require_key(input.session_id, "TrainingSession", "sessionId"),
            person_ids=[require_key(p, "Person", "personIds") for p in input.person_ids],
        )
        return TrainingSessionSuccess(session=TrainingSession.from_model(session))
