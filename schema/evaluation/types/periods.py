"""Evaluation periods: a quarter evaluated for an area."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.ids import area_key, id_argument
from schema.evaluation.types.schemes import EvaluationScheme
from schema.grids import Area
from services import evaluation, models
from services.enums import PeriodStatus


@strawberry.type(
    description="A quarter evaluated for a district, street or community: OPEN → SCORING → "
    "PUBLISHED. Periods of one quarter never overlap in the tree."
)
class EvaluationPeriod(relay.Node):
    id: relay.NodeID[int]
    quarter: str = strawberry.field(description='The quarter, e.g. "2026Q4" (local time).')
    status: PeriodStatus = strawberry.field(description="Where it stands.")
    opened_at: datetime = strawberry.field(description="When it was opened.")
    scoring_started_at: datetime | None = strawberry.field(
        description="When scoring started (the ledger and metrics were read then)."
    )
    published_at: datetime | None = strawberry.field(description="When it was published.")
    scored_early_reason: str | None = strawberry.field(
        description="Why an admin scored it before its quarter was over (null: after the end)."
    )
    published_early_reason: str | None = strawberry.field(
        description="Why an admin published it before its quarter was over (null: after the end)."
    )
    area_id: strawberry.Private[int]
    model: strawberry.Private[models.EvaluationPeriod]

    @classmethod
    def from_model(cls, p: models.EvaluationPeriod) -> EvaluationPeriod:
        return cls(
            id=p.id,
            quarter=p.quarter,
            status=p.status,
            opened_at=p.opened_at,
            scoring_started_at=p.scoring_started_at,
            published_at=p.published_at,
            scored_early_reason=p.scored_early_reason,
            published_early_reason=p.published_early_reason,
            area_id=p.area_id,
            model=p,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[EvaluationPeriod | None]:
        if info.context.actor is None:
            return [None for _ in node_ids]
        found = await evaluation.periods_by_ids(period_ids=[int(i) for i in node_ids])
        return [cls.from_model(p) if p else None for p in found]

    @strawberry.field(description="The area evaluated.")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(
        description="The scheme it is scored by (the version in force when it opened), with "
        "the detailed rules of `community` if given."
    )
    async def scheme(
        self,
        info: Info,
        community: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="A community of the period, for its detailed rules."),
        ] = None,
    ) -> EvaluationScheme:
        # The versions of a page of periods are read together.
        versions = await info.context.loaders.scheme_version.load_many(
            evaluation.version_ids(self.model)
        )
        rules = evaluation.rules_from(self.model, {v.id: v for v in versions if v is not None})
        key = area_key(community, "community")
        return EvaluationScheme.build(
            rules.scheme, rules.details_for(key) if key is not None else None
        )


async def period_of(info: Info, period_id: int) -> EvaluationPeriod | None:
    found = await info.context.loaders.evaluation_period.load(period_id)
    return EvaluationPeriod.from_model(found) if found else None
