"""Partner units (共建单位) and their members."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.grids import Area
from schema.market import Redemption, Reward
from schema.people import Person
from services import partners
from services.enums import (
    PartnerUnitKind,
    PartnerUnitStatus,
    RedemptionStatus,
)
from services.partners.lists import UNIT_RESOURCES_LIMIT
from services.partners.stocking import UNIT_REWARDS_LIMIT

if TYPE_CHECKING:
    from schema.partners.types.lists import ResourceOffer
    from services.models import partners as models


@strawberry.type(description="A person working for a partner unit.")
class PartnerMember:
    manager: bool = strawberry.field(description="Acts for the unit (lists, matches, members).")
    joined_at: datetime = strawberry.field(description="When they joined.")
    left_at: datetime | None = strawberry.field(
        description="When they left or were removed (null: they work for the unit now)."
    )
    person_id: strawberry.Private[int]
    home_community_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, m: models.PartnerMember) -> PartnerMember:
        return cls(
            manager=m.manager,
            joined_at=m.joined_at,
            left_at=m.left_at,
            person_id=m.person_id,
            home_community_id=m.home_community_id,
        )

    @strawberry.field(description="The person (null if the viewer may not see them).")
    async def person(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None

    @strawberry.field(
        description="A party member also reports individually (双报到) to the community where "
        "they live: that community (null for others and people without a home on record)."
    )
    async def home_community(self, info: Info) -> Area | None:
        if self.home_community_id is None:
            return None
        # Where someone lives is shown only to those who see the person in full.
        view = await info.context.loaders.person.load(self.person_id)
        if view is None or not view.full:
            return None
        return await Area.load(info, self.home_community_id)


@strawberry.type(
    description="A partner unit (共建单位) that reports to a community (双报到). Approved units "
    "are known to every signed-in user; pending and rejected ones to the community's admins "
    "and their own members."
)
class PartnerUnit(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Its name.")
    kind: PartnerUnitKind = strawberry.field(description="Kind of unit.")
    status: PartnerUnitStatus = strawberry.field(description="Registration status.")
    address: str = strawberry.field(description="Where it is.")
    phone: str | None = strawberry.field(description="Contact phone.")
    description: str = strawberry.field(description="What it does.")
    review_reason: str | None = strawberry.field(description="The reviewer's reason.")
    reviewed_at: datetime | None = strawberry.field(description="When it was reviewed.")
    created_at: datetime = strawberry.field(description="When it registered.")
    community_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, u: models.PartnerUnit) -> PartnerUnit:
        return cls(
            id=u.id,
            name=u.name,
            kind=u.kind,
            status=u.status,
            address=u.address,
            phone=u.phone,
            description=u.description,
            review_reason=u.review_reason,
            reviewed_at=u.reviewed_at,
            created_at=u.created_at,
            community_id=u.community_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PartnerUnit | None]:
        found = await info.context.loaders.partner_unit.load_many([int(i) for i in node_ids])
        return [cls.from_model(u) if u else None for u in found]

    @strawberry.field(description="The community it reports to.")
    async def community(self, info: Info) -> Area:
        return await Area.load(info, self.community_id)

    @strawberry.field(description="Its current members, managers first.")
    async def members(self, info: Info) -> list[PartnerMember]:
        found = await info.context.loaders.unit_members.load(self.id)
        return [PartnerMember.from_model(m) for m in found]

    @strawberry.field(
        description="Its resource list (资源清单), newest first (the latest "
        f"{UNIT_RESOURCES_LIMIT})."
    )
    async def resource_offers(
        self, info: Info
    ) -> list[Annotated[ResourceOffer, strawberry.lazy("schema.partners.types.lists")]]:
        from schema.partners.types.lists import ResourceOffer  # lists import this module

        found = await info.context.loaders.unit_resources.load(self.id)
        return [ResourceOffer.from_model(r) for r in found]

    @strawberry.field(
        description="Rewards it provides in the points marketplace, newest first (the latest "
        f"{UNIT_REWARDS_LIMIT})."
    )
    async def rewards(self, info: Info) -> list[Reward]:
        found = await info.context.loaders.unit_rewards.load(self.id)
        return [Reward.from_model(r) for r in found]

    @strawberry.field(
        description="Redemptions of its rewards, newest first: its members hand them over "
        "(fulfilRedemption). For its members and the community's admins."
    )
    async def redemptions(
        self,
        info: Info,
        status: Annotated[
            RedemptionStatus | None,
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Redemption]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: partners.unit_redemptions(
                actor=info.context.actor, unit_id=self.id, status=status, window=window
            ),
            Redemption.from_model,
        )
