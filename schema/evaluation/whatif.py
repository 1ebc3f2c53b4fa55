"""What-if (试算) of a scored period: its input, result types and mutation. Writes nothing."""

from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, Conflict, UserErrors
from schema.core.ids import id_field, require_key
from schema.evaluation.types import EvaluationPeriod, EvaluationScheme
from schema.evaluation.types.common import hundredths, person_of
from schema.grids import Area
from schema.people import Person
from services import evaluation
from services.enums import Dimension, HonourKind, Metric, Role
from services.evaluation.whatif import (
    EXITS_LIMIT,
    FLAGS_LIMIT,
    MOVES_LIMIT,
    EvaluationChanges,
    Flag,
    Move,
    WeightChange,
)


@strawberry.input(description="A dimension's weight to try.")
class WeightChangeInput:
    dimension: Dimension = strawberry.field(description="One of the four dimensions.")
    weight: int = strawberry.field(
        description="0-100; each role's four weights must still sum to 100."
    )
    role: Role | None = strawberry.field(
        default=None, description="For this evaluated role only (null: every evaluated role)."
    )


@strawberry.input(description="Points per unit of an activity metric (an item) to try.")
class MetricPointsChangeInput:
    metric: Metric = strawberry.field(description="The metric (TRAINING_ATTENDED included).")
    points: int = strawberry.field(description="Points per unit, 0-100.")


@strawberry.input(description="How many red flags of a kind each community would name.")
class RedFlagTopChangeInput:
    kind: HonourKind = strawberry.field(description="The honour.")
    top: int = strawberry.field(description="The top K of each community, 0-20.")


@strawberry.input(description="Rules to try; what is left out stays as the period's scheme has it.")
class EvaluationChangesInput:
    weights: list[WeightChangeInput] | None = strawberry.field(
        default=None, description="Dimension weights."
    )
    metric_points: list[MetricPointsChangeInput] | None = strawberry.field(
        default=None, description="Points per unit of activity metrics."
    )
    exit_threshold: int | None = strawberry.field(
        default=None, description="The exit threshold (a total below it is poor), 0-100."
    )
    red_flag_top: list[RedFlagTopChangeInput] | None = strawberry.field(
        default=None, description="Red flags per community, by kind."
    )


@strawberry.input(description="A scored or published period and the rules to try on it.")
class SimulateEvaluationInput:
    period_id: relay.GlobalID = id_field("EvaluationPeriod", description="The period.")
    changes: EvaluationChangesInput = strawberry.field(description="The rules to try.")


@strawberry.type(description="A role holder under the period's rules and under the changes.")
class SimulatedStanding:
    role: Role = strawberry.field(description="The evaluated role.")
    total: float = strawberry.field(description="Total now (out of 100).")
    simulated_total: float = strawberry.field(description="Total under the changes.")
    rank: int = strawberry.field(description="Community rank now (per role).")
    simulated_rank: int = strawberry.field(description="Community rank under the changes.")
    rank_change: int = strawberry.field(description="Places gained (negative: lost).")
    poor: bool = strawberry.field(description="Poor now (below the exit threshold or last).")
    simulated_poor: bool = strawberry.field(description="Poor under the changes.")
    person_id: strawberry.Private[int]
    area_id: strawberry.Private[int]

    @classmethod
    def build(cls, m: Move) -> SimulatedStanding:
        return cls(
            role=m.role,
            total=hundredths(m.total),
            simulated_total=hundredths(m.simulated_total),
            rank=m.rank,
            simulated_rank=m.simulated_rank,
            rank_change=m.rank_change,
            poor=m.poor,
            simulated_poor=m.simulated_poor,
            person_id=m.person_id,
            area_id=m.area_id,
        )

    @strawberry.field(description="The role holder.")
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_id)

    @strawberry.field(description="Where they hold the role.")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)


@strawberry.type(description="A red flag the period names (or would name under the changes).")
class SimulatedRedFlag:
    kind: HonourKind = strawberry.field(description="Which red flag.")
    rank: int = strawberry.field(description="Rank within the community.")
    score: float = strawberry.field(description="The score or total it is won with.")
    person_id: strawberry.Private[int | None]
    area_id: strawberry.Private[int]

    @classmethod
    def build(cls, f: Flag) -> SimulatedRedFlag:
        return cls(
            kind=f.kind,
            rank=f.rank,
            score=hundredths(f.score),
            person_id=f.person_id,
            area_id=f.area_id,
        )

    @strawberry.field(description="The receiver (the area's leader, or the central household).")
    async def person(self, info: Info) -> Person | None:
        return await person_of(info, self.person_id)

    @strawberry.field(description="The grid or micro-grid (a central household's: its own).")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)


