"""Inputs of the evaluation mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from schema.core.ids import id_field
from services.enums import Dimension, HonourKind, Metric, Role


@strawberry.input(description="A dimension's weight and maximum score.")
class DimensionWeightInput:
    dimension: Dimension = strawberry.field(description="One of the four dimensions.")
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
    kind: HonourKind = strawberry.field(description="The honour.")
    top: int = strawberry.field(description="The top K of each community, 0-20.")
    bonus_points: int = strawberry.field(description="Bonus points to the receiver, 0-10000.")


@strawberry.input(description="Points per unit of one activity metric.")
class MetricPointsInput:
    metric: Metric = strawberry.field(
        description="The metric (not TRAINING_ATTENDED: see trainingPoints)."
    )
    points: int = strawberry.field(description="Points per unit, 0-100.")


@strawberry.input(description="How a community counts one points rule.")
class RuleLinkInput:
    rule_code: str = strawberry.field(description="The rule's code.")
    dimension: Dimension | None = strawberry.field(
        default=None, description="Count it in this dimension (null: the rule's own)."
    )
    cap: int | None = strawberry.field(
        default=None, description="At most this much credit per quarter (null: no cap)."
    )


@strawberry.input(description="A manual item of a community's detailed rules.")
class ManualItemInput:
    code: str = strawberry.field(description="Code: capital letters, digits, _ (1-40).")
    name: str = strawberry.field(description="What it scores.")
    dimension: Dimension = strawberry.field(description="The dimension.")
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
    early_reason: str | None = strawberry.field(
        default=None,
        description="Why the quarter is scored or published before it is over (startScoring, "
        "publishEvaluationPeriod; recorded on the period). Required until the quarter ends "
        "(Asia/Shanghai calendar); ignored after.",
    )


@strawberry.input(
    description="Score a manual item (itemCode: 0..its maximum, replacing an earlier score) or "
    "adjust a dimension freely (dimension, -100..100, not 0), with a reason."
)
class AdjustEvaluationScoreInput:
    evaluation_id: relay.GlobalID = id_field("Evaluation", description="The evaluation.")
    dimension: Dimension | None = strawberry.field(
        default=None, description="The dimension (required without itemCode)."
    )
    item_code: str | None = strawberry.field(
        default=None, description="A manual item of the community's detailed rules."
    )
    points: int = strawberry.field(description="The points.")
    reason: str = strawberry.field(description="Why (shown to the holder).")


@strawberry.input(description="Object to an adjustment of your own evaluation.")
class ObjectToAdjustmentInput:
    adjustment_id: relay.GlobalID = id_field("EvaluationAdjustment", description="The adjustment.")
    reason: str = strawberry.field(description="Why you object.")


@strawberry.input(description="Resolve an objection (an admin of the holder's area).")
class ResolveObjectionInput:
    objection_id: relay.GlobalID = id_field("EvaluationObjection", description="The objection.")
    upheld: bool = strawberry.field(
        description="true: the adjustment is withdrawn; false: it stands."
    )
    resolution: str = strawberry.field(description="Why (shown to the holder).")


@strawberry.input(description="Clear a dynamic-exit flag; the holder stays in the role.")
class ClearExitReviewInput:
    exit_review_id: relay.GlobalID = id_field("ExitReview", description="The review.")
    reason: str = strawberry.field(description="Why (kept).")


@strawberry.input(description="Organise a training session.")
class CreateTrainingSessionInput:
    area_id: relay.GlobalID = id_field("Area", description="District, street or community.")
    topic: str = strawberry.field(description="What it is about (1-200 characters).")
    place: str = strawberry.field(description="Where (1-200 characters).")
    starts_at: datetime = strawberry.field(description="When it begins (with its offset).")


@strawberry.input(description="Record who attended (recording someone twice changes nothing).")
class RecordAttendanceInput:
    session_id: relay.GlobalID = id_field(
        "TrainingSession", description="The session (begun already)."
    )
    person_ids: list[relay.GlobalID] = id_field(
        "Person", description="1-500 different people of the organising area."
    )
