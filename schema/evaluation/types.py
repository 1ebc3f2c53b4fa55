"""GraphQL types of the evaluation scheme: schemes, periods, results, honours, exit, training."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import describe_values
from schema.core.ids import area_key, id_argument
from schema.grids import Area, AreaLevel
from schema.people import Person, Role
from schema.points import Dimension, PointsTransaction
from services import evaluation
from services.enums import ExitReviewStatus as ExitReviewStatusEnum
from services.enums import HonourKind as HonourKindEnum
from services.enums import Metric as MetricEnum
from services.enums import ObjectionStatus as ObjectionStatusEnum
from services.enums import PeriodStatus as PeriodStatusEnum

PeriodStatus = strawberry.enum(
    PeriodStatusEnum, name="EvaluationPeriodStatus", description="Where a period stands."
)
describe_values(
    PeriodStatus,
    {
        "OPEN": "Opened: the quarter's work counts; nothing is scored yet.",
        "SCORING": "Scored from the ledger and metrics; admins adjust, holders object.",
        "PUBLISHED": "Published and locked: ranks, red flags and exit reviews are final.",
    },
)
HonourKind = strawberry.enum(HonourKindEnum, description="The quarterly red-flag honours.")
describe_values(
    HonourKind,
    {
        "RED_FLAG_GRID": "Red flag grid (红旗网格).",
        "RED_FLAG_MICRO_GRID": "Red flag micro-grid (红旗微网格).",
        "RED_FLAG_CENTRAL_HOUSEHOLD": "Red flag central household (红旗中心户).",
    },
)
Metric = strawberry.enum(
    MetricEnum, description="Activity counted outside the points ledger, per quarter."
)
describe_values(
    Metric,
    {
        "TRAINING_ATTENDED": "Training sessions attended (MANAGEMENT_SERVICE).",
        "NOTICES_ACKNOWLEDGED": "Notices acknowledged (POLICY_COMMUNICATION).",
        "REPORTS_VERIFIED": "Problem reports verified by the grid leader, as the reporter "
        "(INFORMATION_REPORTING).",
        "ORDERS_WITHIN_SLA": "Work orders confirmed with accept and resolve times within their "
        "SLA, as the handler (PROBLEM_HANDLING).",
    },
)
ObjectionStatus = strawberry.enum(ObjectionStatusEnum, description="Where an objection stands.")
describe_values(
    ObjectionStatus,
    {
        "OPEN": "Waiting for an admin.",
        "UPHELD": "Upheld: the adjustment was withdrawn.",
        "REJECTED": "Rejected: the adjustment stands.",
    },
)
ExitReviewStatus = strawberry.enum(
    ExitReviewStatusEnum, description="Where a dynamic-exit review (动态退出) stands."
)
describe_values(
    ExitReviewStatus,
    {
        "OPEN": "Flagged: an admin ends the role (endRole) or clears the flag.",
        "CLEARED": "Cleared by an admin, with a reason: the holder stays.",
        "ROLE_ENDED": "The role was ended (the reason is kept on the role).",
    },
)


@strawberry.enum(description="Where the points of a dimension score came from.")
class ScoreSource(Enum):
    RULE = strawberry.enum_value("RULE", description="Ledger credit of a points rule.")
    METRIC = strawberry.enum_value(
        "METRIC", description="An activity metric (e.g. TRAINING_ATTENDED)."
    )
    ITEM = strawberry.enum_value("ITEM", description="An admin's score of a manual item.")
    ADJUSTMENT = strawberry.enum_value("ADJUSTMENT", description="A manual adjustment.")


def hundredths(value: int) -> float:
    """A total kept in hundredths, as the 0-100 figure people read."""
    return round(value / 100, 2)


# --- the scheme ----------------------------------------------------------------------------


@strawberry.type(description="A dimension of a role's evaluation.")
class DimensionWeight:
    dimension: Dimension = strawberry.field(description="The dimension.")  # type: ignore[valid-type]
    weight: int = strawberry.field(description="Its weight; a role's weights sum to 100.")
    max_score: int = strawberry.field(description="The most points it can score.")


@strawberry.type(description="How one evaluated role is scored.")
class RoleScheme:
    role: Role = strawberry.field(description="The evaluated role.")
    dimensions: list[DimensionWeight] = strawberry.field(description="Its four dimensions.")


@strawberry.type(description="How many red flags of a kind each community names per quarter.")
class HonourRule:
    kind: HonourKind = strawberry.field(description="The honour.")  # type: ignore[valid-type]
    top: int = strawberry.field(description="The top K of each community (0: none).")
    bonus_points: int = strawberry.field(
        description="Points posted to the receiver (the area's leader, or the central household)."
    )


@strawberry.type(description="Points per unit of an activity metric in the quarter.")
class MetricRule:
    metric: Metric = strawberry.field(description="The metric.")  # type: ignore[valid-type]
    dimension: Dimension = strawberry.field(  # type: ignore[valid-type]
        description="The dimension it counts in."
    )
    points: int = strawberry.field(description="Points per unit (0: shown, not scored).")


@strawberry.type(description="A points rule as a community's detailed rules count it.")
class RuleLink:
    rule_code: str = strawberry.field(description="The points rule's code.")
    dimension: Dimension | None = strawberry.field(  # type: ignore[valid-type]
        description="The dimension it counts in (null: the rule's own)."
    )
    cap: int | None = strawberry.field(
        description="The most its credit adds to that dimension per quarter (null: no cap; "
        "penalties are never capped)."
    )


@strawberry.type(description="A manual item of the detailed rules, scored by an admin (0..max).")
class ManualItem:
    code: str = strawberry.field(description="Stable code, e.g. MONTHLY_MEETING.")
    name: str = strawberry.field(description="What it scores, e.g. 参加月度例会.")
    dimension: Dimension = strawberry.field(description="The dimension it counts in.")  # type: ignore[valid-type]
    max_score: int = strawberry.field(description="Its most points.")


@strawberry.type(
    description="A community's detailed rules (评估细则): how its points rules count and its "
    "manual items. Without any, every rule counts uncapped in its own dimension."
)
class DetailedRules:
    version: int = strawberry.field(description="Version (0: none written yet).")
    created_at: datetime | None = strawberry.field(description="When this version was written.")
    points_rules: list[RuleLink] = strawberry.field(description="Rules mapped or capped.")
    manual_items: list[ManualItem] = strawberry.field(description="Items admins score.")
    community_id: strawberry.Private[int]

    @classmethod
    def from_details(cls, d: evaluation.Details) -> DetailedRules:
        return cls(
            version=d.version,
            created_at=d.created_at,
            points_rules=[
                RuleLink(rule_code=r.rule_code, dimension=r.dimension, cap=r.cap)
                for r in d.rule_links
            ],
            manual_items=[
                ManualItem(code=i.code, name=i.name, dimension=i.dimension, max_score=i.max_score)
                for i in d.manual_items
            ],
            community_id=d.community_id,
        )

    @strawberry.field(description="The community.")
    async def community(self, info: Info) -> Area | None:
        return Area.from_model(await info.context.loaders.area.load(self.community_id))


@strawberry.type(
    description="The evaluation scheme (评估办法) set by the district: per evaluated role the "
    "four dimensions with weights and maximum scores, the red flags, the training points and "
    "the exit threshold; with the detailed rules of a community when asked under one. Every "
    "change is a new version; a period is scored by the versions in force when it opened."
)
class EvaluationScheme:
    version: int = strawberry.field(description="Version (0: the built-in default).")
    created_at: datetime | None = strawberry.field(description="When this version was written.")
    roles: list[RoleScheme] = strawberry.field(description="How each evaluated role is scored.")
    honours: list[HonourRule] = strawberry.field(description="Red flags per community.")
    training_points: int = strawberry.field(
        description="Points per training session attended in the quarter (MANAGEMENT_SERVICE)."
    )
    exit_threshold: int = strawberry.field(
        description="A total (out of 100) below this is poor; poor in two consecutive "
        "published quarters (or last of two or more in the community) flags dynamic exit."
    )
    metric_points: list[MetricRule] = strawberry.field(
        description="Points per unit of the other activity metrics (notices acknowledged, "
        "reports verified, work orders within SLA). Acknowledgements and verified reports earn "
        "ledger points by rule as well, so their default here is 0."
    )
    detailed_rules: DetailedRules | None = strawberry.field(
        description="The community's detailed rules (null above community level)."
    )

    @classmethod
    def build(
        cls, scheme: evaluation.Scheme, details: evaluation.Details | None
    ) -> EvaluationScheme:
        return cls(
            version=scheme.version,
            created_at=scheme.created_at,
            roles=[
                RoleScheme(
                    role=r.role,
                    dimensions=[
                        DimensionWeight(
                            dimension=d.dimension, weight=d.weight, max_score=d.max_score
                        )
                        for d in r.dimensions
                    ],
                )
                for r in scheme.roles
            ],
            honours=[
                HonourRule(kind=h.kind, top=h.top, bonus_points=h.bonus_points)
                for h in scheme.honours
            ],
            training_points=scheme.training_points,
            exit_threshold=scheme.exit_threshold,
            metric_points=[
                MetricRule(metric=m.metric, dimension=m.dimension, points=m.points)
                for m in scheme.metric_points
            ],
            detailed_rules=DetailedRules.from_details(details) if details is not None else None,
        )


# --- periods and results -------------------------------------------------------------------


@strawberry.type(
    description="A quarter evaluated for a district, street or community: OPEN → SCORING → "
    "PUBLISHED. Periods of one quarter never overlap in the tree."
)
class EvaluationPeriod(relay.Node):
    id: relay.NodeID[int]
    quarter: str = strawberry.field(description='The quarter, e.g. "2026Q4" (local time).')
    status: PeriodStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    opened_at: datetime = strawberry.field(description="When it was opened.")
    scoring_started_at: datetime | None = strawberry.field(
        description="When scoring started (the ledger and metrics were read then)."
    )
    published_at: datetime | None = strawberry.field(description="When it was published.")
    area_id: strawberry.Private[int]
    model: strawberry.Private[Any]

    @classmethod
    def from_model(cls, p: Any) -> EvaluationPeriod:
        return cls(
            id=p.id,
            quarter=p.quarter,
            status=p.status,
            opened_at=p.opened_at,
            scoring_started_at=p.scoring_started_at,
            published_at=p.published_at,
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
        return Area.from_model(await info.context.loaders.area.load(self.area_id))

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


async def _period(info: Info, period_id: int) -> EvaluationPeriod | None:
    found = await info.context.loaders.evaluation_period.load(period_id)
    return EvaluationPeriod.from_model(found) if found else None


@strawberry.type(description="What one source added to a dimension score.")
class ScoreDetail:
    kind: ScoreSource = strawberry.field(description="The kind of source.")
    label: str = strawberry.field(description="The rule code, metric, or the item and reason.")
    points: int = strawberry.field(
        description="What the source brought: the rule's credit before its cap, the metric's "
        "count (e.g. sessions attended), the item's or adjustment's points."
    )
    counted: int = strawberry.field(description="Points it counted for in the dimension.")


@strawberry.type(description="A dimension of an evaluation.")
class DimensionScore:
    dimension: Dimension = strawberry.field(description="The dimension.")  # type: ignore[valid-type]
    weight: int = strawberry.field(description="Its weight (a role's weights sum to 100).")
    max_score: int = strawberry.field(description="Its maximum.")
    raw: int = strawberry.field(description="The sum of what was counted, before clamping.")
    score: int = strawberry.field(description="raw clamped to 0..maxScore.")
    details: list[ScoreDetail] = strawberry.field(description="Where the points came from.")


@strawberry.type(description="An objection of a role holder to a manual adjustment.")
class EvaluationObjection(relay.Node):
    id: relay.NodeID[int]
    reason: str = strawberry.field(description="Why the holder objects.")
    status: ObjectionStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
    resolution: str | None = strawberry.field(description="The admin's reason.")
    created_at: datetime = strawberry.field(description="When it was raised.")
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    resolved_by_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, o: Any) -> EvaluationObjection:
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
        return await _person(info, self.resolved_by_id)


async def _person(info: Info, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    found = await info.context.loaders.holder.load(person_id)
    return Person.from_model(found, full=None) if found else None


@strawberry.type(
    description="A manual change to a dimension score: the score of a manual item (a new "
    "score replaces the old) or a free adjustment, with the reason and the admin."
)
class EvaluationAdjustment(relay.Node):
    id: relay.NodeID[int]
    dimension: Dimension = strawberry.field(description="The dimension.")  # type: ignore[valid-type]
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
    def from_model(cls, a: Any) -> EvaluationAdjustment:
        return cls(
            id=a.id,
            dimension=a.dimension,
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
        return await _person(info, self.made_by_id)

    @strawberry.field(description="Objections to it, oldest first.")
    async def objections(self, info: Info) -> list[EvaluationObjection]:
        found = await info.context.loaders.evaluation_objections.load(self.id)
        return [EvaluationObjection.from_model(o) for o in found]


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
    scores: strawberry.Private[str]

    @classmethod
    def from_model(cls, r: Any) -> Evaluation:
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
            scores=r.scores,
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
        return [
            DimensionScore(
                dimension=d["dimension"],
                weight=d["weight"],
                max_score=d["max"],
                raw=d["raw"],
                score=d["score"],
                details=[
                    ScoreDetail(
                        kind=ScoreSource(p["kind"]),
                        label=p["label"],
                        points=p["points"],
                        counted=p["counted"],
                    )
                    for p in d["details"]
                ],
            )
            for d in json.loads(self.scores)
        ]

    @strawberry.field(description="Manual adjustments (withdrawn ones too), oldest first.")
    async def adjustments(self, info: Info) -> list[EvaluationAdjustment]:
        found = await info.context.loaders.evaluation_adjustments.load(self.id)
        return [EvaluationAdjustment.from_model(a) for a in found]

    @strawberry.field(description="The person evaluated.")
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self.person_id)

    @strawberry.field(description="The area of the role (grid or micro-grid).")
    async def area(self, info: Info) -> Area | None:
        return Area.from_model(await info.context.loaders.area.load(self.area_id))

    @strawberry.field(description="The period.")
    async def period(self, info: Info) -> EvaluationPeriod | None:
        return await _period(info, self.period_id)


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
    def from_model(cls, e: Any) -> AreaEvaluation:
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
        return Area.from_model(await info.context.loaders.area.load(self.area_id))


@strawberry.type(
    description="A red-flag honour of a published period. Each community's top K (see the "
    "scheme) among those that evaluated well: areas scoring at least the exit threshold, "
    "central households not poor. Its bonus points go through the ledger to the receiver."
)
class Honour(relay.Node):
    id: relay.NodeID[int]
    kind: HonourKind = strawberry.field(description="Which red flag.")  # type: ignore[valid-type]
    quarter: str = strawberry.field(description="The quarter.")
    rank: int = strawberry.field(description="Rank within the community.")
    score: float = strawberry.field(description="The score or total it was won with.")
    bonus_points: int = strawberry.field(description="Points posted to the receiver.")
    area_id: strawberry.Private[int]
    person_id: strawberry.Private[int | None]
    period_id: strawberry.Private[int]
    transaction_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, h: Any) -> Honour:
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
        return Area.from_model(await info.context.loaders.area.load(self.area_id))

    @strawberry.field(description="Who received it (the area's leader, or the central household).")
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self.person_id)

    @strawberry.field(description="The period.")
    async def period(self, info: Info) -> EvaluationPeriod | None:
        return await _period(info, self.period_id)

    @strawberry.field(description="The bonus posting (visible to who may see the person's points).")
    async def transaction(self, info: Info) -> PointsTransaction | None:
        if self.transaction_id is None:
            return None
        found = await info.context.loaders.points_transaction.load(self.transaction_id)
        return PointsTransaction.from_model(found) if found else None


@strawberry.type(
    description="A role holder flagged for dynamic exit (动态退出): poor in two consecutive "
    "published quarters (below the exit threshold, or last of two or more in their role in "
    "the community). An admin ends the role (endRole) or clears the flag (clearExitReview)."
)
class ExitReview(relay.Node):
    id: relay.NodeID[int]
    role: Role = strawberry.field(description="The role under review.")
    reason: str = strawberry.field(description="The two results that flagged it.")
    status: ExitReviewStatus = strawberry.field(description="Where it stands.")  # type: ignore[valid-type]
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
    def from_model(cls, r: Any) -> ExitReview:
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
        return await _person(info, self.person_id)

    @strawberry.field(description="The area of the role.")
    async def area(self, info: Info) -> Area | None:
        return Area.from_model(await info.context.loaders.area.load(self.area_id))

    @strawberry.field(description="The evaluation of the period that flagged it.")
    async def evaluation(self, info: Info) -> Evaluation | None:
        return await _evaluation(info, self.result_id)

    @strawberry.field(description="The previous quarter's evaluation.")
    async def previous_evaluation(self, info: Info) -> Evaluation | None:
        return await _evaluation(info, self.previous_result_id)


async def _evaluation(info: Info, result_id: int) -> Evaluation | None:
    found = await info.context.loaders.evaluation.load(result_id)
    return Evaluation.from_model(found) if found else None


# --- training ------------------------------------------------------------------------------


@strawberry.type(
    description="A training session (培训) organised by a district, street or community."
)
class TrainingSession(relay.Node):
    id: relay.NodeID[int]
    level: AreaLevel = strawberry.field(description="The organiser's level.")
    topic: str = strawberry.field(description="What it is about.")
    place: str = strawberry.field(description="Where.")
    starts_at: datetime = strawberry.field(description="When it begins.")
    area_id: strawberry.Private[int]
    model: strawberry.Private[Any]

    @classmethod
    def from_model(cls, s: Any) -> TrainingSession:
        return cls(
            id=s.id,
            level=s.level,
            topic=s.topic,
            place=s.place,
            starts_at=s.starts_at,
            area_id=s.area_id,
            model=s,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TrainingSession | None]:
        if info.context.actor is None:
            return [None for _ in node_ids]
        found = await evaluation.sessions_by_ids(session_ids=[int(i) for i in node_ids])
        return [cls.from_model(s) if s else None for s in found]

    @strawberry.field(description="The organising area.")
    async def area(self, info: Info) -> Area | None:
        return Area.from_model(await info.context.loaders.area.load(self.area_id))

    @strawberry.field(description="How many attended.")
    async def attendance_count(self, info: Info) -> int:
        return int(await info.context.loaders.attendance_count.load(self.id))

    @strawberry.field(description="Who attended (admins and leaders of the organising area).")
    async def attendees(self, info: Info) -> list[Person]:
        ids = await evaluation.attendees(actor=info.context.actor, session=self.model)
        found = await info.context.loaders.holder.load_many(ids)
        return [Person.from_model(p, full=None) for p in found if p is not None]


@strawberry.type(description="Training coverage of an area: role holders trained in a year.")
class TrainingCoverage:
    year: int = strawberry.field(description="The year (local calendar).")
    holders: int = strawberry.field(
        description="Grid leaders, micro-grid leaders and central households in the area now."
    )
    trained: int = strawberry.field(description="Those of them who attended training that year.")
    share: float = strawberry.field(description="trained / holders (0..1; 0 without holders).")

    @classmethod
    def from_coverage(cls, c: evaluation.TrainingCoverage) -> TrainingCoverage:
        return cls(year=c.year, holders=c.holders, trained=c.trained, share=c.share)
