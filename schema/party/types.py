"""GraphQL types of the party organisation: units, memberships, individual reports."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

import schema.grids.enums  # noqa: F401  (registers the enum annotated below)
from schema.core.context import Info
from schema.core.loaders import load_existing
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.grids import Area
from services import party
from services.enums import PartyUnitKind
from services.models import party as models

if TYPE_CHECKING:
    from schema.people import Person
    from services.models.people import Person as PersonModel


async def _person(
    info: Info, person_id: int
) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
    """A person as the viewer may see them (null outside the viewer's scope)."""
    from schema.people import Person

    view = await info.context.loaders.person.load(person_id)
    return Person.from_view(view) if view else None


@strawberry.type(
    description="A party unit (党组织) attached to an area of its level: district committee "
    "(区委), street working committee (街道党工委), community organisation (社区党委/总支), grid "
    "branch (网格党支部) or micro-grid group (党小组). Its name, kind, area and secretary's name "
    "are public; its members are shown to the unit and to the admins and leaders of its area. "
    "A dissolved unit is kept as history."
)
class PartyUnit(relay.Node):
    id: relay.NodeID[int]
    kind: PartyUnitKind = strawberry.field(description="Which kind of party unit (its level).")
    name: str = strawberry.field(description="Its name.")
    created_at: datetime | None = strawberry.field(
        description="When it was set up (null: before the date was kept)."
    )
    dissolved_at: datetime | None = strawberry.field(
        description="When it was dissolved (null: active)."
    )
    dissolve_reason: str | None = strawberry.field(description="Why it was dissolved.")
    area_id: strawberry.Private[int]
    secretary_id: strawberry.Private[int | None]
    secretary_text: strawberry.Private[str | None]
    model: strawberry.Private[models.PartyUnit]

    @classmethod
    def from_model(cls, unit: models.PartyUnit) -> PartyUnit:
        return cls(
            id=unit.id,
            kind=unit.kind,
            name=unit.name,
            created_at=unit.created_at,
            dissolved_at=unit.dissolved_at,
            dissolve_reason=unit.dissolve_reason,
            area_id=unit.area_id,
            secretary_id=unit.secretary_id,
            secretary_text=unit.secretary_name,
            model=unit,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PartyUnit | None]:
        # Party units are public, like the areas they belong to (members are not: see members).
        units = await info.context.loaders.party_unit.load_many([int(i) for i in node_ids])
        return [cls.from_model(u) if u else None for u in units]

    @classmethod
    async def load(cls, info: Info, unit_id: int) -> PartyUnit:
        """The unit a row belongs to, by id (there by the row's foreign key), batched."""
        return cls.from_model(await load_existing(info.context.loaders.party_unit, unit_id))

    @strawberry.field(description="The area it is attached to.")
    async def area(self, info: Info) -> Area:
        return await Area.load(info, self.area_id)

    @strawberry.field(
        description="Its secretary (书记; 组长 of a party group), a party member and a member of "
        "the unit; null when none is named or outside the viewer's scope (see secretaryName)."
    )
    async def secretary(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        if self.secretary_id is None:
            return None
        return await _person(info, self.secretary_id)

    @strawberry.field(
        description="The secretary's name (public): the person's, or the name recorded as text "
        "for a secretary not on record; null when none is known."
    )
    async def secretary_name(self, info: Info) -> str | None:
        if self.secretary_id is None:
            return self.secretary_text
        # The secretary's name is published with the unit, like a duty card's holder.
        holder: PersonModel = await load_existing(info.context.loaders.holder, self.secretary_id)
        return holder.name

    @strawberry.field(description="How many members it has now (a public aggregate).")
    async def member_count(self, info: Info) -> int:
        return int(await info.context.loaders.party_member_count.load(self.id))

    @strawberry.field(
        description="Its members, in the order they joined (a dissolved unit: those it had "
        "when dissolved): for the unit's members and the admins and leaders of its area "
        "(others get a FORBIDDEN error at this path)."
    )
    async def members(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PartyMembership]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: party.unit_members(
                actor=info.context.actor, unit=self.model, window=window
            ),
            PartyMembership.from_model,
        )


@strawberry.type(
    description="A party member's membership of a party unit, from `joinedAt` until `leftAt` "
    "(null: a member now), kept after it ends."
)
class PartyMembership(relay.Node):
    id: relay.NodeID[int]
    joined_at: datetime = strawberry.field(description="When they joined the unit.")
    left_at: datetime | None = strawberry.field(
        description="When they left (removed, or the unit dissolved); null: a member now."
    )
    leave_reason: str | None = strawberry.field(description="Why they left, if given.")
    unit_id: strawberry.Private[int]
    person_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: models.PartyMembership) -> PartyMembership:
        return cls(
            id=m.id,
            joined_at=m.joined_at,
            left_at=m.left_at,
            leave_reason=m.leave_reason,
            unit_id=m.unit_id,
            person_id=m.person_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PartyMembership | None]:
        found = await party.memberships_by_ids(
            actor=info.context.actor, membership_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(m) if m else None for m in found]

    @strawberry.field(description="The party unit.")
    async def party_unit(self, info: Info) -> PartyUnit:
        return await PartyUnit.load(info, self.unit_id)

    @strawberry.field(description="The party member (null outside the viewer's scope).")
    async def person(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        return await _person(info, self.person_id)


@strawberry.type(
    description="A party member's individual report (个人双报到) to the community where they "
    "live, to serve there. Shown to the member and to the admins of the community."
)
class PartyMemberReport(relay.Node):
    id: relay.NodeID[int]
    reported_at: datetime = strawberry.field(description="When they reported (service clock).")
    ended_at: datetime | None = strawberry.field(
        description="When it ended: they reported to another community after a move (null: "
        "current)."
    )
    person_id: strawberry.Private[int]
    community_id: strawberry.Private[int]
    recorded_by_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: models.PartyMemberReport) -> PartyMemberReport:
        return cls(
            id=r.id,
            reported_at=r.reported_at,
            ended_at=r.ended_at,
            person_id=r.person_id,
            community_id=r.community_id,
            recorded_by_id=r.recorded_by_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PartyMemberReport | None]:
        found = await party.reports_by_ids(
            actor=info.context.actor, report_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(r) if r else None for r in found]

    @strawberry.field(description="The party member (null outside the viewer's scope).")
    async def person(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        return await _person(info, self.person_id)

    @strawberry.field(description="The community they reported to.")
    async def community(self, info: Info) -> Area:
        return await Area.load(info, self.community_id)

    @strawberry.field(
        description="Who recorded it: the member, or an admin of the community (null outside "
        "the viewer's scope)."
    )
    async def recorded_by(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        return await _person(info, self.recorded_by_id)
