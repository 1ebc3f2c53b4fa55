"""Queries of volunteer teams and activities."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.arguments import Under
from schema.core.context import Info
from schema.core.ids import require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.volunteering.types import VolunteerActivity, VolunteerTeam
from services import volunteering


@strawberry.type
class VolunteeringQuery:
    @strawberry.field(description="Volunteer teams whose home area lies under an area.")
    async def teams(
        self,
        info: Info,
        under: Under,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[VolunteerTeam]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: volunteering.list_teams(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                window=window,
            ),
            VolunteerTeam.from_model,
        )

    @strawberry.field(
        description="Activities under an area: upcoming (open, not yet ended) soonest first, "
        "or all (cancelled too) latest first."
    )
    async def activities(
        self,
        info: Info,
        under: Under,
        upcoming: Annotated[
            bool, strawberry.argument(description="Only open activities not yet ended.")
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[VolunteerActivity]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: volunteering.list_activities(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                upcoming=upcoming,
                window=window,
            ),
            VolunteerActivity.from_model,
        )
