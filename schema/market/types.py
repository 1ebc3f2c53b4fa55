"""GraphQL types of the points marketplace (积分超市): rewards and redemptions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.loaders import load_existing
from schema.grids import Area
from schema.people import Person
from services import market
from services.enums import ProviderKind, RedemptionStatus, RewardCategory

if TYPE_CHECKING:
    from schema.partners import PartnerUnit
    from services.models import market as models


@strawberry.type(description="Who gives a reward and receives the points spent on it.")
class RewardProvider:
    kind: ProviderKind = strawberry.field(description="Community or partner unit.")
    name: str = strawberry.field(
        description="Its name (for a partner unit, as when the reward was given; kept as "
        "written for rewards posted before providers were units and matching none)."
    )
    unit_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The partner unit (共建单位) giving it, whose members see and hand over its "
        "redemptions (null: the community gives it, or a provider known by name only, or a "
        "unit the viewer may not see)."
    )
    async def unit(
        self, info: Info
    ) -> Annotated[PartnerUnit, strawberry.lazy("schema.partners")] | None:
        from schema.partners import PartnerUnit  # partners import this module

        if self.unit_id is None:
            return None
        found = await info.context.loaders.partner_unit.load(self.unit_id)
        return PartnerUnit.from_model(found) if found else None


@strawberry.type(
    description="A reward in a community's points marketplace (积分超市). Anyone may browse."
)
class Reward(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="What it is.")
    description: str = strawberry.field(description="Details.")
    category: RewardCategory = strawberry.field(description="Kind of reward.")
    price_points: int = strawberry.field(description="Points per item.")
    stock: int = strawberry.field(description="Items left to redeem.")
    per_person_limit: int | None = strawberry.field(
        description="Most items one person may redeem (null: no limit)."
    )
    provider: RewardProvider = strawberry.field(description="Who gives it.")
    pickup_location: str = strawberry.field(description="Where to pick it up.")
    available_from: datetime | None = strawberry.field(description="Redeemable from.")
    available_until: datetime | None = strawberry.field(description="Redeemable until.")
    active: bool = strawberry.field(description="False when withdrawn by its provider.")
    area_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: models.Reward) -> Reward:
        return cls(
            id=r.id,
            name=r.name,
            description=r.description,
            category=r.category,
            price_points=r.price_points,
            stock=r.stock,
            per_person_limit=r.per_person_limit,
            provider=RewardProvider(
                kind=r.provider_kind, name=r.provider_name, unit_id=r.partner_unit_id
            ),
            pickup_location=r.pickup_location,
            available_from=r.available_from,
            available_until=r.available_until,
            active=r.active,
            area_id=r.area_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Reward | None]:
        found = await info.context.loaders.reward.load_many([int(i) for i in node_ids])
        return [cls.from_model(r) if r else None for r in found]

    @strawberry.field(description="The community or grid offering it.")
    async def area(self, info: Info) -> Area:
        return await Area.load(info, self.area_id)


@strawberry.type(
    description="A redemption: the points and items are held until pickup with a unique, "
    "unguessable code; the provider or the station hands it over (FULFILLED), or it is "
    "cancelled or expires and everything is released."
)
class Redemption(relay.Node):
    id: relay.NodeID[int]
    status: RedemptionStatus = strawberry.field(description="Where it stands.")
    quantity: int = strawberry.field(description="Items.")
    points_spent: int = strawberry.field(description="Points held, then spent at pickup.")
    expires_at: datetime = strawberry.field(description="Pick up before this, or it expires.")
    created_at: datetime = strawberry.field(description="When it was made.")
    closed_at: datetime | None = strawberry.field(
        description="When it was fulfilled, cancelled or expired."
    )
    code: strawberry.Private[str]
    person_id: strawberry.Private[int]
    reward_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: models.Redemption) -> Redemption:
        return cls(
            id=r.id,
            status=r.status,
            quantity=r.quantity,
            points_spent=r.points_spent,
            expires_at=r.expires_at,
            created_at=r.created_at,
            closed_at=r.closed_at,
            code=r.pickup_code,
            person_id=r.person_id,
            reward_id=r.reward_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Redemption | None]:
        found = await market.redemptions_by_ids(
            actor=info.context.actor, redemption_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(r) if r else None for r in found]

    @strawberry.field(description="Show this at pickup; only the redeemer sees it.")
    def pickup_code(self, info: Info) -> str | None:
        return self.code if market.shows_pickup_code(info.context.actor, self.person_id) else None

    @strawberry.field(description="The reward.")
    async def reward(self, info: Info) -> Reward:
        return Reward.from_model(await load_existing(info.context.loaders.reward, self.reward_id))

    @strawberry.field(description="Who redeemed it (null if the viewer may not see them).")
    async def person(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None
