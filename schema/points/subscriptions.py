"""Live points: the signed-in person's account as it changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from schema.core.context import Info
from schema.core.live import deliver
from schema.points.types import PointsAccount
from services import points


@strawberry.type
class PointsSubscription:
    @strawberry.subscription(
        description="My points account (signed-in): first as it is now, then again every time "
        "its balance or held points change (awards, redemptions, expiry, reversals). "
        "UNAUTHENTICATED for anonymous connections, and ends with UNAUTHENTICATED when the "
        "token expires or the session ends (reconnect with a fresh token)."
    )
    async def my_points_changed(self, info: Info) -> AsyncGenerator[PointsAccount, None]:
        await info.context.revalidate()  # the connection may be hours old
        watch = await points.points_watch(actor=info.context.actor)
        return deliver(info, watch, PointsAccount.from_summary)
