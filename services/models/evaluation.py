"""The evaluation scheme: scheme versions, periods, results, adjustments, honours, exit reviews,
training sessions and attendance. The *_by_id columns name people (person ids), not accounts."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from services.enums import (
    AreaLevel,
    ExitReviewStatus,
    HonourKind,
    ObjectionStatus,
    PeriodStatus,
    Role,
)
from services.kit import clock


class EvaluationScheme(Model):
    """One version of the district scheme (评估办法, area is the district) or of a communitys
    detailed rules (评估细则, area is the community). The newest version of an area is in force;
    older versions stay, since periods are scored by the versions in force when they opened."""

    id = fields.IntField(primary_key=True)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    version = fields.IntField()
    body: dict[str, Any] = fields.JSONField(default=dict)
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "evaluation_scheme"
        unique_together = (("area_id", "version"),)


class EvaluationPeriod(Model):
    """A quarter evaluated for an area (district, street or community): OPEN, then SCORING,
    then PUBLISHED (locked). Periods of one quarter never overlap in the tree."""

    id = fields.IntField(primary_key=True)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    area_level = fields.CharEnumField(AreaLevel, max_length=16)
    quarter = fields.CharField(max_length=8)
    status = fields.CharEnumField(PeriodStatus, max_length=16, default=PeriodStatus.OPEN)
    # The district scheme version (null: the built-in default) and, per community id, the
    # detailed rules version in force when the period opened.
    scheme_id = fields.IntField(null=True)
    detail_ids: dict[str, int] = fields.JSONField(default=dict)
    opened_by_id = fields.IntField(null=True)
    opened_at = fields.DatetimeField()
    scoring_started_at = fields.DatetimeField(null=True)
    published_at = fields.DatetimeField(null=True)
    published_by_id = fields.IntField(null=True)
    # Why an admin scored or published the quarter before it was over (null: after its end).
    scored_early_reason = fields.CharField(max_length=500, null=True)
    published_early_reason = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "evaluation_period"
        indexes = (("quarter", "area_path"), ("area_path",))


class EvaluationResult(Model):
    """The evaluation of one role assignment in a period. Totals are kept in hundredths of a
    point so that ranking compares integers on both databases. `scores` holds (JSON text), per
    dimension, the weight, maximum, parts and details the total was computed from."""

    id = fields.IntField(primary_key=True)
    period_id = fields.IntField()
    quarter = fields.CharField(max_length=8)
    person_id = fields.IntField()
    role = fields.CharEnumField(Role, max_length=32)
    assignment_id = fields.IntField()
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    community_id = fields.IntField()
    street_id = fields.IntField()
    total = fields.IntField(default=0)
    score_sum = fields.IntField(default=0)
    scores = fields.TextField(default="[]")
    community_rank = fields.IntField(null=True)
    street_rank = fields.IntField(null=True)
    # Trained in the year of the quarter (counts in the training coverage of its areas).
    trained = fields.BooleanField(default=False)
    poor = fields.BooleanField(default=False)

    class Meta:
        table = "evaluation_result"
        unique_together = (("period_id", "assignment_id"),)
        indexes = (
            ("period_id", "community_id", "role", "community_rank"),
            ("period_id", "street_id", "role", "street_rank"),
            ("assignment_id", "quarter"),
            ("person_id", "period_id"),
        )


class EvaluationAdjustment(Model):
    """A manual change to a dimension score, with the reason and the admin who made it: a
    free adjustment (+ or -) or the score of a manual item of the detailed rules (item_code).
    A new score for the same item supersedes the old; an upheld objection withdraws it."""

    id = fields.IntField(primary_key=True)
    result_id = fields.IntField(db_index=True)
    period_id = fields.IntField()
    dimension = fields.CharField(max_length=32)
    points = fields.IntField()
    item_code = fields.CharField(max_length=40, null=True)
    reason = fields.CharField(max_length=500)
    made_by_id = fields.IntField()
    created_at = fields.DatetimeField()
    withdrawn_at = fields.DatetimeField(null=True)
    withdrawn_reason = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "evaluation_adjustment"


class EvaluationObjection(Model):
    """A role holders objection to a manual adjustment of their result, resolved by an admin."""

    id = fields.IntField(primary_key=True)
    adjustment_id = fields.IntField(db_index=True)
    result_id = fields.IntField()
    period_id = fields.IntField(db_index=True)
    person_id = fields.IntField()
    reason = fields.CharField(max_length=500)
    status = fields.CharEnumField(ObjectionStatus, max_length=16, default=ObjectionStatus.OPEN)
    resolution = fields.CharField(max_length=500, null=True)
    resolved_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "evaluation_objection"


class AreaEvaluation(Model):
    """The result of a grid or micro-grid in a period (see services.evaluation.scoring for how
    it aggregates its role holders and its territory), in hundredths of a point."""

    id = fields.IntField(primary_key=True)
    period_id = fields.IntField()
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    level = fields.CharEnumField(AreaLevel, max_length=16)
    community_id = fields.IntField()
    holders = fields.IntField()
    holders_mean = fields.IntField()
    activity = fields.IntField()
    score = fields.IntField()
    community_rank = fields.IntField(null=True)

    class Meta:
        table = "area_evaluation"
        unique_together = (("period_id", "area_id"),)
        indexes = (("period_id", "community_id", "level", "community_rank"),)


class EvaluationHonour(Model):
    """A red-flag honour (红旗网格/微网格/中心户) of a published period, with the bonus points
    posted to its receiver (the areas leader or the central household) through the ledger."""

    id = fields.IntField(primary_key=True)
    period_id = fields.IntField()
    quarter = fields.CharField(max_length=8)
    kind = fields.CharEnumField(HonourKind, max_length=32)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    community_id = fields.IntField()
    person_id = fields.IntField(null=True)
    rank = fields.IntField()
    score = fields.IntField()
    bonus_points = fields.IntField(default=0)
    transaction_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "evaluation_honour"
        unique_together = (("period_id", "kind", "area_id", "person_id"),)
        indexes = (("area_path",), ("person_id",), ("area_id",))


class ExitReview(Model):
    """A role holder flagged for dynamic exit (动态退出) after two poor consecutive quarters:
    an admin ends the role (ROLE_ENDED, the reason kept on the role) or clears the flag."""

    id = fields.IntField(primary_key=True)
    period_id = fields.IntField()
    result_id = fields.IntField(unique=True)
    previous_result_id = fields.IntField()
    person_id = fields.IntField()
    role = fields.CharEnumField(Role, max_length=32)
    assignment_id = fields.IntField(db_index=True)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255, db_index=True)
    reason = fields.CharField(max_length=500)
    status = fields.CharEnumField(ExitReviewStatus, max_length=16, default=ExitReviewStatus.OPEN)
    resolution = fields.CharField(max_length=500, null=True)
    resolved_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)

    class Meta:
        table = "exit_review"


class TrainingSession(Model):
    """A training session (培训) organised at a district, street or community."""

    id = fields.IntField(primary_key=True)
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255, db_index=True)
    level = fields.CharEnumField(AreaLevel, max_length=16)
    topic = fields.CharField(max_length=200)
    place = fields.CharField(max_length=200)
    starts_at = fields.DatetimeField()
    organised_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "training_session"


class TrainingAttendance(Model):
    """A person who attended a training session, and who recorded it."""

    id = fields.IntField(primary_key=True)
    session_id = fields.IntField()
    person_id = fields.IntField(db_index=True)
    recorded_by_id = fields.IntField(null=True)
    recorded_at = fields.DatetimeField()

    class Meta:
        table = "training_attendance"
        unique_together = (("session_id", "person_id"),)
