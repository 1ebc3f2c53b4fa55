"""Live notices: newly published notices that concern an area."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.ids import id_argument
from schema.core.live import area_events
from schema.notices.types import Notice
from services import notices
from services.kit.events import Event, Topic


@strawberry.type
class NoticesSubscription:
    @strawberry.subscription(
        description="Notices as they are published to `under`, to an area above it (a district "
        "notice reaches every community) or to one below it, that the subscriber may read (as "
        "`notices(under:)` shows them). For people in scope of the area: admins and leaders "
        "above or in it, people with a household or role in it (FORBIDDEN otherwise)."
    )
    async def notice_published(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="The area.")],
    ) -> AsyncGenerator[Notice, None]:
        async def load(event: Event) -> Notice | None:
            found = await notices.notices_by_ids(
                actor=info.context.actor, notice_ids=[int(event.payload["id"])]
            )
            return Notice.from_model(found[0]) if found[0] is not None else None

        return await area_events(
            info,
            topic=Topic.NOTICE,
            under=under,
            load=load,
            may_watch=notices.in_scope_of,
            include_above=True,
        )
