"""Entries of the resource lists (资源清单) and need lists (需求清单), their matches and the
ranked match candidates."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.loaders import load_existing
from schema.grids import Area
from schema.partners.types.units import PartnerUnit
from services import partners
from services.enums import (
    MatchSide,
    MatchStatus,
    NeedStatus,
    ResourceCategory,
    ResourceStatus,
    Urgency,
)
from services.partners.matching import MATCHES_LIMIT

if TYPE_CHECKING:
    from schema.partners.types.projects import Project
    from services.models import partners as models


def source_ids(sources: list[list[str]]) -> list[relay.GlobalID]:
    """Stored [type, key] pairs as global ids."""
    return [relay.GlobalID(str(t), str(k)) for t, k in sources]


@strawberry.type(
    description="An entry of a unit's resource list (资源清单). Readable by signed-in users."
)
class ResourceOffer(relay.Node):
    id: relay.NodeID[int]
    category: ResourceCategory = strawberry.field(description="What it offers.")
    title: str = strawberry.field(description="Short title.")
    description: str = strawberry.field(description="Details.")
    quantity: int = strawberry.field(description="How much was offered.")
    unit_label: str = strawberry.field(description="What the quantities count (份, 元, 小时).")
    remaining: int = strawberry.field(
        description="What is left: quantity minus accepted matches and marketplace stock."
    )
    available_from: datetime | None = strawberry.field(description="Available from (null: now).")
    available_until: datetime | None = strawberry.field(
        description="Available until (null: open-ended)."
    )
    status: ResourceStatus = strawberry.field(description="Open or withdrawn.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    unit_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: models.ResourceOffer) -> ResourceOffer:
        return cls(
            id=r.id,
            category=r.category,
            title=r.title,
            description=r.description,
            quantity=r.quantity,
            unit_label=r.unit_label,
            remaining=r.remaining,
            available_from=r.available_from,
            available_until=r.available_until,
            status=r.status,
            created_at=r.created_at,
            updated_at=r.updated_at,
            unit_id=r.unit_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ResourceOffer | None]:
        found = await info.context.loaders.resource_offer.load_many([int(i) for i in node_ids])
        return [cls.from_model(r) if r else None for r in found]

    @strawberry.field(description="The unit offering it (null if the viewer may not see it).")
    async def unit(self, info: Info) -> PartnerUnit | None:
        found = await info.context.loaders.partner_unit.load(self.unit_id)
        return PartnerUnit.from_model(found) if found else None

    @strawberry.field(
        description="The areas it serves: communities, or whole streets or the district."
    )
    async def served_areas(self, info: Info) -> list[Area]:
        ids = await info.context.loaders.served_areas.load(self.id)
        return list(await asyncio.gather(*(Area.load(info, area_id) for area_id in ids)))

    @strawberry.field(description=f"Its matches, newest first (the latest {MATCHES_LIMIT}).")
    async def matches(self, info: Info) -> list[Match]:
        found = await info.context.loaders.resource_matches.load(self.id)
        return [Match.from_model(m) for m in found]


@strawberry.type(
    description="An entry of the need list (需求清单) of a community, grid or micro-grid. "
    "Readable by signed-in users."
)
class Need(relay.Node):
    id: relay.NodeID[int]
    category: ResourceCategory = strawberry.field(description="What is needed.")
    title: str = strawberry.field(description="Short title.")
    description: str = strawberry.field(description="Details.")
    quantity: int = strawberry.field(description="How much is needed.")
    committed: int = strawberry.field(description="How much accepted matches cover.")
    unit_label: str = strawberry.field(description="What the quantities count.")
    urgency: Urgency = strawberry.field(description="How urgent.")
    deadline: datetime | None = strawberry.field(description="Needed by (null: no deadline).")
    place: str = strawberry.field(description="Where (address or area).")
    source_ids: list[relay.GlobalID] = strawberry.field(
        description="The residents' requests it cites (global ids)."
    )
    status: NeedStatus = strawberry.field(description="Where it stands.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    area_id: strawberry.Private[int]
    project_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, n: models.NeedEntry) -> Need:
        return cls(
            id=n.id,
            category=n.category,
            title=n.title,
            description=n.description,
            quantity=n.quantity,
            committed=n.committed,
            unit_label=n.unit_label,
            urgency=n.urgency,
            deadline=n.deadline,
            place=n.place,
            source_ids=source_ids(n.sources),
            status=n.status,
            created_at=n.created_at,
            updated_at=n.updated_at,
            area_id=n.area_id,
            project_id=n.project_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Need | None]:
        found = await info.context.loaders.need.load_many([int(i) for i in node_ids])
        return [cls.from_model(n) if n else None for n in found]

    @strawberry.field(description="Still needed: quantity minus committed.")
    def still_needed(self) -> int:
        return self.quantity - self.committed

    @strawberry.field(description="The community, grid or micro-grid that posted it.")
    async def area(self, info: Info) -> Area:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="The co-building project its accepted matches feed.")
    async def project(
        self, info: Info
    ) -> Annotated[Project, strawberry.lazy("schema.partners.types.projects")] | None:
        from schema.partners.types.projects import Project  # projects import this module

        if self.project_id is None:
            return None
        found = await info.context.loaders.project.load(self.project_id)
        return Project.from_model(found) if found else None

    @strawberry.field(description=f"Its matches, newest first (the latest {MATCHES_LIMIT}).")
    async def matches(self, info: Info) -> list[Match]:
        found = await info.context.loaders.need_matches.load(self.id)
        return [Match.from_model(m) for m in found]


@strawberry.type(
    description="A match of a need with a resource: proposed by one side, accepted by the "
    "other (quantities committed, project created or extended), declined or withdrawn."
)
class Match(relay.Node):
    id: relay.NodeID[int]
    quantity: int = strawberry.field(description="Taken from the resource (its unit label).")
    covers: int = strawberry.field(description="Added to the need's committed quantity.")
    score: int = strawberry.field(description="The pair's score (0-100) when proposed.")
    reason: str = strawberry.field(description="Why the pair matched, when proposed.")
    message: str = strawberry.field(description="The proposer's note.")
    status: MatchStatus = strawberry.field(description="Where it stands.")
    proposed_by_side: MatchSide = strawberry.field(description="Who proposed it.")
    decision_reason: str | None = strawberry.field(description="Why it was declined.")
    created_at: datetime = strawberry.field(description="When it was proposed.")
    decided_at: datetime | None = strawberry.field(description="When it was answered.")
    need_id: strawberry.Private[int]
    resource_id: strawberry.Private[int]
    project_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, m: models.ResourceMatch) -> Match:
        return cls(
            id=m.id,
            quantity=m.quantity,
            covers=m.covers,
            score=m.score,
            reason=m.reason,
            message=m.message,
            status=m.status,
            proposed_by_side=m.proposed_by_side,
            decision_reason=m.decision_reason,
            created_at=m.created_at,
            decided_at=m.decided_at,
            need_id=m.need_id,
            resource_id=m.resource_id,
            project_id=m.project_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Match | None]:
        found = await info.context.loaders.match.load_many([int(i) for i in node_ids])
        return [cls.from_model(m) if m else None for m in found]

    @strawberry.field(description="The need.")
    async def need(self, info: Info) -> Need:
        return Need.from_model(await load_existing(info.context.loaders.need, self.need_id))

    @strawberry.field(description="The resource.")
    async def resource(self, info: Info) -> ResourceOffer:
        found = await load_existing(info.context.loaders.resource_offer, self.resource_id)
        return ResourceOffer.from_model(found)

    @strawberry.field(description="The project it was committed to (once accepted).")
    async def project(
        self, info: Info
    ) -> Annotated[Project, strawberry.lazy("schema.partners.types.projects")] | None:
        from schema.partners.types.projects import Project  # projects import this module

        if self.project_id is None:
            return None
        found = await info.context.loaders.project.load(self.project_id)
        return Project.from_model(found) if found else None


@strawberry.type(
    description="A ranked (need, resource) pair from matchesForNeed / matchesForResource. "
    "score = relevance (up to 40: how much of the need's text the resource's text speaks of, "
    "words segmented by jieba and ranked by BM25) + category (20 same, 10 compatible) + area "
    "(15 the need's community is served, 9 its whole street, 6 the district) + window (10 "
    "available from now through the deadline or 30 days, 5 only partly) + quantity (same "
    "category: 15 × min(1, remaining ÷ still needed), rounded down; other categories 7), out "
    "of 100."
)
class MatchCandidate:
    score: int = strawberry.field(description="0-100, the sum of the five parts.")
    relevance_score: int = strawberry.field(
        description="Up to 40: the share of the need's words (分词) the resource's text speaks of."
    )
    category_score: int = strawberry.field(description="20 same category, 10 compatible.")
    area_score: int = strawberry.field(description="15 community, 9 street, 6 district.")
    window_score: int = strawberry.field(description="10 full window, 5 partial.")
    quantity_score: int = strawberry.field(description="Up to 15 (7 in other units).")
    reason: str = strawberry.field(description="Why, in words.")
    need_id: strawberry.Private[int]
    resource_id: strawberry.Private[int]

    @classmethod
    def from_candidate(cls, c: partners.Candidate) -> MatchCandidate:
        return cls(
            score=c.score,
            relevance_score=c.relevance_score,
            category_score=c.category_score,
            area_score=c.area_score,
            window_score=c.window_score,
            quantity_score=c.quantity_score,
            reason=c.reason,
            need_id=c.need_id,
            resource_id=c.resource_id,
        )

    @strawberry.field(description="The need.")
    async def need(self, info: Info) -> Need:
        return Need.from_model(await load_existing(info.context.loaders.need, self.need_id))

    @strawberry.field(description="The resource.")
    async def resource(self, info: Info) -> ResourceOffer:
        found = await load_existing(info.context.loaders.resource_offer, self.resource_id)
        return ResourceOffer.from_model(found)
