"""Results of the marketplace's mutations: the success types and the result unions."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidInput,
    LimitExceeded,
    NotFound,
    OutOfStock,
    RewardUnavailable,
    Unauthenticated,
    UserErrors,
)
from schema.market.types import Redemption, Reward


@strawberry.type(description="The reward is on offer.")
class CreateRewardSuccess:
    reward: Reward = strawberry.field(description="The new reward.")


CreateRewardResult = Annotated[
    CreateRewardSuccess | UserErrors | Conflict,
    strawberry.union("CreateRewardResult", description="The reward or why not."),
]


@strawberry.type(description="The reward was changed.")
class UpdateRewardSuccess:
    reward: Reward = strawberry.field(description="The reward as it is now.")


UpdateRewardResult = Annotated[
    UpdateRewardSuccess | UserErrors | Conflict,
    strawberry.union("UpdateRewardResult", description="The reward or why not."),
]


@strawberry.type(description="The stock was increased.")
class RestockRewardSuccess:
    reward: Reward = strawberry.field(description="The reward with its new stock.")


RestockRewardResult = Annotated[
    RestockRewardSuccess | UserErrors | IdempotencyConflict | OutOfStock | Conflict,
    strawberry.union("RestockRewardResult", description="The reward or why not."),
]


@strawberry.type(description="Held: pick it up with the pickup code before it expires.")
class RedeemRewardSuccess:
    redemption: Redemption = strawberry.field(description="The redemption.")


RedeemRewardResult = Annotated[
    RedeemRewardSuccess
    | InvalidInput
    | NotFound
    | Unauthenticated
    | InsufficientPoints
    | OutOfStock
    | LimitExceeded
    | RewardUnavailable
    | IdempotencyConflict,
    strawberry.union("RedeemRewardResult", description="The redemption or why not."),
]


@strawberry.type(description="Handed over: the held points were spent.")
class FulfilRedemptionSuccess:
    redemption: Redemption = strawberry.field(description="The fulfilled redemption.")


FulfilRedemptionResult = Annotated[
    FulfilRedemptionSuccess | UserErrors | Conflict,
    strawberry.union("FulfilRedemptionResult", description="The redemption or why not."),
]


@strawberry.type(description="Cancelled: points and items were released.")
class CancelRedemptionSuccess:
    redemption: Redemption = strawberry.field(description="The cancelled redemption.")


CancelRedemptionResult = Annotated[
    CancelRedemptionSuccess | UserErrors | Conflict,
    strawberry.union("CancelRedemptionResult", description="The redemption or why not."),
]
