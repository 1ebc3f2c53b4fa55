"""Inputs of the marketplace's mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from schema.core.arguments import IDEMPOTENCY_KEY
from schema.core.ids import id_field
from services.enums import RewardCategory


@strawberry.input(description="Offer a reward in a community's marketplace.")
class CreateRewardInput:
    area_id: relay.GlobalID = id_field("Area", description="A community or one of its grids.")
    name: str = strawberry.field(description="What it is (1-100 characters).")
    description: str = strawberry.field(default="", description="Details.")
    category: RewardCategory = strawberry.field(description="Kind of reward.")
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
    provider_unit_id: relay.GlobalID | None = id_field(
        "PartnerUnit",
        default=None,
        description="The partner unit (共建单位) giving it, an approved unit of the community: "
        "its members see and hand over the redemptions. Partner members give their own unit "
        "(required for them); admins any unit of the community, or absent: the community "
        "gives it.",
    )
    provider_name: str | None = strawberry.field(
        default=None,
        description="The partner unit giving it, by its exact name: the approved unit of the "
        "community with that name that you may post for (none or several: an InvalidInput on "
        "`providerName`; with providerUnitId, both must name the same unit).",
        deprecation_reason="Use providerUnitId.",
    )


@strawberry.input(
    description="Change a reward: absent fields stay; null clears the limit or a window end. "
    "Stock changes through restockReward and redemptions only."
)
class UpdateRewardInput:
    reward_id: relay.GlobalID = id_field("Reward", description="The reward.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    description: str | None = strawberry.field(default=strawberry.UNSET, description="Details.")
    category: RewardCategory | None = strawberry.field(
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
    provider_unit_id: relay.GlobalID | None = id_field(
        "PartnerUnit",
        default=strawberry.UNSET,
        description="Give it in a partner unit's name (its members, or an admin of the "
        "community; its members then hand it over); null: the community gives it (admins). "
        "A reward stocked from a unit's resource stays that unit's.",
    )


@strawberry.input(
    description="Add items to a reward's stock; a reward stocked from a unit's resource draws "
    "them from that resource (its unit's managers)."
)
class RestockRewardInput:
    reward_id: relay.GlobalID = id_field("Reward", description="The reward.")
    quantity: int = strawberry.field(description="Items to add (1-1,000,000).")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.input(description="Redeem a reward with points.")
class RedeemRewardInput:
    reward_id: relay.GlobalID = id_field("Reward", description="The reward.")
    quantity: int = strawberry.field(default=1, description="Items (at least 1).")
    idempotency_key: str = strawberry.field(description=IDEMPOTENCY_KEY)


@strawberry.input(description="Hand over a redemption (provider or station staff).")
class FulfilRedemptionInput:
    pickup_code: str = strawberry.field(description="The code the resident shows.")


@strawberry.input(description="Cancel a held redemption (the redeemer, provider or an admin).")
class CancelRedemptionInput:
    redemption_id: relay.GlobalID = id_field("Redemption", description="The redemption.")
