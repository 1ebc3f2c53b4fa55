"""Mutations of the points marketplace: rewards offered and restocked, redemptions."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import require_key
from schema.core.inputs import given
from schema.market.inputs import (
    CancelRedemptionInput,
    CreateRewardInput,
    FulfilRedemptionInput,
    RedeemRewardInput,
    RestockRewardInput,
    UpdateRewardInput,
)
from schema.market.payloads import (
    CancelRedemptionResult,
    CancelRedemptionSuccess,
    CreateRewardResult,
    CreateRewardSuccess,
    FulfilRedemptionResult,
    FulfilRedemptionSuccess,
    RedeemRewardResult,
    RedeemRewardSuccess,
    RestockRewardResult,
    RestockRewardSuccess,
    UpdateRewardResult,
    UpdateRewardSuccess,
)
from schema.market.types import Redemption, Reward
from services import market


def _new_reward(input: CreateRewardInput) -> market.RewardInput:
    """A new reward's fields (stock and provider are passed on their own)."""
    return market.RewardInput(
        name=input.name,
        description=input.description,
        category=input.category,
        price_points=input.price_points,
        per_person_limit=input.per_person_limit,
        pickup_location=input.pickup_location,
        available_from=input.available_from,
        available_until=input.available_until,
    )


def _unit_key(global_id: relay.GlobalID | None) -> int | None:
    """The provider unit's key (None: the community gives the reward)."""
    if global_id is None:
        return None
    return require_key(global_id, "PartnerUnit", "providerUnitId")


@strawberry.type
class MarketMutation:
    @strawberry.mutation(description="Offer a reward (community admins, partner members).")
    async def create_reward(
        self, info: Info, input: Annotated[CreateRewardInput, MUTATION_INPUT]
    ) -> CreateRewardResult:
        reward = await market.create_reward(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            stock=input.stock,
            data=_new_reward(input),
            provider_unit_id=_unit_key(input.provider_unit_id),
            provider_name=input.provider_name,
        )
        return CreateRewardSuccess(reward=Reward.from_model(reward))

    @strawberry.mutation(description="Change a reward (its provider or an admin of its area).")
    async def update_reward(
        self, info: Info, input: Annotated[UpdateRewardInput, MUTATION_INPUT]
    ) -> UpdateRewardResult:
        changes = given(input, exclude=("reward_id",))
        if "provider_unit_id" in changes:
            changes["provider_unit_id"] = _unit_key(changes["provider_unit_id"])
        reward = await market.update_reward(
            actor=info.context.actor,
            reward_id=require_key(input.reward_id, "Reward", "rewardId"),
            changes=changes,
        )
        return UpdateRewardSuccess(reward=Reward.from_model(reward))

    @strawberry.mutation(
        description="Add stock (its provider or an admin of its area); a reward stocked from "
        "a unit's resource draws from that resource (its unit's managers)."
    )
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
