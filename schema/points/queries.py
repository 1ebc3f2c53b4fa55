"""Queries of points: rules, pending awards, accounts, leaderboards, statistics."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.arguments import Under
from schema.core.context import Info
from schema.core.ids import area_key, id_argument, require_key
from schema.core.pagination import After, Before, Connection, First, Last, page_window, paged
from schema.points.types import (
    LeaderboardEntry,
    LedgerReport,
    PointsAccount,
    PointsAward,
    PointsRule,
    PointsStatistics,
)
from services import points
from services.enums import Dimension, Role


@strawberry.type
class PointsQuery:
    @strawberry.field(description="Rules in force under an area (public): defaults + overrides.")
    async def points_rules(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area; every rule when omitted."),
        ] = None,
        dimension: Annotated[
            Dimension | None,
            strawberry.argument(description="Only this dimension."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PointsRule]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: points.list_rules(
                under_id=area_key(under, "under"), dimension=dimension, window=window
            ),
            PointsRule.from_model,
        )

    @strawberry.field(description="Awards waiting for review in the areas the viewer runs.")
    async def pending_awards(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area; all the viewer administers when omitted."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PointsAward]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: points.pending_awards(
                actor=info.context.actor, under_id=area_key(under, "under"), window=window
            ),
            PointsAward.from_model,
        )

    @strawberry.field(description="A person's points account (the person, or who runs their area).")
    async def points_account(
        self,
        info: Info,
        person_id: Annotated[relay.GlobalID, id_argument("Person", description="The person.")],
    ) -> PointsAccount:
        key = require_key(person_id, "Person", "personId")
        await points.person_in_scope(actor=info.context.actor, person_id=key)
        return PointsAccount.from_summary(await points.account_summary(person_id=key))

    @strawberry.field(
        description="People under an area ranked by evaluation credit in a quarter. The admins "
        "and leaders of the area see every line; the people of its community see the lines of "
        "the people they may see anywhere else (at their true ranks); others get FORBIDDEN."
    )
    async def leaderboard(
        self,
        info: Info,
        under: Under,
        period: Annotated[
            str | None,
            strawberry.argument(description='Quarter such as "2026Q4" (current when omitted).'),
        ] = None,
        dimension: Annotated[
            Dimension | None,
            strawberry.argument(description="One dimension (all when omitted)."),
        ] = None,
        role: Annotated[
            Role | None,
            strawberry.argument(description="Only holders of this role under the area."),
        ] = None,
        first: First = None,
    ) -> list[LeaderboardEntry]:
        size = page_window(info, first, None).size
        standings = await points.leaderboard(
            actor=info.context.actor,
            under_id=require_key(under, "Area", "under"),
            period=period,
            dimension=dimension,
            role=role,
            first=size,
        )
        return [
            LeaderboardEntry(rank=s.rank, points=s.points, name=s.name, person_id=s.person_id)
            for s in standings
        ]

    @strawberry.field(description="Issued, redeemed, expired and outstanding points under an area.")
    async def points_statistics(self, info: Info, under: Under) -> PointsStatistics:
        figures = await points.statistics(
            actor=info.context.actor, under_id=require_key(under, "Area", "under")
        )
        return PointsStatistics.from_statistics(figures)

    @strawberry.field(
        description="Check the points ledger (admins of the area): the hash chains of the "
        "communities under the area (or of the one it lies in) are intact, naming the first "
        "broken transaction; asked at the district, also the double-entry sums over the whole "
        "ledger (balances equal their entries, lots and holds add up). Others get FORBIDDEN."
    )
    async def verify_ledger(self, info: Info, under: Under) -> LedgerReport:
        report = await points.verify_ledger(
            actor=info.context.actor, under_id=require_key(under, "Area", "under")
        )
        return LedgerReport.from_report(report)