@strawberry.type(
    description="The period under its own rules and under the changes, side by side. Nothing "
    "was written."
)
class SimulateEvaluationSuccess:
    period: EvaluationPeriod = strawberry.field(description="The period.")
    scheme: EvaluationScheme = strawberry.field(description="The period's own scheme.")
    simulated_scheme: EvaluationScheme = strawberry.field(description="The scheme tried.")
    evaluated: int = strawberry.field(description="Role holders evaluated in the period.")
    moved: int = strawberry.field(
        description="How many of them change total, rank or poor under the changes."
    )
    moves: list[SimulatedStanding] = strawberry.field(
        description=f"Those who change, largest rank change first (at most {MOVES_LIMIT})."
    )
    red_flags: list[SimulatedRedFlag] = strawberry.field(
        description=f"Red flags under the period's rules (at most {FLAGS_LIMIT})."
    )
    simulated_red_flags: list[SimulatedRedFlag] = strawberry.field(
        description=f"Red flags under the changes (at most {FLAGS_LIMIT})."
    )
    red_flag_count: int = strawberry.field(description="Red flags under the period's rules.")
    simulated_red_flag_count: int = strawberry.field(description="Red flags under the changes.")
    exit_reviews: list[SimulatedStanding] = strawberry.field(
        description="Holders up for exit review (poor now and in the previous published "
        f"quarter) under the period's rules (at most {EXITS_LIMIT})."
    )
    simulated_exit_reviews: list[SimulatedStanding] = strawberry.field(
        description=f"Holders up for exit review under the changes (at most {EXITS_LIMIT})."
    )
    exit_review_count: int = strawberry.field(description="Exit reviews under the period's rules.")
    simulated_exit_review_count: int = strawberry.field(
        description="Exit reviews under the changes."
    )


SimulateEvaluationResult = Annotated[
    SimulateEvaluationSuccess | UserErrors | Conflict,
    strawberry.union(
        "SimulateEvaluationResult", description="The simulation, or why it cannot be run."
    ),
]


def _changes(input: EvaluationChangesInput) -> EvaluationChanges:
    return EvaluationChanges(
        weights=[WeightChange(w.dimension, w.weight, w.role) for w in input.weights or []],
        metric_points=[(m.metric, m.points) for m in input.metric_points or []],
        exit_threshold=input.exit_threshold,
        red_flag_top=[(t.kind, t.top) for t in input.red_flag_top or []],
    )


@strawberry.type
class WhatIfMutation:
    @strawberry.mutation(
        description="Try rules on a scored or published period (试算): rankings, red flags and "
        "exit reviews under the changes beside the period's own. Writes nothing. Admins of the "
        "period's area (community admins on their community, street and district admins above)."
    )
    async def simulate_evaluation(
        self, info: Info, input: Annotated[SimulateEvaluationInput, MUTATION_INPUT]
    ) -> SimulateEvaluationResult:
        sim = await evaluation.simulate_evaluation(
            actor=info.context.actor,
            period_id=require_key(input.period_id, "EvaluationPeriod", "periodId"),
            changes=_changes(input.changes),
        )
        return SimulateEvaluationSuccess(
            period=EvaluationPeriod.from_model(sim.period),
            scheme=EvaluationScheme.build(sim.scheme, None),
            simulated_scheme=EvaluationScheme.build(sim.simulated_scheme, None),
            evaluated=sim.evaluated,
            moved=sim.moved,
            moves=[SimulatedStanding.build(m) for m in sim.moves],
            red_flags=[SimulatedRedFlag.build(f) for f in sim.red_flags],
            simulated_red_flags=[SimulatedRedFlag.build(f) for f in sim.simulated_red_flags],
            red_flag_count=sim.red_flag_count,
            simulated_red_flag_count=sim.simulated_red_flag_count,
            exit_reviews=[SimulatedStanding.build(m) for m in sim.exit_reviews],
            simulated_exit_reviews=[SimulatedStanding.build(m) for m in sim.simulated_exit_reviews],
            exit_review_count=sim.exit_review_count,
            simulated_exit_review_count=sim.simulated_exit_review_count,
        )
