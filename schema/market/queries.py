"""Queries of the points marketplace: the catalogue."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.ids import area_key, id_argument
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.market.types import Reward
from services import market
from services.enums import RewardCategory


@strawberry.type
class MarketQuery:
    @strawberry.field(description="The marketplace catalogue under an area (anyone may browse).")
    async def rewards(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area; the whole district when omitted."),
        ] = None,
        category: Annotated[
            RewardCategory | None,
            strawberry.argument(description="Only this category."),
        ] = None,
        available_only: Annotated[
            bool,
            strawberry.argument(description="Only active, in stock and inside their window."),
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Reward]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: market.list_rewards(
                under_id=area_key(under, "under"),
                category=category,
                available_only=available_only,
                window=window,
            ),
            Reward.from_model,
        )
