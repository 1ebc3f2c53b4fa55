"""GraphQL types of people: persons, role assignments, duty cards (便民服务牌)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

import schema.people.enums  # noqa: F401  (registers the enum annotated below)
from schema.core.context import Info
from schema.core.loaders import load_existing
from schema.grids import Area
from services import grids, people
from services.enums import ROLE_DUTIES, Role
from services.evaluation.results import HONOURS_LIMIT
from services.people.roles import ROLE_HISTORY_LIMIT

if TYPE_CHECKING:
    from schema.evaluation import Honour
    from schema.households import Household
    from schema.party import PartyMemberReport, PartyMembership
    from services.models.people import Person as PersonModel
    from services.models.people import RoleAssignment as RoleAssignmentModel


@strawberry.type(
    description="A person. Anyone may see the name and roles of a duty-role holder; phone, "
    "household and role history only the person, their household, their central household "
    "and the admins and leaders of their area."
)
class Person(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Full name.")
    party_member: bool = strawberry.field(description="Party member (党员).")
    # True: the viewer may see everything; False: name and roles only; None: not checked yet
    # (a public duty-role holder reached through a role assignment), decided on first need.
    full: strawberry.Private[bool | None]
    phone_number: strawberry.Private[str | None]
    household_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, p: PersonModel | people.HolderPerson, *, full: bool | None) -> Person:
        return cls(
            id=p.id,
            name=p.name,
            party_member=p.party_member,
            full=full,
            phone_number=p.phone,
            household_id=p.household_id,
        )

    @classmethod
    def from_view(cls, view: people.PersonView) -> Person:
        return cls.from_model(view.person, full=view.full)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Person | None]:
        views = await info.context.loaders.person.load_many([int(i) for i in node_ids])
        return [cls.from_view(v) if v else None for v in views]

    async def _sees_all(self, info: Info) -> bool:
        if self.full is None:
            view = await info.context.loaders.person.load(self.id)
            self.full = bool(view and view.full)
        return self.full

    @strawberry.field(description="Phone; null outside the viewer's scope.")
    async def phone(self, info: Info) -> str | None:
        return self.phone_number if await self._sees_all(info) else None

    @strawberry.field(description="Where they live; null outside the viewer's scope.")
    async def household(
        self, info: Info
    ) -> Annotated[Household, strawberry.lazy("schema.households")] | None:
        from schema.households import Household

        if self.household_id is None or not await self._sees_all(info):
            return None
        found = await info.context.loaders.household.load(self.household_id)
        return Household.from_model(found) if found else None

    @strawberry.field(description="Roles held now.")
    async def roles(self, info: Info) -> list[RoleAssignment]:
        return [
            RoleAssignment.from_model(r) for r in await info.context.loaders.roles.load(self.id)
        ]

    @strawberry.field(
        description=f"Red-flag honours they received, newest first (the latest {HONOURS_LIMIT}; "
        "public within the community)."
    )
    async def honours(
        self, info: Info
    ) -> list[Annotated[Honour, strawberry.lazy("schema.evaluation")]]:
        from schema.evaluation import Honour

        found = await info.context.loaders.person_honours.load(self.id)
        return [Honour.from_model(h) for h in found]

    @strawberry.field(
        description="The party units (党组织) they are a member of now, one a level at most, top "
        "level first; in scope only (elsewhere empty)."
    )
    async def party_memberships(
        self, info: Info
    ) -> list[Annotated[PartyMembership, strawberry.lazy("schema.party")]]:
        from schema.party import PartyMembership

        if not await self._sees_all(info):
            return []
        found = await info.context.loaders.party_memberships.load(self.id)
        return [PartyMembership.from_model(m) for m in found]

    @strawberry.field(
        description="Their current individual report (个人双报到) to the community where they "
        "live; null when none, or outside the viewer's scope."
    )
    async def party_member_report(
        self, info: Info
    ) -> Annotated[PartyMemberReport, strawberry.lazy("schema.party")] | None:
        from schema.party import PartyMemberReport

        if not await self._sees_all(info):
            return None
        found = await info.context.loaders.party_report.load(self.id)
        return PartyMemberReport.from_model(found) if found else None

    @strawberry.field(
        description="Every role ever held, ended ones included, in the order they began (the "
        f"latest {ROLE_HISTORY_LIMIT}); in scope only."
    )
    async def role_history(self, info: Info) -> list[RoleAssignment]:
        if not await self._sees_all(info):
            return []
        history = await info.context.loaders.role_history.load(self.id)
        return [RoleAssignment.from_model(r) for r in history]


@strawberry.type(
    description="A role held at an area, from `since` until `until` (null: in office)."
)
class RoleAssignment(relay.Node):
    id: relay.NodeID[int]
    role: Role = strawberry.field(description="The role.")
    since: datetime = strawberry.field(description="In office since.")
    until: datetime | None = strawberry.field(description="Ended at (null while in office).")
    end_reason: str | None = strawberry.field(description="Why it ended (e.g. 动态退出).")
    person_id: strawberry.Private[int]
    area_id: strawberry.Private[int | None]
    # The holder, when the service already fetched it (public duty-role holders).
    holder: strawberry.Private[people.HolderPerson | None] = None
    # The area, when the service already read it (the viewer's roles); None: ask the loader.
    read_area: strawberry.Private[grids.AreaRow | None] = None

    @classmethod
    def from_model(
        cls, r: RoleAssignmentModel | people.DutyHolder | people.HeldRole
    ) -> RoleAssignment:
        """From the model, or from a service row that carries its holder (a duty-role holder)
        or its area (the viewer's roles), kept so no loader round is needed for them."""
        return cls(
            id=r.id,
            role=r.role,
            since=r.since,
            until=r.until,
            end_reason=r.end_reason,
            person_id=r.person_id,
            area_id=r.area_id,
            holder=r.person if isinstance(r, people.DutyHolder) else None,
            read_area=r.area if isinstance(r, people.HeldRole) else None,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[RoleAssignment | None]:
        found = await people.role_assignments_by_ids(
            actor=info.context.actor, assignment_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(r) if r else None for r in found]

    @strawberry.field(description="The duties that go with the role (the duty card's list).")
    def duties(self) -> str:
        return ROLE_DUTIES[self.role]

    @strawberry.field(description="Where the role is held (null for RESIDENT).")
    def area(self, info: Info) -> Area | None:
        if self.area_id is None:
            return None
        if self.read_area is not None:
            return Area.from_model(self.read_area)
        # A sync resolver may hand graphql-core an awaitable; it awaits it like an async one.
        return self._load_area(info, self.area_id)  # type: ignore[return-value]

    async def _load_area(self, info: Info, area_id: int) -> Area:
        return await Area.load(info, area_id)

    @strawberry.field(description="Who holds it (null if the viewer may not see them).")
    def person(self, info: Info) -> Person | None:
        if self.holder is not None:
            # Fetched with the assignment: answered without a loader round (no task per row).
            return Person.from_model(self.holder, full=None)
        # A sync resolver may hand graphql-core an awaitable; it awaits it like an async one.
        return self._load_person(info)  # type: ignore[return-value]

    async def _load_person(self, info: Info) -> Person | None:
        if self.until is None and self.role in people.DUTY_CARD_ROLES:
            # A duty-role holder in office is public (the duty card): one cheap lookup, and the
            # scope check only if the viewer asks for more than name and roles.
            holder = await info.context.loaders.holder.load(self.person_id)
            return Person.from_model(holder, full=None) if holder else None
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None


@strawberry.type(
    description="A duty card (便民服务牌): who serves an area, in what role, with which duties and "
    "phone. Public by design: anyone, signed in or not, may read them."
)
class DutyCard(relay.Node):
    id: relay.NodeID[int]
    role: Role = strawberry.field(description="The role.")
    person_id: strawberry.Private[int]
    area_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: RoleAssignmentModel) -> DutyCard:
        assert r.area_id is not None  # duty roles are held at an area (only RESIDENT is not)
        return cls(id=r.id, role=r.role, person_id=r.person_id, area_id=r.area_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[DutyCard | None]:
        found = await people.duty_cards_by_ids(card_ids=[int(i) for i in node_ids])
        return [cls.from_model(r) if r else None for r in found]

    async def _holder(self, info: Info) -> PersonModel:
        # a role assignment's person cannot be deleted (RESTRICT)
        holder: PersonModel = await load_existing(info.context.loaders.holder, self.person_id)
        return holder

    @strawberry.field(description="The holder's name.")
    async def name(self, info: Info) -> str:
        return (await self._holder(info)).name

    @strawberry.field(description="The holder's phone, published on the card.")
    async def phone(self, info: Info) -> str | None:
        return (await self._holder(info)).phone

    @strawberry.field(description="Party member: a party-member central household (党员中心户).")
    async def party_member(self, info: Info) -> bool:
        return (await self._holder(info)).party_member

    @strawberry.field(description="The duties of the role.")
    def duties(self) -> str:
        return ROLE_DUTIES[self.role]

    @strawberry.field(description="The area served.")
    async def area(self, info: Info) -> Area:
        return await Area.load(info, self.area_id)
