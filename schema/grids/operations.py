"""Queries and mutations of the territory."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import (
    MUTATION_INPUT,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from schema.core.ids import area_key, id_argument, id_field, require_key
from schema.core.pagination import After, Connection, First, page_args
from schema.grids.types import Area, AreaKind, AreaLevel, PartyUnit, PartyUnitKind
from services import grids
from services.enums import AreaKind as AreaKindEnum


@strawberry.input(description="A grid station's public details.")
class GridStationInput:
    name: str = strawberry.field(description="Station name.")
    address: str = strawberry.field(description="Where it is.")
    hours: str = strawberry.field(description="Opening hours.")

    def to_service(self) -> grids.StationInput:
        return grids.StationInput(name=self.name, address=self.address, hours=self.hours)


@strawberry.input(description="A new area under an existing one (levels nest strictly in order).")
class CreateAreaInput:
    parent_id: relay.GlobalID = id_field("Area", description="The area one level up.")
    name: str = strawberry.field(description="Name, unique among its siblings.")
    level: AreaLevel = strawberry.field(description="Must be one below the parent's level.")  # type: ignore[valid-type]
    kind: AreaKind = strawberry.field(  # type: ignore[valid-type]
        default=AreaKindEnum.RESIDENTIAL,
        description="Only grids can be dedicated; micro-grids take their grid's kind.",
    )
    contact_group_name: str | None = strawberry.field(default=None, description="一格一群 name.")
    contact_group_link: str | None = strawberry.field(default=None, description="一格一群 link.")
    station: GridStationInput | None = strawberry.field(default=None, description="Grids only.")


@strawberry.type(description="The area was created.")
class CreateAreaSuccess:
    area: Area = strawberry.field(description="The new area.")


CreateAreaResult = Annotated[
    CreateAreaSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("CreateAreaResult", description="The new area or why not."),
]


@strawberry.input(description="Changes to an area; omitted fields stay as they are.")
class UpdateAreaInput:
    area_id: relay.GlobalID = id_field("Area", description="The area to change.")
    name: str | None = strawberry.field(default=None, description="New name.")
    kind: AreaKind | None = strawberry.field(default=None, description="New kind (grids only).")  # type: ignore[valid-type]
    contact_group_name: str | None = strawberry.field(default=None, description="一格一群 name.")
    contact_group_link: str | None = strawberry.field(default=None, description="一格一群 link.")
    station: GridStationInput | None = strawberry.field(
        default=None, description="Set the grid station (grids only)."
    )


@strawberry.type(description="The area was changed.")
class UpdateAreaSuccess:
    area: Area = strawberry.field(description="The area as it is now.")


UpdateAreaResult = Annotated[
    UpdateAreaSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("UpdateAreaResult", description="The changed area or why not."),
]


@strawberry.input(description="A party unit for an area of the matching level.")
class CreatePartyUnitInput:
    area_id: relay.GlobalID = id_field("Area", description="Community, grid or micro-grid.")
    kind: PartyUnitKind = strawberry.field(description="Which party unit.")  # type: ignore[valid-type]
    name: str = strawberry.field(description="Its name.")
    secretary_name: str | None = strawberry.field(default=None, description="Its secretary.")


@strawberry.type(description="The party unit was created.")
class CreatePartyUnitSuccess:
    party_unit: PartyUnit = strawberry.field(description="The new party unit.")


CreatePartyUnitResult = Annotated[
    CreatePartyUnitSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("CreatePartyUnitResult", description="The new party unit or why not."),
]


@strawberry.type
class GridsQuery:
    @strawberry.field(description="Areas filtered by level, kind, subtree (`under`) and name.")
    async def areas(
        self,
        info: Info,
        level: Annotated[
            AreaLevel | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only areas of this level."),
        ] = None,
        kind: Annotated[
            AreaKind | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only areas of this kind."),
        ] = None,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Only areas in this area's subtree (itself included)."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Part of the name (at most 100 characters)."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Area]:
        size, key = page_args(info, first, after)
        page = await grids.list_areas(
            level=level,
            kind=kind,
            under_id=area_key(under, "under"),
            search=search,
            first=size,
            after=key,
        )
        connection = Connection.build(page, Area.from_model)
        await Area.read_ahead(info, page, [edge.node for edge in connection.edges])
        return connection


@strawberry.type
class GridsMutation:
    @strawberry.mutation(description="Create an area under one you administer.")
    async def create_area(
        self, info: Info, input: Annotated[CreateAreaInput, MUTATION_INPUT]
    ) -> CreateAreaResult:
        area = await grids.create_area(
            actor=info.context.actor,
            parent_id=require_key(input.parent_id, "Area", "parentId"),
            name=input.name,
            level=input.level,
            kind=input.kind,
            contact_group_name=input.contact_group_name,
            contact_group_link=input.contact_group_link,
            station=input.station.to_service() if input.station else None,
        )
        return CreateAreaSuccess(area=Area.from_model(area))

    @strawberry.mutation(description="Rename an area, change a grid's kind, station or group.")
    async def update_area(
        self, info: Info, input: Annotated[UpdateAreaInput, MUTATION_INPUT]
    ) -> UpdateAreaResult:
        area = await grids.update_area(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            name=input.name,
            kind=input.kind,
            contact_group_name=input.contact_group_name,
            contact_group_link=input.contact_group_link,
            station=input.station.to_service() if input.station else None,
        )
        return UpdateAreaSuccess(area=Area.from_model(area))

    @strawberry.mutation(description="Attach a party unit to a community, grid or micro-grid.")
    async def create_party_unit(
        self, info: Info, input: Annotated[CreatePartyUnitInput, MUTATION_INPUT]
    ) -> CreatePartyUnitResult:
        unit = await grids.create_party_unit(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            kind=input.kind,
            name=input.name,
            secretary_name=input.secretary_name,
        )
        return CreatePartyUnitSuccess(party_unit=PartyUnit.from_model(unit))
