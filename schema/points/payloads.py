"""Results of the points mutations: the success types and the result unions."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.errors import (
    Conflict,
    Error,
    IdempotencyConflict,
    LimitExceeded,
    UserErrors,
    error_of,
)
from schema.points.types import PointsAward, PointsPolicy, PointsRule, PointsTransaction
from services import points


@strawberry.type(description="The award was recorded (and posted unless it awaits review).")
class AwardPointsSuccess:
    award: PointsAward = strawberry.field(description="The award; PENDING when under review.")


AwardPointsResult = Annotated[
    AwardPointsSuccess | UserErrors | LimitExceeded | IdempotencyConflict,
    strawberry.union("AwardPointsResult", description="The award or why not."),
]


@strawberry.type(description="What a batch award did for one person.")
class AwardPointsBatchOutcome:
    person_id: relay.GlobalID = strawberry.field(description="The person.")
    award: PointsAward | None = strawberry.field(
        description="The award made (PENDING when the rule needs review); null when refused."
    )
    error: Error | None = strawberry.field(
        description="Why the person was not awarded (e.g. LimitExceeded: a cap is reached); "
        "null when awarded."
    )

    @classmethod
    def of(cls, outcome: points.PersonOutcome) -> AwardPointsBatchOutcome:
        return cls(
            person_id=relay.GlobalID("Person", str(outcome.person_id)),
            award=PointsAward.from_model(outcome.award) if outcome.award else None,
            error=error_of(outcome.error) if outcome.error else None,
        )


@strawberry.type(
    description="The batch ran: everybody who could be awarded was (see each outcome)."
)
class AwardPointsBatchSuccess:
    awards: list[PointsAward] = strawberry.field(description="The awards made, by person.")
    outcomes: list[AwardPointsBatchOutcome] = strawberry.field(
        description="Every person of the batch, by person id: awarded, or refused and why."
    )


@strawberry.type(
    description="An atomic batch (`atomic: true`) in which somebody could not be awarded: "
    "nobody was; `refusals` say who and why."
)
class AwardPointsBatchRefused(Error):
    refusals: list[AwardPointsBatchOutcome] = strawberry.field(
        description="The people who could not be awarded, by person id, each with the reason."
    )


AwardPointsBatchResult = Annotated[
    AwardPointsBatchSuccess
    | UserErrors
    | LimitExceeded
    | IdempotencyConflict
    | AwardPointsBatchRefused,
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
