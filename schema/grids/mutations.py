"""Mutations of the territory."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import require_key
from schema.grids.inputs import (
    CreateAreaInput,
    MoveAreaInput,
    MoveHouseholdsInput,
    UpdateAreaInput,
)
from schema.grids.payloads import (
    CreateAreaResult,
    CreateAreaSuccess,
    MoveAreaResult,
    MoveAreaSuccess,
    MoveHouseholdsResult,
    MoveHouseholdsSuccess,
    UpdateAreaResult,
    UpdateAreaSuccess,
)
from schema.grids.types import Area, AreaMove
from services import grids


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
            code=input.code,
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
            code=input.code,
            contact_group_name=input.contact_group_name,
            contact_group_link=input.contact_group_link,
            station=input.station.to_service() if input.station else None,
        )
        return UpdateAreaSuccess(area=Area.from_model(area))

    @strawberry.mutation(
        description="Move a grid to another community or a micro-grid to another grid "
        "(调整网格): paths, scopes, households, notices and open work orders follow at once "
        "(those handled at the parent it left are routed again in its new line), a grid's "
        "rewards, activities and need entries join its new community, and the move is kept "
        "in the history (Area.moves)."
    )
    async def move_area(
        self, info: Info, input: Annotated[MoveAreaInput, MUTATION_INPUT]
    ) -> MoveAreaResult:
        area, move = await grids.move_area(
            actor=info.context.actor,
            area_id=require_key(input.area_id, "Area", "areaId"),
            parent_id=require_key(input.parent_id, "Area", "parentId"),
        )
        return MoveAreaSuccess(
            area=Area.from_model(area), move=AreaMove.from_model(move) if move else None
        )

    @strawberry.mutation(
        description="Move households to a micro-grid at once: their care links end, their "
        "open work orders follow them (handled where a new order of the micro-grid would be: "
        "its grid while it has no leader), and each move is kept in the history."
    )
    async def move_households(
        self, info: Info, input: Annotated[MoveHouseholdsInput, MUTATION_INPUT]
    ) -> MoveHouseholdsResult:
        households, moves = await grids.move_households(
            actor=info.context.actor,
            household_ids=[
                require_key(h, "Household", "householdIds") for h in input.household_ids
            ],
            micro_grid_id=require_key(input.micro_grid_id, "Area", "microGridId"),
        )
        return MoveHouseholdsSuccess(
            household_ids=[h.id for h in households],
            moves=[AreaMove.from_model(m) for m in moves],
        )
