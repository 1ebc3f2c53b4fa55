"""Evaluations of role holders and of grids and micro-grids in a period."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.evaluation.enums import ScoreSource
from schema.evaluation.types.adjustments import EvaluationAdjustment
from schema.evaluation.types.common import hundredths, person_of
from schema.evaluation.types.periods import EvaluationPeriod, period_of
from schema.grids import Area
from schema.people import Person
from services import evaluation, models
from services.enums import AreaLevel, Dimension, Role


@strawberry.type(description="What one source added to a dimension score.")
class ScoreDetail:
    kind: ScoreSource = strawberry.field(description="The kind of source.")
    label: str = strawberry.field(description="The rule code, metric, or the item and reason.")
    points: int = strawberry.field(
        description="What the source brought: the rule's credit before its cap, the metric's "
        "count (e.g. sessions attended), the item's or adjustment's points."
    )
    counted: int = strawberry.field(description="Points it counted for in the dimension.")

    @classmethod
    def from_part(cls, p: evaluation.Part) -> ScoreDetail:
        return cls(kind=ScoreSource(p.kind), label=p.label, points=p.points, counted=p.counted)


@strawberry.type(description="A dimension of an evaluation.")
class DimensionScore:
    dimension: Dimension = strawberry.field(description="The dimension.")
    weight: int = strawberry.field(description="Its weight (a role's weights sum to 100).")
    max_score: int = strawberry.field(description="Its maximum.")
    raw: int = strawberry.field(description="The sum of what was counted, before clamping.")
    score: int = strawberry.field(description="raw clamped to 0..maxScore.")
    details: list[ScoreDetail] = strawberry.field(description="Where the points came from.")

    @classmethod
    def from_score(cls, d: evaluation.DimensionScore) -> DimensionScore:
        return cls(
            dimension=d.dimension,
            weight=d.weight,
            max_score=d.max_score,
            raw=d.raw,
            score=d.score,
            details=[ScoreDetail.from_part(p) for p in d.details],
        )


@strawberry.type(
    description="The evaluation of a role holder in a period. Totals are out of 100: the "
    "weighted sum of score / maxScore over the four dimensions. Ranks are per role, within "
    "the community and within the street, by total, then the plain sum of the dimension "
    "scores, then the earlier appointment; every rank is distinct. Shown to the holder and "
    "the admins of the area while scoring, and within the community once published."
)
class Evaluation(relay.Node):
    id: relay.NodeID[int]
    role: Role = strawberry.field(description="The evaluated role.")
    quarter: str = strawberry.field(description="The quarter.")
    total: float = strawberry.field(description="Weighted total out of 100 (2 decimals).")
    rank: int | None = strawberry.field(description="Rank within the community (= communityRank).")
    community_rank: int | None = strawberry.field(description="Rank within the community.")
    street_rank: int | None = strawberry.field(
        description="Rank within the street, among those the period evaluates."
    )
    poor: bool = strawberry.field(
        description="Below the exit threshold, or last of two or more in the community."
    )
    trained: bool = strawberry.field(description="Attended training in the quarter's year.")
    person_id: strawberry.Private[int]
    area_id: strawberry.Private[int]
    period_id: strawberry.Private[int]
    model: strawberry.Private[models.EvaluationResult]

    @classmethod
    def from_model(cls, r: models.EvaluationResult) -> Evaluation:
        return cls(
            id=r.id,
            role=r.role,
            quarter=r.quarter,
            total=hundredths(r.total),
            rank=r.community_rank,
            community_rank=r.community_rank,
            street_rank=r.street_rank,
            poor=bool(r.poor),
            trained=bool(r.trained),
            person_id=r.person_id,
            area_id=r.area_id,
            period_id=r.period_id,
            model=r,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Evaluation | None]:
        found = await evaluation.results_by_ids(
            actor=info.context.actor, result_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(r) if r else None for r in found]

    @strawberry.field(description="The four dimensions with their scores and details.")
    def dimensions(self) -> list[DimensionScore]:
        return [DimensionScore.from_score(d) for d in evaluation.dimension_scores(self.model)]

    @strawberry.field(description="Manual adjustments (withdrawn ones too), oldest first.")
    async def adjustments(self, info: Info) -> list[EvaluationAdjustment]:
        found = await info.context.loaders.evaluation_adjustments.load(self.id)
        return [EvaluationAdjustment.from_model(a) for a in found]

    @strawberry.field(description="The person evaluated.")
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_id)

    @strawberry.field(description="The area of the role (grid or micro-grid).")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="The period.")
    async def period(self, info: Info) -> EvaluationPeriod | None:
        return await period_of(info, self.period_id)


@strawberry.type(
    description="The result of a grid or micro-grid in a period: score = 0.8 × the mean "
    "total of its evaluated role holders (a grid: its grid leader, micro-grid leaders and "
    "central households; a micro-grid: its leader and central households) + 0.2 × its "
    "activity, where activity is the mean of its central-household coverage, its training "
    "coverage (share of those holders trained in the year) and, when work orders handled in "
    "it were confirmed in the quarter, their share on time and their satisfaction (mean "
    "rating / 5), all out of 100. Ranked within "
    "the community and level by score, then the holders' mean, then the older area."
)
class AreaEvaluation:
    level: AreaLevel = strawberry.field(description="GRID or MICRO_GRID.")
    score: float = strawberry.field(description="Score out of 100 (2 decimals).")
    holders: int = strawberry.field(description="Role holders evaluated in it.")
    holders_mean: float = strawberry.field(description="Their mean total.")
    activity: float = strawberry.field(description="Its activity figure out of 100.")
    rank: int | None = strawberry.field(description="Rank within the community and level.")
    area_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, e: models.AreaEvaluation) -> AreaEvaluation:
        return cls(
            level=e.level,
            score=hundredths(e.score),
            holders=e.holders,
            holders_mean=hundredths(e.holders_mean),
            activity=hundredths(e.activity),
            rank=e.community_rank,
            area_id=e.area_id,
        )

    @strawberry.field(description="The grid or micro-grid.")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)


async def evaluation_of(info: Info, result_id: int) -> Evaluation | None:
    found = await info.context.loaders.evaluation.load(result_id)
    return Evaluation.from_model(found) if found else None
