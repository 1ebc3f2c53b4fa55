"""Queries of volunteer teams and activities."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.ids import id_argument, require_key
from schema.core.pagination import After, Connection, First, page_args
from schema.volunteering.types import VolunteerActivity, VolunteerTeam
from services import volunteering


@strawberry.type
class VolunteeringQuery:
    @strawberry.field(description="Volunteer teams whose home area lies under an area.")
    async def teams(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        first: First = None,
        after: After = None,
    ) -> Connection[VolunteerTeam]:
        size, key = page_args(info, first, after)
        page = await volunteering.list_teams(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            first=size,
            after=key,
        )
        return Connection.build(page, VolunteerTeam.from_model)

    @strawberry.field(
        description="Activities under an area: upcoming (open, not yet ended) soonest first, "
        "or all (cancelled too) latest first."
    )
    async def activities(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="Area.")],
        upcoming: Annotated[
            bool, strawberry.argument(description="Only open activities not yet ended.")
        ] = False,
        first: First = None,
        after: After = None,
    ) -> Connection[VolunteerActivity]:
        size, key = page_args(info, first, after)
        page = await volunteering.list_activities(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            upcoming=upcoming,
            first=size,
            after=key,
        )
        return Connection.build(page, VolunteerActivity.from_model)
