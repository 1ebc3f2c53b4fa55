"""Co-building projects (共驻共建项目): participants, milestones, totals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.grids import Area
from schema.partners.types.lists import Match, Need
from schema.partners.types.units import PartnerUnit
from services import partners
from services.enums import (
    ProjectRole,
    ProjectStatus,
)
from services.partners.matching import MATCHES_LIMIT
from services.partners.projects import NEEDS_LIMIT, PARTICIPANTS_LIMIT

if TYPE_CHECKING:
    from services.models import partners as models


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
        return await Area.load(info, self.community_id)

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
