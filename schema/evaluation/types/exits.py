"""Dynamic-exit reviews (动态退出)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.evaluation.types.common import person_of
from schema.evaluation.types.results import Evaluation, evaluation_of
from schema.grids import Area
from schema.people import Person
from services import evaluation, models
from services.enums import ExitReviewStatus, Role


@strawberry.type(
    description="A role holder flagged for dynamic exit (动态退出): poor in two consecutive "
    "published quarters (below the exit threshold, or last of two or more in their role in "
    "the community). An admin ends the role (endRole) or clears the flag (clearExitReview)."
)
class ExitReview(relay.Node):
    id: relay.NodeID[int]
    role: Role = strawberry.field(description="The role under review.")
    reason: str = strawberry.field(description="The two results that flagged it.")
    status: ExitReviewStatus = strawberry.field(description="Where it stands.")
    resolution: str | None = strawberry.field(description="The admin's reason.")
    created_at: datetime = strawberry.field(description="When it was flagged (on publishing).")
    resolved_at: datetime | None = strawberry.field(description="When it was closed.")
    assignment_id: relay.GlobalID = strawberry.field(
        description="The role assignment (pass it to endRole)."
    )
    person_id: strawberry.Private[int]
    area_id: strawberry.Private[int]
    result_id: strawberry.Private[int]
    previous_result_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, r: models.ExitReview) -> ExitReview:
        return cls(
            id=r.id,
            role=r.role,
            reason=r.reason,
            status=r.status,
            resolution=r.resolution,
            created_at=r.created_at,
            resolved_at=r.resolved_at,
            assignment_id=relay.GlobalID("RoleAssignment", str(r.assignment_id)),
            person_id=r.person_id,
            area_id=r.area_id,
            result_id=r.result_id,
            previous_result_id=r.previous_result_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ExitReview | None]:
        found = await evaluation.exit_reviews_by_ids(
            actor=info.context.actor, review_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(r) if r else None for r in found]

    @strawberry.field(description="The role holder.")
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_id)

    @strawberry.field(description="The area of the role.")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="The evaluation of the period that flagged it.")
    async def evaluation(self, info: Info) -> Evaluation | None:
        return await evaluation_of(info, self.result_id)

    @strawberry.field(description="The previous quarter's evaluation.")
    async def previous_evaluation(self, info: Info) -> Evaluation | None:
        return await evaluation_of(info, self.previous_result_id)
