"""Results of the points mutations: the success types and the result unions."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import (
    Conflict,
    IdempotencyConflict,
    LimitExceeded,
    UserErrors,
)
from schema.points.types import PointsAward, PointsPolicy, PointsRule, PointsTransaction


@strawberry.type(description="The award was recorded (and posted unless it awaits review).")
class AwardPointsSuccess:
    award: PointsAward = strawberry.field(description="The award; PENDING when under review.")


AwardPointsResult = Annotated[
    AwardPointsSuccess | UserErrors | LimitExceeded | IdempotencyConflict,
    strawberry.union("AwardPointsResult", description="The award or why not."),
]


@strawberry.type(description="Everybody was awarded.")
class AwardPointsBatchSuccess:
    awards: list[PointsAward] = strawberry.field(description="One award per person.")


AwardPointsBatchResult = Annotated[
    AwardPointsBatchSuccess | UserErrors | LimitExceeded | IdempotencyConflict,
    strawberry.union(
        "AwardPointsBatchResult", description="The awards, or why nobody was awarded."
    ),
]


@strawberry.type(description="Approved: the points are posted.")
class ApproveAwardSuccess:
    award: PointsAward = strawberry.field(description="The approved award.")


ApproveAwardResult = Annotated[
    ApproveAwardSuccess | UserErrors | Conflict,
    strawberry.union("ApproveAwardResult", description="The approved award or why not."),
]


@strawberry.type(description="Rejected: nothing was posted.")
class RejectAwardSuccess:
    award: PointsAward = strawberry.field(description="The rejected award.")


RejectAwardResult = Annotated[
    RejectAwardSuccess | UserErrors | Conflict,
    strawberry.union("RejectAwardResult", description="The rejected award or why not."),
]


@strawberry.type(
    description="Penalized. If the available balance was too small, it took what was there "
    "and `shortfall` says how much still counted against the evaluation credit."
)
class PenalizePointsSuccess:
    transaction: PointsTransaction = strawberry.field(description="The penalty.")


PenalizePointsResult = Annotated[
    PenalizePointsSuccess | UserErrors | LimitExceeded | IdempotencyConflict,
    strawberry.union("PenalizePointsResult", description="The penalty or why not."),
]


@strawberry.type(description="Reversed: a REVERSAL transaction points at the original.")
class ReverseTransactionSuccess:
    transaction: PointsTransaction = strawberry.field(description="The reversal.")


ReverseTransactionResult = Annotated[
    ReverseTransactionSuccess | UserErrors | Conflict | IdempotencyConflict,
    strawberry.union("ReverseTransactionResult", description="The reversal or why not."),
]


@strawberry.type(description="The rule is in force.")
class CreatePointsRuleSuccess:
    rule: PointsRule = strawberry.field(description="The new rule.")


CreatePointsRuleResult = Annotated[
    CreatePointsRuleSuccess | UserErrors | Conflict,
    strawberry.union("CreatePointsRuleResult", description="The rule or why not."),
]


@strawberry.type(description="The rule was changed.")
class UpdatePointsRuleSuccess:
    rule: PointsRule = strawberry.field(description="The rule as it is now.")


UpdatePointsRuleResult = Annotated[
    UpdatePointsRuleSuccess | UserErrors | Conflict,
    strawberry.union("UpdatePointsRuleResult", description="The rule or why not."),
]


@strawberry.type(description="The rule is retired.")
class RetirePointsRuleSuccess:
    rule: PointsRule = strawberry.field(description="The retired rule.")


RetirePointsRuleResult = Annotated[
    RetirePointsRuleSuccess | UserErrors | Conflict,
    strawberry.union("RetirePointsRuleResult", description="The retired rule or why not."),
]


@strawberry.type(description="The policy applies to awards and redemptions from now on.")
class SetPointsPolicySuccess:
    policy: PointsPolicy = strawberry.field(description="The policy.")


SetPointsPolicyResult = Annotated[
    SetPointsPolicySuccess | UserErrors | Conflict,
    strawberry.union("SetPointsPolicyResult", description="The policy or why not."),
]
