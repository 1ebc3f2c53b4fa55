"""Inputs of the territory's mutations."""

from __future__ import annotations

import strawberry
from strawberry import relay

import schema.grids.enums  # noqa: F401  (registers the enums annotated below)
from schema.core.ids import id_field
from schema.geo.types import GeoPointInput
from services import grids
from services.enums import AreaKind, AreaLevel


@strawberry.input(description="A grid station's public details.")
class GridStationInput:
    name: str = strawberry.field(description="Station name.")
    address: str = strawberry.field(description="Where it is.")
    hours: str = strawberry.field(description="Opening hours.")
    position: GeoPointInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Where it is on the map, in either datum (stored in WGS-84); left out it "
        "stays as it is, null clears it.",
    )

    def to_service(self) -> grids.StationInput:
        given = self.position is not strawberry.UNSET
        return grids.StationInput(
            name=self.name,
            address=self.address,
            hours=self.hours,
            position=self.position.to_value() if given and self.position else None,
            position_given=given,
        )


@strawberry.input(description="A new area under an existing one (levels nest strictly in order).")
class CreateAreaInput:
    parent_id: relay.GlobalID = id_field("Area", description="The area one level up.")
    name: str = strawberry.field(description="Name, unique among its siblings.")
    level: AreaLevel = strawberry.field(description="Must be one below the parent's level.")
    kind: AreaKind = strawberry.field(
        default=AreaKind.RESIDENTIAL,
        description="Only grids can be dedicated; micro-grids take their grid's kind.",
    )
    code: str | None = strawberry.field(
        default=None,
        description="The district's own code (区划/网格编码): up to 32 letters, digits, - or _, "
        "unique.",
    )
    contact_group_name: str | None = strawberry.field(default=None, description="一格一群 name.")
    contact_group_link: str | None = strawberry.field(default=None, description="一格一群 link.")
    station: GridStationInput | None = strawberry.field(default=None, description="Grids only.")


@strawberry.input(description="Changes to an area; omitted fields stay as they are.")
class UpdateAreaInput:
    area_id: relay.GlobalID = id_field("Area", description="The area to change.")
    name: str | None = strawberry.field(default=None, description="New name.")
    kind: AreaKind | None = strawberry.field(default=None, description="New kind (grids only).")
    code: str | None = strawberry.field(
        default=None, description="New code (unique); an empty string removes the code."
    )
    contact_group_name: str | None = strawberry.field(default=None, description="一格一群 name.")
    contact_group_link: str | None = strawberry.field(default=None, description="一格一群 link.")
    station: GridStationInput | None = strawberry.field(
        default=None, description="Set the grid station (grids only)."
    )


@strawberry.input(
    description="Move a grid to another community, or a micro-grid to another grid, with "
    "everything under it (admins of both ends)."
)
class MoveAreaInput:
    area_id: relay.GlobalID = id_field("Area", description="The grid or micro-grid to move.")
    parent_id: relay.GlobalID = id_field(
        "Area",
        description="Its new parent: a community for a grid, a grid of the same kind for a "
        "micro-grid.",
    )


@strawberry.input(
    description="Move households to a micro-grid (admins of the households and of the micro-grid)."
)
class MoveHouseholdsInput:
    household_ids: list[relay.GlobalID] = id_field(
        "Household", description="1-100 different households."
    )
    micro_grid_id: relay.GlobalID = id_field("Area", description="The micro-grid they move to.")
