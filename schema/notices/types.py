"""GraphQL types of notices (政策传达): the notice, its coverage and its acknowledgements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

import schema.notices.enums  # noqa: F401  (registers the enum annotated below)
from schema.core.context import Info
from schema.core.ids import id_argument, node_key
from schema.core.pagination import After, Before, Connection, First, Last, page_window
from schema.grids import Area
from schema.people import Person
from schema.points import PointsAward
from services import notices
from services.enums import RelayChannel, Role

if TYPE_CHECKING:
    from schema.households import Household
    from services.models import notices as models


@strawberry.type(
    description="A household told of a notice by a leader or central household: who, how and "
    "when (the first time it was told)."
)
class NoticeRelay:
    channel: RelayChannel = strawberry.field(description="How.")
    relayed_at: datetime = strawberry.field(description="When.")
    household_id: strawberry.Private[int]
    relayed_by_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: models.NoticeRelay) -> NoticeRelay:
        return cls(
            channel=r.channel,
            relayed_at=r.relayed_at,
            household_id=r.household_id,
            relayed_by_id=r.relayed_by_id,
        )

    @strawberry.field(description="The household told (null when hidden from you).")
    async def household(
        self, info: Info
    ) -> Annotated[Household, strawberry.lazy("schema.households")] | None:
        from schema.households import Household

        found = await info.context.loaders.household.load(self.household_id)
        return Household.from_model(found) if found else None

    @strawberry.field(description="Who told it (null when hidden from you).")
    async def relayed_by(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.relayed_by_id)
        return Person.from_view(view) if view else None


@strawberry.type(
    description="How far a notice got in one area: recipients, acknowledgements and "
    "households reached."
)
class NoticeAreaCoverage:
    area_id: strawberry.Private[int]
    recipients: int = strawberry.field(
        description="Micro-grid leaders and central households it was delivered to here."
    )
    acknowledged: int = strawberry.field(description="How many of them acknowledged it.")
    share: float | None = strawberry.field(
        description="acknowledged / recipients, 0-1 (null without recipients)."
    )
    households_reached: int = strawberry.field(
        description="Households here told of it by their leader or central household "
        "(入户/电话/微信群, see recordNoticeRelay)."
    )

    @classmethod
    def from_figure(cls, f: notices.AreaCoverage) -> NoticeAreaCoverage:
        return cls(
            area_id=f.area_id,
            recipients=f.recipients,
            acknowledged=f.acknowledged,
            share=f.share,
            households_reached=f.households_reached,
        )

    @strawberry.field(description="The area.")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)


@strawberry.type(
    description="Acknowledgement coverage of a notice under an area: overall, and per child "
    "area (its grids, or its micro-grids), so lagging areas stand out."
)
class NoticeCoverage:
    under: NoticeAreaCoverage = strawberry.field(description="The area as a whole.")
    areas: list[NoticeAreaCoverage] = strawberry.field(
        description="Each child area of it, by id (empty under a micro-grid)."
    )

    @classmethod
    def from_figure(cls, f: notices.NoticeCoverage) -> NoticeCoverage:
        return cls(
            under=NoticeAreaCoverage.from_figure(f.under),
            areas=[NoticeAreaCoverage.from_figure(a) for a in f.areas],
        )


@strawberry.type(description="A recipient's acknowledgement of a notice (传达回执).")
class NoticeAcknowledgement:
    acknowledged_at: datetime = strawberry.field(description="When it was acknowledged.")
    person_id: strawberry.Private[int]
    area_id: strawberry.Private[int]
    award_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, a: models.NoticeAcknowledgement) -> NoticeAcknowledgement:
        return cls(
            acknowledged_at=a.acknowledged_at,
            person_id=a.person_id,
            area_id=a.area_id,
            award_id=a.award_id,
        )

    @strawberry.field(description="Who acknowledged it (null outside the viewer's scope).")
    async def person(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None

    @strawberry.field(description="The area of their role (a micro-grid).")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(
        description="The NOTICE_RELAYED award it earned (null: none, e.g. the rule's daily "
        "cap was reached, or not visible to the viewer)."
    )
    async def award(self, info: Info) -> PointsAward | None:
        if self.award_id is None:
            return None
        found = await info.context.loaders.points_award.load(self.award_id)
        return PointsAward.from_model(found) if found else None


@strawberry.type(
    description="A notice (政策传达) published by an admin or grid leader to an area and "
    "everything under it, to everyone there or to chosen roles. Micro-grid leaders and "
    "central households acknowledge it (and relay it to their households), which earns "
    "NOTICE_RELAYED points (policy communication)."
)
class Notice(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Title (1-100 characters).")
    body: str = strawberry.field(description="Text (1-5000 characters).")
    roles: list[Role] = strawberry.field(
        description="The roles it is addressed to; empty: everyone in the area."
    )
    published_at: datetime = strawberry.field(description="When it was published.")
    recipient_count: int = strawberry.field(
        description="Micro-grid leaders and central households it was delivered to (fixed at "
        "publication)."
    )
    area_id: strawberry.Private[int]
    area_path: strawberry.Private[str]
    publisher_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, n: models.Notice) -> Notice:
        return cls(
            id=n.id,
            title=n.title,
            body=n.body,
            roles=[Role(r) for r in n.roles],
            published_at=n.published_at,
            recipient_count=n.recipient_count,
            area_id=n.area_id,
            area_path=n.area_path,
            publisher_id=n.publisher_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Notice | None]:
        found = await info.context.loaders.notice.load_many([int(i) for i in node_ids])
        return [cls.from_model(n) if n else None for n in found]

    @strawberry.field(description="The area it was published to.")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="Who published it (the name is published with the notice).")
    async def publisher(self, info: Info) -> Person | None:
        found = await info.context.loaders.holder.load(self.publisher_id)
        return Person.from_model(found, full=None) if found else None

    @strawberry.field(description="How many recipients acknowledged it.")
    async def acknowledged_count(self, info: Info) -> int:
        return int(await info.context.loaders.notice_acknowledged_count.load(self.id))

    @strawberry.field(
        description="Acknowledgement coverage under an area, overall and per child area. "
        "Without `under`: the notice's area for its admins and leaders and those above, the "
        "part an admin or leader below it runs, null for everyone else."
    )
    async def coverage(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument(
                "Area", description="An area in the notice's subtree that you administer or lead."
            ),
        ] = None,
    ) -> NoticeCoverage | None:
        key = notices.CoverageKey(self.id, self.area_path, node_key(under, "Area", "under"))
        figure = await info.context.loaders.notice_coverage.load(key)
        return NoticeCoverage.from_figure(figure) if figure else None

    async def _receipt(self, info: Info) -> notices.Receipt:
        receipt: notices.Receipt = await info.context.loaders.notice_receipt.load(self.id)
        return receipt

    @strawberry.field(
        description="It was delivered to the viewer to acknowledge (as a micro-grid leader or "
        "central household)."
    )
    async def delivered_to_me(self, info: Info) -> bool:
        return (await self._receipt(info)).delivered

    @strawberry.field(description="The viewer has acknowledged it.")
    async def acknowledged_by_me(self, info: Info) -> bool:
        return (await self._receipt(info)).acknowledged_at is not None

    @strawberry.field(description="When the viewer acknowledged it (null: not yet, or not theirs).")
    async def my_acknowledged_at(self, info: Info) -> datetime | None:
        return (await self._receipt(info)).acknowledged_at

    @strawberry.field(
        description="Who acknowledged it, oldest first: all of them for the admins and leaders "
        "at or above its area, those in their own areas for admins and leaders below it "
        "(null with a FORBIDDEN error for everyone else)."
    )
    async def acknowledgements(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[NoticeAcknowledgement] | None:
        window = page_window(info, first, after, last, before)
        # Batched: a page of notices reads all their acknowledgements in one statement.
        page = await info.context.loaders.notice_acknowledgements.load(
            notices.AcknowledgementsKey(self.id, self.area_path, window)
        )
        return Connection.build(page, NoticeAcknowledgement.from_model)
