"""Queries and mutations of the points marketplace."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay

from schema.core.arguments import IDEMPOTENCY_KEY
from schema.core.context import Info
from schema.core.errors import (
    MUTATION_INPUT,
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidInput,
    LimitExceeded,
    NotFound,
    OutOfStock,
    RewardUnavailable,
    Unauthenticated,
)
from schema.core.ids import area_key, id_argument, id_field, require_key
from schema.core.pagination import After, Connection, First, page_args
from schema.market.types import Redemption, Reward, RewardCategory
from services import market

_REWARD_FIELDS = (
    "name",
    "description",
    "category",
    "price_points",
    "per_person_limit",
    "pickup_location",
    "available_from",
    "available_until",
    "active",
)
# Fields an explicit null clears in updateReward.
_CLEARABLE = ("per_person_limit", "available_from", "available_until")


def _reward_input(input: Any) -> tuple[market.RewardInput, set[str]]:
    values = {
        name: None if getattr(input, name, None) is strawberry.UNSET else getattr(input, name, None)
        for name in _REWARD_FIELDS
    }
    clear = {name for name in _CLEARABLE if getattr(input, name, strawberry.UNSET) is None}
    return market.RewardInput(**values), clear


@strawberry.input(description="Offer a reward in a community's marketplace.")
class CreateRewardInput:
    area_id: relay.GlobalID = id_field("Area", description="A community or one of its grids.")
    name: str = strawberry.field(description="What it is (1-100 characters).")
    description: str = strawberry.field(default="", description="Details.")
    category: RewardCategory = strawberry.field(description="Kind of reward.")  # type: ignore[valid-type]
    price_points: int = strawberry.field(description="Points per item (1-1,000,000).")
    stock: int = strawberry.field(description="Items available (0-1,000,000).")
    per_person_limit: int | None = strawberry.field(
        default=None, description="Most items per person (absent: no limit)."
    )
    pickup_location: str = strawberry.field(default="", description="Where to pick it up.")
    available_from: datetime | None = strawberry.field(
        default=None, description="Redeemable from (with offset)."
    )
    available_until: datetime | None = strawberry.field(
        default=None, description="Redeemable until (with offset)."
    )
    provider_name: str | None = strawberry.field(
        default=None,
        description="The partner unit giving it (partner members must name their unit; "
        "absent for an admin: the community gives it).",
    )


@strawberry.type(description="The reward is on offer.")
class CreateRewardSuccess:
    reward: Reward = strawberry.field(description="The new reward.")


CreateRewardResult = Annotated[
    CreateRewardSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated,
    strawberry.union("CreateRewardResult", description="The reward or why not."),
]


@strawberry.input(
    description="Change a reward: absent fields stay; null clears the limit or a window end. "
    "Stock changes through restockReward and redemptions only."
)
class UpdateRewardInput:
    reward_id: relay.GlobalID = id_field("Reward", description="The reward.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Details.")
    category: RewardCategory | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET, description="Kind."
    )
    price_points: int | None = strawberry.field(
        default=strawberry.UNSET, description="Points per item (later redemptions)."
    )
    per_person_limit: int | None = strawberry.field(
        default=strawberry.UNSET, description="Per-person limit (null: none)."
    )
    pickup_location: str | None = strawberry.field(
        default=strawberry.UNSET, description="Pickup place."
    )
    available_from: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Redeemable from (null: now)."
    )
    available_until: datetime | None = strawberry.field(
        default=strawberry.UNSET, description="Redeemable until (null: open-ended)."
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET, description="False withdraws it (held redemptions stay)."
    )


@strawberry.type(description="The reward was changed.")
class UpdateRewardSuccess:
    reward: Reward = strawberry.field(description="The reward as it is now.")


UpdateRewardResult = Annotated[
    UpdateRewardSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated,
    strawberry.union("UpdateRewardResult", description="The reward or why not."),
]


@strawberry.input(description="Add items to a reward's stock.")
class RestockRewardInput:
    reward_id: relay.GlobalID = id_field("Reward", description="The reward.")
    quantity: int = strawberry.field(description="Items to add (1-1,000,000).")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.type(description="The stock was increased.")
class RestockRewardSuccess:
    reward: Reward = strawberry.field(description="The reward with its new stock.")


RestockRewardResult = Annotated[
    RestockRewardSuccess
    | InvalidInput
    | NotFound
    | Forbidden
    | Unauthenticated
    | IdempotencyConflict,
    strawberry.union("RestockRewardResult", description="The reward or why not."),
]


@strawberry.input(description="Redeem a reward with points.")
class RedeemRewardInput:
    reward_id: relay.GlobalID = id_field("Reward", description="The reward.")
    quantity: int = strawberry.field(default=1, description="Items (at least 1).")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


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


@strawberry.input(description="Hand over a redemption (provider or station staff).")
class FulfilRedemptionInput:
    pickup_code: str = strawberry.field(description="The code the resident shows.")


@strawberry.type(description="Handed over: the held points were spent.")
class FulfilRedemptionSuccess:
    redemption: Redemption = strawberry.field(description="The fulfilled redemption.")


FulfilRedemptionResult = Annotated[
    FulfilRedemptionSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("FulfilRedemptionResult", description="The redemption or why not."),
]


@strawberry.input(description="Cancel a held redemption (the redeemer, provider or an admin).")
class CancelRedemptionInput:
    redemption_id: relay.GlobalID = id_field("Redemption", description="The redemption.")


@strawberry.type(description="Cancelled: points and items were released.")
class CancelRedemptionSuccess:
    redemption: Redemption = strawberry.field(description="The cancelled redemption.")


CancelRedemptionResult = Annotated[
    CancelRedemptionSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("CancelRedemptionResult", description="The redemption or why not."),
]


@strawberry.type
class MarketQuery:
    @strawberry.field(description="The marketplace catalogue under an area (anyone may browse).")
    async def rewards(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area; the whole district when omitted."),
        ] = None,
        category: Annotated[
            RewardCategory | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only this category."),
        ] = None,
        available_only: Annotated[
            bool,
            strawberry.argument(description="Only active, in stock and inside their window."),
        ] = False,
        first: First = None,
        after: After = None,
    ) -> Connection[Reward]:
        size, key = page_args(info, first, after)
        page = await market.list_rewards(
            under_id=area_key(under, "under"),
            category=category,
            available_only=available_only,
            first=size,
            after=key,
        )
        return Connection.build(page, Reward.from_model)


@strawberry.type
class MarketMutation:
    @strawberry.mutation(description="Offer a reward (community admins, partner members).")
    async def create_reward(
        self, info: Info, input: Annotated[CreateRewardInput, MUTATION_INPUT]
    ) -> CreateRewardResult:
        data, _ = _reward_input(input)
        reward = await market.create_reward(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            stock=input.stock,
            data=data,
            provider_name=input.provider_name,
        )
        return CreateRewardSuccess(reward=Reward.from_model(reward))

    @strawberry.mutation(description="Change a reward (its provider or an admin of its area).")
    async def update_reward(
        self, info: Info, input: Annotated[UpdateRewardInput, MUTATION_INPUT]
    ) -> UpdateRewardResult:
        data, clear = _reward_input(input)
        reward = await market.update_reward(
            actor=info.context.actor,
            reward_id=require_key(input.reward_id, "Reward", "rewardId"),
            data=data,
            clear=clear,
        )
        return UpdateRewardSuccess(reward=Reward.from_model(reward))

    @strawberry.mutation(description="Add stock (its provider or an admin of its area).")
    async def restock_reward(
        self, info: Info, input: Annotated[RestockRewardInput, MUTATION_INPUT]
    ) -> RestockRewardResult:
        reward = await market.restock_reward(
            actor=info.context.actor,
            reward_id=require_key(input.reward_id, "Reward", "rewardId"),
            quantity=input.quantity,
            idempotency_key=input.idempotency_key,
        )
        return RestockRewardSuccess(reward=Reward.from_model(reward))

    @strawberry.mutation(description="Redeem a reward: points and items are held until pickup.")
    async def redeem_reward(
        self, info: Info, input: Annotated[RedeemRewardInput, MUTATION_INPUT]
    ) -> RedeemRewardResult:
        redemption = await market.redeem(
            actor=info.context.actor,
            reward_id=require_key(input.reward_id, "Reward", "rewardId"),
            quantity=input.quantity,
            idempotency_key=input.idempotency_key,
        )
        return RedeemRewardSuccess(redemption=Redemption.from_model(redemption))

    @strawberry.mutation(description="Hand over a redemption by its pickup code.")
    async def fulfil_redemption(
        self, info: Info, input: Annotated[FulfilRedemptionInput, MUTATION_INPUT]
    ) -> FulfilRedemptionResult:
        redemption = await market.fulfil(actor=info.context.actor, pickup_code=input.pickup_code)
        return FulfilRedemptionSuccess(redemption=Redemption.from_model(redemption))

    @strawberry.mutation(description="Cancel a held redemption: points and items are released.")
    async def cancel_redemption(
        self, info: Info, input: Annotated[CancelRedemptionInput, MUTATION_INPUT]
    ) -> CancelRedemptionResult:
        redemption = await market.cancel(
            actor=info.context.actor,
            redemption_id=require_key(input.redemption_id, "Redemption", "redemptionId"),
        )
        return CancelRedemptionSuccess(redemption=Redemption.from_model(redemption))
