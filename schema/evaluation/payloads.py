"""Success types and result unions of the evaluation mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated, UserErrors
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


@strawberry.type(description="The new version is in force (open periods keep theirs).")
class UpdateEvaluationSchemeSuccess:
    scheme: EvaluationScheme = strawberry.field(description="The scheme as in force now.")


UpdateEvaluationSchemeResult = Annotated[
    UpdateEvaluationSchemeSuccess | UserErrors,
    strawberry.union("UpdateEvaluationSchemeResult", description="The new scheme or why not."),
]


@strawberry.type(description="The period as it stands now.")
class EvaluationPeriodSuccess:
    period: EvaluationPeriod = strawberry.field(description="The period.")


EvaluationPeriodResult = Annotated[
    EvaluationPeriodSuccess | UserErrors | Conflict,
    strawberry.union("EvaluationPeriodResult", description="The period or why not."),
]


@strawberry.type(description="Published: ranks, red flags and exit reviews are final.")
class PublishEvaluationPeriodSuccess:
    period: EvaluationPeriod = strawberry.field(description="The published period.")
    red_flags: list[Honour] = strawberry.field(description="The honours it named.")


PublishEvaluationPeriodResult = Annotated[
    PublishEvaluationPeriodSuccess | UserErrors | Conflict,
    strawberry.union(
        "PublishEvaluationPeriodResult", description="The published period or why not."
    ),
]


@strawberry.type(description="Adjusted: the evaluation and ranks are recomputed.")
class AdjustEvaluationScoreSuccess:
    adjustment: EvaluationAdjustment = strawberry.field(description="The adjustment.")
    evaluation: Evaluation | None = strawberry.field(description="The evaluation now.")


AdjustEvaluationScoreResult = Annotated[
    AdjustEvaluationScoreSuccess | UserErrors | Conflict,
    strawberry.union("AdjustEvaluationScoreResult", description="The adjustment or why not."),
]


@strawberry.type(description="The objection is recorded; an admin resolves it.")
class ObjectToAdjustmentSuccess:
    objection: EvaluationObjection = strawberry.field(description="The objection.")


ObjectToAdjustmentResult = Annotated[
    ObjectToAdjustmentSuccess | InvalidInput | NotFound | Unauthenticated | Conflict,
    strawberry.union("ObjectToAdjustmentResult", description="The objection or why not."),
]


@strawberry.type(description="Resolved.")
class ResolveObjectionSuccess:
    objection: EvaluationObjection = strawberry.field(description="The objection.")
    evaluation: Evaluation | None = strawberry.field(description="The evaluation now.")


ResolveObjectionResult = Annotated[
    ResolveObjectionSuccess | UserErrors | Conflict,
    strawberry.union("ResolveObjectionResult", description="The resolution or why not."),
]


@strawberry.type(description="Cleared.")
class ClearExitReviewSuccess:
    exit_review: ExitReview = strawberry.field(description="The review.")


ClearExitReviewResult = Annotated[
    ClearExitReviewSuccess | UserErrors | Conflict,
    strawberry.union("ClearExitReviewResult", description="The review or why not."),
]


@strawberry.type(description="The session is scheduled.")
class TrainingSessionSuccess:
    session: TrainingSession = strawberry.field(description="The session.")


TrainingSessionResult = Annotated[
    TrainingSessionSuccess | UserErrors | Conflict,
    strawberry.union("TrainingSessionResult", description="The session or why not."),
]
