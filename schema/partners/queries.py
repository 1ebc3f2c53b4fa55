"""Queries of partner units, resource and need lists, matching, projects and cadres."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.ids import area_key, id_argument, node_key, require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.partners.types import (
    CadreAssignment,
    MatchCandidate,
    Need,
    PartnerUnit,
    Project,
    ResourceOffer,
)
from services import partners
from services.enums import (
    NeedStatus,
    PartnerUnitKind,
    PartnerUnitStatus,
    ProjectStatus,
    ResourceCategory,
)

AnyUnder = Annotated[
    relay.GlobalID | None, id_argument("Area", description="Area; everywhere when omitted.")
]
"""The optional `under:` argument of the partner list queries: everywhere when omitted."""


@strawberry.type
class PartnersQuery:
    @strawberry.field(
        description="The kinds of partner unit that may claim (认领) a community's claimable "
        "projects (signed-in users); set by its admins with setProjectClaimKinds."
    )
    async def project_claim_kinds(
        self,
        info: Info,
        community_id: Annotated[relay.GlobalID, id_argument("Area", description="The community.")],
    ) -> list[PartnerUnitKind]:
        return await partners.claim_kinds(
            actor=info.context.actor,
            community_id=require_key(community_id, "Area", "communityId"),
        )

    @strawberry.field(
        description="Partner units reporting under an area, in registration order (signed-in "
        "users: approved units; community admins also pending and rejected ones in their "
        "subtree; members their own)."
    )
    async def partner_units(
        self,
        info: Info,
        under: AnyUnder = None,
        type: Annotated[
            PartnerUnitKind | None,
            strawberry.argument(description="Only this kind."),
        ] = None,
        status: Annotated[
            PartnerUnitStatus | None,
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PartnerUnit]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: partners.list_units(
                actor=info.context.actor,
                under_id=area_key(under, "under"),
                kind=type,
                status=status,
                window=window,
            ),
            PartnerUnit.from_model,
        )

    @strawberry.field(
        description="Resource lists (资源清单) of units based under an area (below a "
        "community: its community), newest first (signed-in users)."
    )
    async def resource_offers(
        self,
        info: Info,
        under: AnyUnder = None,
        category: Annotated[
            ResourceCategory | None,
            strawberry.argument(description="Only this category."),
        ] = None,
        available_only: Annotated[
            bool,
            strawberry.argument(description="Only open, with something left, inside the window."),
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ResourceOffer]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: partners.list_resources(
                actor=info.context.actor,
                under_id=area_key(under, "under"),
                category=category,
                available_only=available_only,
                window=window,
            ),
            ResourceOffer.from_model,
        )

    @strawberry.field(
        description="Need lists (需求清单) posted under an area, newest first (signed-in users)."
    )
    async def needs(
        self,
        info: Info,
        under: AnyUnder = None,
        category: Annotated[
            ResourceCategory | None,
            strawberry.argument(description="Only this category."),
        ] = None,
        status: Annotated[
            NeedStatus | None,
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Need]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: partners.list_needs(
                actor=info.context.actor,
                under_id=area_key(under, "under"),
                category=category,
                status=status,
                window=window,
            ),
            Need.from_model,
        )

    @strawberry.field(
        description="The open resources that best meet an open need, best first. score (0-100) "
        "= relevance up to 40 (the share of the need's words, segmented by jieba (分词) and "
        "weighed by BM25, that the resource's text and its unit's name and description speak "
        "of) + category 20 (same) or 10 (compatible: funds for goods/equipment, expertise or "
        "volunteer hours for a service, a service for expertise/volunteer hours) + area 15 "
        "(serves the need's community), 9 (its street) or 6 (the district) + window 10 "
        "(available from now through the deadline, or 30 days without one) or 5 (partly) + "
        "quantity 15 × min(1, remaining ÷ still needed) in the same category, 7 otherwise. "
        "Non-matching categories, areas and windows are left out. Ties: more relevant, more "
        "remaining, then older."
    )
    async def matches_for_need(
        self,
        info: Info,
        need_id: Annotated[relay.GlobalID, id_argument("Need", description="The need.")],
        first: Annotated[
            int, strawberry.argument(description="How many (0-100, default 10).")
        ] = 10,
    ) -> list[MatchCandidate]:
        found = await partners.matches_for_need(
            actor=info.context.actor, need_id=require_key(need_id, "Need", "needId"), first=first
        )
        return [MatchCandidate.from_candidate(c) for c in found]

    @strawberry.field(
        description="The open needs an open resource meets best, best first, scored as in "
        "matchesForNeed (the same pair scores the same). Ties: more urgent, earlier deadline, "
        "older."
    )
    async def matches_for_resource(
        self,
        info: Info,
        resource_id: Annotated[
            relay.GlobalID, id_argument("ResourceOffer", description="The resource.")
        ],
        first: Annotated[
            int, strawberry.argument(description="How many (0-100, default 10).")
        ] = 10,
    ) -> list[MatchCandidate]:
        found = await partners.matches_for_resource(
            actor=info.context.actor,
            resource_id=require_key(resource_id, "ResourceOffer", "resourceId"),
            first=first,
        )
        return [MatchCandidate.from_candidate(c) for c in found]

    @strawberry.field(
        description="Co-building projects of the communities under an area, newest first "
        "(signed-in users)."
    )
    async def projects(
        self,
        info: Info,
        under: AnyUnder = None,
        status: Annotated[
            ProjectStatus | None,
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Project]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: partners.list_projects(
                actor=info.context.actor,
                under_id=area_key(under, "under"),
                status=status,
                window=window,
            ),
            Project.from_model,
        )

    @strawberry.field(
        description="Sunk-down cadres (下沉干部) serving under an area, newest first "
        "(signed-in users)."
    )
    async def cadre_assignments(
        self,
        info: Info,
        under: AnyUnder = None,
        unit_id: Annotated[
            relay.GlobalID | None,
            id_argument("PartnerUnit", description="Only this unit's cadres."),
        ] = None,
        active_on: Annotated[
            date | None, strawberry.argument(description="Only those serving on this day.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[CadreAssignment]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: partners.list_cadres(
                actor=info.context.actor,
                under_id=area_key(under, "under"),
                unit_id=node_key(unit_id, "PartnerUnit", "unitId"),
                active_on=active_on,
                window=window,
            ),
            CadreAssignment.from_model,
        )
