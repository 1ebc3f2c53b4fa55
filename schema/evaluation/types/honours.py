"""Red-flag honours (红旗) of a published period."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.evaluation.types.common import hundredths, person_of
from schema.evaluation.types.periods import EvaluationPeriod, period_of
from schema.grids import Area
from schema.people import Person
from schema.points import PointsTransaction
from services import evaluation, models
from services.enums import HonourKind


@strawberry.type(
    description="A red-flag honour of a published period. Each community's top K (see the "
    "scheme) among those that evaluated well: areas scoring at least the exit threshold, "
    "central households not poor. Its bonus points go through the ledger to the receiver."
)
class Honour(relay.Node):
    id: relay.NodeID[int]
    kind: HonourKind = strawberry.field(description="Which red flag.")
    quarter: str = strawberry.field(description="The quarter.")
    rank: int = strawberry.field(description="Rank within the community.")
    score: float = strawberry.field(description="The score or total it was won with.")
    bonus_points: int = strawberry.field(description="Points posted to the receiver.")
    area_id: strawberry.Private[int]
    person_id: strawberry.Private[int | None]
    period_id: strawberry.Private[int]
    transaction_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, h: models.EvaluationHonour) -> Honour:
        return cls(
            id=h.id,
            kind=h.kind,
            quarter=h.quarter,
            rank=h.rank,
            score=hundredths(h.score),
            bonus_points=h.bonus_points,
            area_id=h.area_id,
            person_id=h.person_id,
            period_id=h.period_id,
            transaction_id=h.transaction_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Honour | None]:
        found = await evaluation.honours_by_ids(
            actor=info.context.actor, honour_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(h) if h else None for h in found]

    @strawberry.field(description="The grid or micro-grid (a central household's: its micro-grid).")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="Who received it (the area's leader, or the central household).")
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_id)

    @strawberry.field(description="The period.")
    async def period(self, info: Info) -> EvaluationPeriod | None:
        return await period_of(info, self.period_id)

    @strawberry.field(description="The bonus posting (visible to who may see the person's points).")
    async def transaction(self, info: Info) -> PointsTransaction | None:
        if self.transaction_id is None:
            return None
        found = await info.context.loaders.points_transaction.load(self.transaction_id)
        return PointsTransaction.from_model(found) if found else None
