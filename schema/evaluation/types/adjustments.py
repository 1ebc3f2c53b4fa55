"""Manual adjustments of an evaluation and objections to them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.evaluation.types.common import person_of
from schema.people import Person
from services import evaluation, models
from services.enums import Dimension, ObjectionStatus


@strawberry.type(description="An objection of a role holder to a manual adjustment.")
class EvaluationObjection(relay.Node):
    id: relay.NodeID[int]
    reason: str = strawberry.field(description="Why the holder objects.")
    status: ObjectionStatus = strawberry.field(description="Where it stands.")
    resolution: str | None = strawberry.field(description="The admin's reason.")
    created_at: datetime = strawberry.field(description="When it was raised.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    resolved_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, o: models.EvaluationObjection) -> EvaluationObjection:
        return cls(
            id=o.id,
            reason=o.reason,
            status=o.status,
            resolution=o.resolution,
            created_at=o.created_at,
            resolved_at=o.resolved_at,
            resolved_by_id=o.resolved_by_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[EvaluationObjection | None]:
        found = await evaluation.objections_by_ids(
            actor=info.context.actor, objection_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(o) if o else None for o in found]

    @strawberry.field(description="The admin who resolved it.")
    async def resolved_by(self, info: Info) -> Person | None:
        return await person_of(info, self.resolved_by_id)


@strawberry.type(
    description="A manual change to a dimension score: the score of a manual item (a new "
    "score replaces the old) or a free adjustment, with the reason and the admin."
)
class EvaluationAdjustment(relay.Node):
    id: relay.NodeID[int]
    dimension: Dimension = strawberry.field(description="The dimension.")
    points: int = strawberry.field(description="Points added (or the item's score).")
    item_code: str | None = strawberry.field(description="The manual item (null: free).")
    reason: str = strawberry.field(description="Why.")
    created_at: datetime = strawberry.field(description="When.")
    withdrawn_at: datetime | None = strawberry.field(
        description="When it stopped counting (superseded, or an objection upheld)."
    )
    withdrawn_reason: str | None = strawberry.field(description="Why it stopped counting.")
    made_by_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, a: models.EvaluationAdjustment) -> EvaluationAdjustment:
        return cls(
            id=a.id,
            dimension=Dimension(a.dimension),
            points=a.points,
            item_code=a.item_code,
            reason=a.reason,
            created_at=a.created_at,
            withdrawn_at=a.withdrawn_at,
            withdrawn_reason=a.withdrawn_reason,
            made_by_id=a.made_by_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[EvaluationAdjustment | None]:
        found = await evaluation.adjustments_by_ids(
            actor=info.context.actor, adjustment_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(a) if a else None for a in found]

    @strawberry.field(description="The admin who made it.")
    async def made_by(self, info: Info) -> Person | None:
        return await person_of(info, self.made_by_id)

    @strawberry.field(description="Objections to it, oldest first.")
    async def objections(self, info: Info) -> list[EvaluationObjection]:
        found = await info.context.loaders.evaluation_objections.load(self.id)
        return [EvaluationObjection.from_model(o) for o in found]
