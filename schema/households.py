"""GraphQL for households (户), their members, and central-household care links."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, Conflict, UserErrors
from schema.core.ids import id_field, require_key
from schema.core.inputs import given
from schema.geo.types import GeoPoint, GeoPointInput, point_field
from schema.grids import Area
from services import households
from services.errors import NotFound as NotFoundError

if TYPE_CHECKING:
    from schema.people import Person
    from services.models.households import CareLink as CareLinkModel
    from services.models.households import Household as HouseholdModel


@strawberry.type(
    description="A household (户), in exactly one micro-grid once assigned. Visible to the admins "
    "and leaders of its area, its members and its central household (中心户)."
)
class Household(relay.Node):
    id: relay.NodeID[int]
    number: str | None = strawberry.field(
        description="The household number (户号) imports and exports know it by: the district's "
        "own, or H and the id on 8 digits for a household registered through the API."
    )
    address: str = strawberry.field(description="Street address / residential compound.")
    building: str | None = strawberry.field(description="Building (楼/栋).")
    unit: str | None = strawberry.field(description="Unit (单元).")
    room: str | None = strawberry.field(description="Room (室).")
    longitude: strawberry.Private[float | None] = None
    latitude: strawberry.Private[float | None] = None
    position: GeoPoint | None = point_field("the household")
    member_count: int = strawberry.field(description="Number of people living there.")
    micro_grid_id: strawberry.Private[int | None]
    community_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, h: HouseholdModel) -> Household:
        return cls(
            id=h.id,
            number=h.number,
            address=h.address,
            building=h.building,
            unit=h.unit,
            room=h.room,
            longitude=h.longitude,
            latitude=h.latitude,
            member_count=h.member_count,
            micro_grid_id=h.micro_grid_id,
            community_id=h.community_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Household | None]:
        found = await info.context.loaders.household.load_many([int(i) for i in node_ids])
        return [cls.from_model(h) if h else None for h in found]

    @strawberry.field(description="The micro-grid it belongs to (null while unassigned).")
    async def micro_grid(self, info: Info) -> Area | None:
        if self.micro_grid_id is None:
            return None
        return await Area.load(info, self.micro_grid_id)

    @strawberry.field(description="The community it is registered in.")
    async def community(self, info: Info) -> Area:
        return await Area.load(info, self.community_id)

    @strawberry.field(description="The people living there.")
    async def members(
        self, info: Info
    ) -> list[Annotated[Person, strawberry.lazy("schema.people")]]:
        from schema.people import Person

        members = await info.context.loaders.members.load(self.id)
        views = await info.context.loaders.person.load_many([m.id for m in members])
        return [Person.from_view(v) for v in views if v is not None]

    @strawberry.field(
        description="Who looks after it: its central household (中心户), or the micro-grid "
        "leader it was handed to when its central household's role ended; null if nobody."
    )
    async def central_household(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        from schema.people import Person

        link = await info.context.loaders.care_link.load(self.id)
        if link is None:
            return None
        view = await info.context.loaders.person.load(link.central_id)
        return Person.from_view(view) if view else None


@strawberry.type(
    description="A care link: a household in the care of a central household (中心户), or of "
    "the micro-grid leader it was handed to when its central household's role ended."
)
class CareLink:
    since: datetime = strawberry.field(description="When this person started looking after it.")
    household_id: strawberry.Private[int]
    central_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, link: CareLinkModel) -> CareLink:
        return cls(
            since=link.created_at, household_id=link.household_id, central_id=link.central_id
        )

    @strawberry.field(description="The household looked after (null if you may not see it).")
    async def household(self, info: Info) -> Household | None:
        found = await info.context.loaders.household.load(self.household_id)
        return Household.from_model(found) if found else None

    @strawberry.field(description="Who looks after it now (null if you may not see them).")
    async def central_household(
        self, info: Info
    ) -> Annotated[Person, strawberry.lazy("schema.people")] | None:
        from schema.people import Person

        view = await info.context.loaders.person.load(self.central_id)
        return Person.from_view(view) if view else None


@strawberry.input(description="A new household in a micro-grid, or in a community until assigned.")
class CreateHouseholdInput:
    area_id: relay.GlobalID = id_field("Area", description="A micro-grid (or a community).")
    address: str = strawberry.field(description="Street address / compound.")
    building: str | None = strawberry.field(default=None, description="Building (楼/栋).")
    unit: str | None = strawberry.field(default=None, description="Unit (单元).")
    room: str | None = strawberry.field(default=None, description="Room (室).")
    member_count: int = strawberry.field(default=1, description="People living there (0-50).")
    position: GeoPointInput | None = strawberry.field(
        default=None, description="Where it is on the map, in either datum (stored in WGS-84)."
    )


@strawberry.type(description="The household was registered.")
class CreateHouseholdSuccess:
    household: Household = strawberry.field(description="The new household.")


CreateHouseholdResult = Annotated[
    CreateHouseholdSuccess | UserErrors,
    strawberry.union("CreateHouseholdResult", description="The new household or why not."),
]


@strawberry.input(description="Change a household's details: a field left out stays as it is.")
class UpdateHouseholdInput:
    household_id: relay.GlobalID = id_field("Household", description="The household.")
    position: GeoPointInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Where it is on the map, in either datum (stored in WGS-84), inside its "
        "micro-grid's boundary when that has one; null clears it.",
    )


@strawberry.type(description="The household was changed.")
class UpdateHouseholdSuccess:
    household: Household = strawberry.field(description="The household as it is now.")


UpdateHouseholdResult = Annotated[
    UpdateHouseholdSuccess | UserErrors,
    strawberry.union("UpdateHouseholdResult", description="The household or why not."),
]


@strawberry.input(description="Put a household into a micro-grid of its community.")
class AssignHouseholdInput:
    household_id: relay.GlobalID = id_field("Household", description="The household.")
    micro_grid_id: relay.GlobalID = id_field("Area", description="The micro-grid.")


@strawberry.type(description="The household now belongs to the micro-grid.")
class AssignHouseholdSuccess:
    household: Household = strawberry.field(description="The household as it is now.")


AssignHouseholdResult = Annotated[
    AssignHouseholdSuccess | UserErrors,
    strawberry.union("AssignHouseholdResult", description="The household or why not."),
]


@strawberry.input(description="Record that a person lives in a household (an approved join).")
class AddHouseholdMemberInput:
    household_id: relay.GlobalID = id_field("Household", description="The household.")
    person_id: relay.GlobalID = id_field("Person", description="The person.")


async def _household(info: Info, household_id: int) -> Household:
    found = await info.context.loaders.household.load(household_id)
    if found is None:  # the actor just changed it, so may read it; guard all the same
        raise NotFoundError("No such household.", field="householdId")
    return Household.from_model(found)


@strawberry.type(description="The person now lives in the household.")
class AddHouseholdMemberSuccess:
    person: Annotated[Person, strawberry.lazy("schema.people")] = strawberry.field(
        description="The person."
    )
    household_id: strawberry.Private[int]

    @strawberry.field(description="The household.")
    async def household(self, info: Info) -> Household:
        return await _household(info, self.household_id)


AddHouseholdMemberResult = Annotated[
    AddHouseholdMemberSuccess | UserErrors | Conflict,
    strawberry.union("AddHouseholdMemberResult", description="The change or why not."),
]


@strawberry.input(description="Put a household in the care of a central household (中心户).")
class LinkCentralHouseholdInput:
    household_id: relay.GlobalID = id_field("Household", description="The household to look after.")
    central_person_id: relay.GlobalID = id_field(
        "Person", description="A person holding CENTRAL_HOUSEHOLD in the household's micro-grid."
    )


@strawberry.type(description="The household is now looked after by that central household.")
class LinkCentralHouseholdSuccess:
    household_id: strawberry.Private[int]

    @strawberry.field(description="The household.")
    async def household(self, info: Info) -> Household:
        return await _household(info, self.household_id)


LinkCentralHouseholdResult = Annotated[
    LinkCentralHouseholdSuccess | UserErrors,
    strawberry.union("LinkCentralHouseholdResult", description="The link or why not."),
]


@strawberry.type
class HouseholdsMutation:
    @strawberry.mutation(description="Register a household (admins of the area).")
    async def create_household(
        self, info: Info, input: Annotated[CreateHouseholdInput, MUTATION_INPUT]
    ) -> CreateHouseholdResult:
        household = await households.create_household(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            address=input.address,
            building=input.building,
            unit=input.unit,
            room=input.room,
            member_count=input.member_count,
            position=input.position.to_value() if input.position else None,
        )
        return CreateHouseholdSuccess(household=Household.from_model(household))

    @strawberry.mutation(description="Change a household's details (admins of its area).")
    async def update_household(
        self, info: Info, input: Annotated[UpdateHouseholdInput, MUTATION_INPUT]
    ) -> UpdateHouseholdResult:
        changes = given(input, exclude=("household_id",))
        if "position" in changes:
            changes["position"] = input.position.to_value() if input.position else None
        household = await households.update_household(
            actor=info.context.actor,
            household_id=require_key(input.household_id, "Household", "householdId"),
            changes=changes,
        )
        return UpdateHouseholdSuccess(household=Household.from_model(household))

    @strawberry.mutation(description="Assign a household to a micro-grid (full coverage).")
    async def assign_household(
        self, info: Info, input: Annotated[AssignHouseholdInput, MUTATION_INPUT]
    ) -> AssignHouseholdResult:
        household = await households.assign_household(
            actor=info.context.actor,
            household_id=require_key(input.household_id, "Household", "householdId"),
            micro_grid_id=require_key(input.micro_grid_id, "Area", "microGridId"),
        )
        return AssignHouseholdSuccess(household=Household.from_model(household))

    @strawberry.mutation(description="Add a person to a household (admins of the area).")
    async def add_household_member(
        self, info: Info, input: Annotated[AddHouseholdMemberInput, MUTATION_INPUT]
    ) -> AddHouseholdMemberResult:
        from schema.people import Person

        household_id = require_key(input.household_id, "Household", "householdId")
        person = await households.add_member(
            actor=info.context.actor,
            household_id=household_id,
            person_id=require_key(input.person_id, "Person", "personId"),
        )
        return AddHouseholdMemberSuccess(
            person=Person.from_model(person, full=True), household_id=household_id
        )

    @strawberry.mutation(description="Link a household to its central household (中心户).")
    async def link_central_household(
        self, info: Info, input: Annotated[LinkCentralHouseholdInput, MUTATION_INPUT]
    ) -> LinkCentralHouseholdResult:
        link = await households.link_central_household(
            actor=info.context.actor,
            household_id=require_key(input.household_id, "Household", "householdId"),
            central_person_id=require_key(input.central_person_id, "Person", "centralPersonId"),
        )
        return LinkCentralHouseholdSuccess(household_id=link.household_id)
