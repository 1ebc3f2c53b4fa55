"""GraphQL object types of partner units (共建单位), cadres, resource and need lists, matches and
co-building projects."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.pagination import After, Connection, First, paged
from schema.grids import Area
from schema.market import Redemption, Reward
from schema.people import Person
from services import partners
from services.enums import (
    MatchSide,
    MatchStatus,
    NeedStatus,
    PartnerUnitKind,
    PartnerUnitStatus,
    ProjectRole,
    ProjectStatus,
    RedemptionStatus,
    ResourceCategory,
    ResourceStatus,
    Urgency,
)
from services.partners.cadres import SERVICES_LIMIT
from services.partners.lists import UNIT_RESOURCES_LIMIT
from services.partners.matching import MATCHES_LIMIT
from services.partners.projects import NEEDS_LIMIT, PARTICIPANTS_LIMIT
from services.partners.stocking import UNIT_REWARDS_LIMIT

if TYPE_CHECKING:
    from services.models import partners as models


def source_ids(sources: list[list[str]]) -> list[relay.GlobalID]:
    """Stored [type, key] pairs as global ids."""
    return [relay.GlobalID(str(t), str(k)) for t, k in sources]


@strawberry.type(description="A person working for a partner unit.")
class PartnerMember:
    manager: bool = strawberry.field(description="Acts for the unit (lists, matches, members).")
    joined_at: datetime = strawberry.field(description="When they joined.")
    person_id: strawberry.Private[int]
    home_community_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, m: models.PartnerMember) -> PartnerMember:
        return cls(
            manager=m.manager,
            joined_at=m.joined_at,
            person_id=m.person_id,
            home_community_id=m.home_community_id,
        )

    @strawberry.field(description="The person (null if the viewer may not see them).")
    async def person(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None

    @strawberry.field(
        description="A party member also reports individually (双报到) to the community where "
        "they live: that community (null for others and people without a home on record)."
    )
    async def home_community(self, info: Info) -> Area | None:
        if self.home_community_id is None:
            return None
        # Where someone lives is shown only to those who see the person in full.
        view = await info.context.loaders.person.load(self.person_id)
        if view is None or not view.full:
            return None
        return Area.from_model(await info.context.loaders.area.load(self.home_community_id))


@strawberry.type(
    description="A partner unit (共建单位) that reports to a community (双报到). Approved units "
    "are known to every signed-in user; pending and rejected ones to the community's admins "
    "and their own members."
)
class PartnerUnit(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Its name.")
    kind: PartnerUnitKind = strawberry.field(description="Kind of unit.")
    status: PartnerUnitStatus = strawberry.field(description="Registration status.")
    address: str = strawberry.field(description="Where it is.")
    phone: str | None = strawberry.field(description="Contact phone.")
    description: str = strawberry.field(description="What it does.")
    review_reason: str | None = strawberry.field(description="The reviewer's reason.")
    reviewed_at: datetime | None = strawberry.field(description="When it was reviewed.")
    created_at: datetime = strawberry.field(description="When it registered.")
    community_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, u: models.PartnerUnit) -> PartnerUnit:
        return cls(
            id=u.id,
            name=u.name,
            kind=u.kind,
            status=u.status,
            address=u.address,
            phone=u.phone,
            description=u.description,
            review_reason=u.review_reason,
            reviewed_at=u.reviewed_at,
            created_at=u.created_at,
            community_id=u.community_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PartnerUnit | None]:
        found = await info.context.loaders.partner_unit.load_many([int(i) for i in node_ids])
        return [cls.from_model(u) if u else None for u in found]

    @strawberry.field(description="The community it reports to.")
    async def community(self, info: Info) -> Area:
        return Area.from_model(await info.context.loaders.area.load(self.community_id))

    @strawberry.field(description="Its current members, managers first.")
    async def members(self, info: Info) -> list[PartnerMember]:
        found = await info.context.loaders.unit_members.load(self.id)
        return [PartnerMember.from_model(m) for m in found]

    @strawberry.field(
        description="Its resource list (资源清单), newest first (the latest "
        f"{UNIT_RESOURCES_LIMIT})."
    )
    async def resource_offers(self, info: Info) -> list[ResourceOffer]:
        found = await info.context.loaders.unit_resources.load(self.id)
        return [ResourceOffer.from_model(r) for r in found]

    @strawberry.field(
        description="Rewards it provides in the points marketplace, newest first (the latest "
        f"{UNIT_REWARDS_LIMIT})."
    )
    async def rewards(self, info: Info) -> list[Reward]:
        found = await info.context.loaders.unit_rewards.load(self.id)
        return [Reward.from_model(r) for r in found]

    @strawberry.field(
        description="Redemptions of its rewards, newest first: its members hand them over "
        "(fulfilRedemption). For its members and the community's admins."
    )
    async def redemptions(
        self,
        info: Info,
        status: Annotated[
            RedemptionStatus | None,
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Redemption]:
        return await paged(
            info,
            first,
            after,
            lambda size, key: partners.unit_redemptions(
                actor=info.context.actor, unit_id=self.id, status=status, first=size, after=key
            ),
            Redemption.from_model,
        )


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
        return [Area.from_model(a) for a in await info.context.loaders.area.load_many(ids)]

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
        return Area.from_model(await info.context.loaders.area.load(self.area_id))

    @strawberry.field(description="The co-building project its accepted matches feed.")
    async def project(self, info: Info) -> Project | None:
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
        return Need.from_model(await info.context.loaders.need.load(self.need_id))

    @strawberry.field(description="The resource.")
    async def resource(self, info: Info) -> ResourceOffer:
        found = await info.context.loaders.resource_offer.load(self.resource_id)
        return ResourceOffer.from_model(found)

    @strawberry.field(description="The project it was committed to (once accepted).")
    async def project(self, info: Info) -> Project | None:
        if self.project_id is None:
            return None
        found = await info.context.loaders.project.load(self.project_id)
        return Project.from_model(found) if found else None


@strawberry.type(
    description="A ranked (need, resource) pair from matchesForNeed / matchesForResource. "
    "score = category (40 same, 20 compatible) + area (25 the need's community is served, 15 "
    "its whole street, 10 the district) + window (15 available from now through the deadline "
    "or 30 days, 7 only partly) + quantity (same category: 20 × min(1, remaining ÷ still "
    "needed), rounded down; other categories 10), out of 100."
)
class MatchCandidate:
    score: int = strawberry.field(description="0-100, the sum of the four parts.")
    category_score: int = strawberry.field(description="40 same category, 20 compatible.")
    area_score: int = strawberry.field(description="25 community, 15 street, 10 district.")
    window_score: int = strawberry.field(description="15 full window, 7 partial.")
    quantity_score: int = strawberry.field(description="Up to 20 (10 in other units).")
    reason: str = strawberry.field(description="Why, in words.")
    need_id: strawberry.Private[int]
    resource_id: strawberry.Private[int]

    @classmethod
    def from_candidate(cls, c: partners.Candidate) -> MatchCandidate:
        return cls(
            score=c.score,
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
        return Need.from_model(await info.context.loaders.need.load(self.need_id))

    @strawberry.field(description="The resource.")
    async def resource(self, info: Info) -> ResourceOffer:
        found = await info.context.loaders.resource_offer.load(self.resource_id)
        return ResourceOffer.from_model(found)


@strawberry.type(description="A unit taking part in a project.")
class ProjectParticipant:
    role: ProjectRole = strawberry.field(description="How it takes part.")
    joined_at: datetime = strawberry.field(description="Since when.")
    unit_id: strawberry.Private[int]

    @strawberry.field(description="The unit (null if the viewer may not see it).")
    async def unit(self, info: Info) -> PartnerUnit | None:
        found = await info.context.loaders.partner_unit.load(self.unit_id)
        return PartnerUnit.from_model(found) if found else None


@strawberry.type(description="A milestone of a project with its progress.")
class ProjectMilestone(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="What is to be done.")
    due_on: date | None = strawberry.field(description="Due day.")
    progress: int = strawberry.field(description="Progress, 0-100 percent.")
    note: str = strawberry.field(description="Latest note.")
    done_at: datetime | None = strawberry.field(description="When it reached 100.")
    updated_at: datetime = strawberry.field(description="When it last changed.")

    @classmethod
    def from_model(cls, m: models.ProjectMilestone) -> ProjectMilestone:
        return cls(
            id=m.id,
            title=m.title,
            due_on=m.due_on,
            progress=m.progress,
            note=m.note,
            done_at=m.done_at,
            updated_at=m.updated_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ProjectMilestone | None]:
        found = await partners.milestones_by_ids(
            actor=info.context.actor, milestone_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(m) if m else None for m in found]


@strawberry.type(
    description="What a project has drawn together. Volunteer hours are those committed by "
    "accepted matches of VOLUNTEER_HOURS resources (hours of volunteer activities run under "
    "the project are added where activities link to projects)."
)
class ProjectTotals:
    hours: int = strawberry.field(description="Volunteer hours committed.")
    matches: int = strawberry.field(description="Accepted matches.")
    units: int = strawberry.field(description="Units taking part.")
    people_served: int = strawberry.field(description="People served (set by its owners).")
    progress: int = strawberry.field(description="Mean milestone progress, 0-100.")


@strawberry.type(
    description="A co-building project (共驻共建项目) of a community. Readable by signed-in "
    "users; run by the community's admins and its OWNER units."
)
class Project(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="Title.")
    description: str = strawberry.field(description="What it is about.")
    status: ProjectStatus = strawberry.field(description="Where it stands.")
    claimable: bool = strawberry.field(
        description="A service project that a property company of the community may claim."
    )
    claimed_at: datetime | None = strawberry.field(description="When it was claimed (认领).")
    created_at: datetime = strawberry.field(description="When it was created.")
    started_at: datetime | None = strawberry.field(description="When it became ACTIVE.")
    closed_at: datetime | None = strawberry.field(description="When it was completed/cancelled.")
    community_id: strawberry.Private[int]
    claimed_by_unit_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, p: models.Project) -> Project:
        return cls(
            id=p.id,
            title=p.title,
            description=p.description,
            status=p.status,
            claimable=p.claimable,
            claimed_at=p.claimed_at,
            created_at=p.created_at,
            started_at=p.started_at,
            closed_at=p.closed_at,
            community_id=p.community_id,
            claimed_by_unit_id=p.claimed_by_unit_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Project | None]:
        found = await info.context.loaders.project.load_many([int(i) for i in node_ids])
        return [cls.from_model(p) if p else None for p in found]

    @strawberry.field(description="The community it belongs to (the owner side).")
    async def community(self, info: Info) -> Area:
        return Area.from_model(await info.context.loaders.area.load(self.community_id))

    @strawberry.field(description="The property company that claimed it.")
    async def claimed_by(self, info: Info) -> PartnerUnit | None:
        if self.claimed_by_unit_id is None:
            return None
        found = await info.context.loaders.partner_unit.load(self.claimed_by_unit_id)
        return PartnerUnit.from_model(found) if found else None

    @strawberry.field(
        description=f"Units taking part, owners first (at most {PARTICIPANTS_LIMIT})."
    )
    async def participants(self, info: Info) -> list[ProjectParticipant]:
        found = await info.context.loaders.project_units.load(self.id)
        return [
            ProjectParticipant(role=p.role, joined_at=p.joined_at, unit_id=p.unit_id) for p in found
        ]

    @strawberry.field(description="Milestones in the order they were added.")
    async def milestones(self, info: Info) -> list[ProjectMilestone]:
        found = await info.context.loaders.project_milestones.load(self.id)
        return [ProjectMilestone.from_model(m) for m in found]

    @strawberry.field(
        description="The needs it meets (linked by accepted matches), oldest first (the latest "
        f"{NEEDS_LIMIT})."
    )
    async def needs(self, info: Info) -> list[Need]:
        found = await info.context.loaders.project_needs.load(self.id)
        return [Need.from_model(n) for n in found]

    @strawberry.field(
        description="Its accepted matches: the resources committed to it, newest first (the "
        f"latest {MATCHES_LIMIT})."
    )
    async def matches(self, info: Info) -> list[Match]:
        found = await info.context.loaders.project_matches.load(self.id)
        return [Match.from_model(m) for m in found]

    @strawberry.field(description="Totals: hours, matches, units, people served, progress.")
    async def totals(self, info: Info) -> ProjectTotals:
        t = await info.context.loaders.project_totals.load(self.id)
        return ProjectTotals(
            hours=t.hours,
            matches=t.matches,
            units=t.units,
            people_served=t.people_served,
            progress=t.progress,
        )


@strawberry.type(description="A day of service of a sunk-down cadre.")
class CadreService:
    served_on: date = strawberry.field(description="The day.")
    minutes: int = strawberry.field(description="Minutes served.")
    description: str = strawberry.field(description="What was done.")
    created_at: datetime = strawberry.field(description="When it was recorded.")


@strawberry.type(
    description="A sunk-down cadre (下沉干部): a unit member assigned to a grid or micro-grid "
    "for a period, with service records. Readable by signed-in users."
)
class CadreAssignment(relay.Node):
    id: relay.NodeID[int]
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date = strawberry.field(description="Last day.")
    duties: str = strawberry.field(description="What the cadre does there.")
    created_at: datetime = strawberry.field(description="When it was made.")
    person_id: strawberry.Private[int]
    unit_id: strawberry.Private[int]
    area_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, a: models.CadreAssignment) -> CadreAssignment:
        return cls(
            id=a.id,
            starts_on=a.starts_on,
            ends_on=a.ends_on,
            duties=a.duties,
            created_at=a.created_at,
            person_id=a.person_id,
            unit_id=a.unit_id,
            area_id=a.area_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CadreAssignment | None]:
        found = await partners.cadres_by_ids(
            actor=info.context.actor, assignment_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(a) if a else None for a in found]

    @strawberry.field(description="The cadre (null if the viewer may not see them).")
    async def person(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None

    @strawberry.field(description="The cadre's unit.")
    async def unit(self, info: Info) -> PartnerUnit | None:
        found = await info.context.loaders.partner_unit.load(self.unit_id)
        return PartnerUnit.from_model(found) if found else None

    @strawberry.field(description="The grid or micro-grid served.")
    async def area(self, info: Info) -> Area:
        return Area.from_model(await info.context.loaders.area.load(self.area_id))

    @strawberry.field(description="Minutes of service recorded in all.")
    async def minutes_served(self, info: Info) -> int:
        minutes: int = await info.context.loaders.cadre_minutes.load(self.id)
        return minutes

    @strawberry.field(
        description=f"Service records, newest day first (the latest {SERVICES_LIMIT}; "
        "`minutesServed` counts all)."
    )
    async def services(self, info: Info) -> list[CadreService]:
        found = await info.context.loaders.cadre_services.load(self.id)
        return [
            CadreService(
                served_on=s.served_on,
                minutes=s.minutes,
                description=s.description,
                created_at=s.created_at,
            )
            for s in found
        ]
