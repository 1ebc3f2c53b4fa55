"""Queries of notices: the notices of an area."""

from __future__ import annotations

import strawberry

from schema.core.arguments import Under
from schema.core.context import Info
from schema.core.ids import require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.notices.types import Notice
from services import notices


@strawberry.type
class NoticesQuery:
    @strawberry.field(
        description="Notices for an area, newest first: published to it, above it or below "
        "it, as far as the viewer may read them. For the people of the area (a role or "
        "household in it) and the admins and leaders above it."
    )
    async def notices(
        self,
        info: Info,
        under: Under,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Notice]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: notices.list_notices(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                window=window,
            ),
            Notice.from_model,
        )
