"""Mutations of the territory."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import require_key
from schema.grids.inputs import CreateAreaInput, UpdateAreaInput
from schema.grids.payloads import (
    CreateAreaResult,
    CreateAreaSuccess,
    UpdateAreaResult,
    UpdateAreaSuccess,
)
from schema.grids.types import Area
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
