"""The evaluation scheme (评估办法) and a community's detailed rules (评估细则)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from schema.core.context import Info
from schema.grids import Area
from services import evaluation
from services.enums import Dimension, HonourKind, Metric, Role


@strawberry.type(description="A dimension of a role's evaluation.")
class DimensionWeight:
    dimension: Dimension = strawberry.field(description="The dimension.")
    weight: int = strawberry.field(description="Its weight; a role's weights sum to 100.")
    max_score: int = strawberry.field(description="The most points it can score.")


@strawberry.type(description="How one evaluated role is scored.")
class RoleScheme:
    role: Role = strawberry.field(description="The evaluated role.")
    dimensions: list[DimensionWeight] = strawberry.field(description="Its four dimensions.")


@strawberry.type(description="How many red flags of a kind each community names per quarter.")
class HonourRule:
    kind: HonourKind = strawberry.field(description="The honour.")
    top: int = strawberry.field(description="The top K of each community (0: none).")
    bonus_points: int = strawberry.field(
        description="Points posted to the receiver (the area's leader, or the central household)."
    )


@strawberry.type(description="Points per unit of an activity metric in the quarter.")
class MetricRule:
    metric: Metric = strawberry.field(description="The metric.")
    dimension: Dimension = strawberry.field(description="The dimension it counts in.")
    points: int = strawberry.field(description="Points per unit (0: shown, not scored).")


@strawberry.type(description="A points rule as a community's detailed rules count it.")
class RuleLink:
    rule_code: str = strawberry.field(description="The points rule's code.")
    dimension: Dimension | None = strawberry.field(
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
    dimension: Dimension = strawberry.field(description="The dimension it counts in.")
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
        return await Area.load(info, self.community_id)


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
