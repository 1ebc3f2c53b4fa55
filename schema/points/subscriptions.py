"""Live points: the signed-in person's account as it changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.context import Info
from schema.live import deliver
from schema.points.types import PointsAccount
from services import live


@strawberry.type
class PointsSubscription:
    @strawberry.subscription(
        description="My points account (signed-in): first as it is now, then again every time "
        "its balance or held points change (awards, redemptions, expiry, reversals). "
        "UNAUTHENTICATED for anonymous connections."
    )
    async def my_points_changed(self, info: Info) -> AsyncGenerator[PointsAccount, None]:
        source = await live.points_watch(actor=info.context.actor)
        return deliver(info, source, PointsAccount.from_summary)
