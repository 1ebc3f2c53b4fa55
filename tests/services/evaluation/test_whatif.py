"""What-if (services.evaluation.whatif): a scored period under changed rules, nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from services import evaluation
from services.enums import Dimension, HonourKind, Metric, PeriodStatus, Role
from services.errors import Conflict, Forbidden, InvalidInput
from services.evaluation import EvaluationChanges, WeightChange
from services.kit import db as kit_db
from services.models import (
    Area,
    EvaluationHonour,
    EvaluationPeriod,
    EvaluationResult,
    RoleAssignment,
)
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import (
    CODES,
    MANAGEMENT,
    POLICY,
    PROBLEMS,
    SIBLING,
    give,
    holders,
    local,
    make_rules,
    open_period,
    publish,
    scored,
    set_scheme,
    training,
)
from tests.services.points_support import Clock

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

TABLES = (
    "evaluation_period",
    "evaluation_result",
    "area_evaluation",
    "evaluation_adjustment",
    "evaluation_honour",
    "exit_review",
    "evaluation_scheme",
    "points_transaction",
    "points_entry",
    "points_account",
)
# Problem handling weighs most: 70, the three others 10 each.
PROBLEMS_FIRST = [
    WeightChange(PROBLEMS, 70),
    WeightChange(POLICY, 10),
    WeightChange(MANAGEMENT, 10),
    WeightChange(Dimension.INFORMATION_REPORTING, 10),
]


async def _snapshot() -> dict[str, Any]:
    """Row counts of the tables a simulation could touch, the ledger head, every total/rank."""
    counts: dict[str, Any] = {
        t: int((await kit_db.fetch(f"SELECT COUNT(*) AS n FROM {t}", []))[0]["n"]) for t in TABLES
    }
    head = await kit_db.fetch("SELECT MAX(id) AS head FROM points_transaction", [])
    counts["ledger_head"] = head[0]["head"]
    counts["results"] = (
        await EvaluationResult.all()
        .order_by("id")
        .values_list("id", "total", "community_rank", "street_rank", "poor", "scores")
    )
    return counts


async def _households_period(
    clock: Clock,
) -> tuple[EvaluationPeriod, RoleAssignment, RoleAssignment]:
    """The sibling community's 2025Q1, published with one red-flag household: `policy` ahead
    on policy communication (30 points) of `problems` on problem handling (20)."""
    await set_scheme(
        exit_threshold=0,
        honours={
            HonourKind.RED_FLAG_GRID: (1, 50),
            HonourKind.RED_FLAG_MICRO_GRID: (1, 30),
            HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD: (1, 20),
        },
    )
    await make_rules()
    households = await holders(SIBLING, Role.CENTRAL_HOUSEHOLD)
    policy, problems = households[0], households[1]
    await give(clock, "2025Q1", policy.person_id, CODES[POLICY], 30)
    await give(clock, "2025Q1", problems.person_id, CODES[PROBLEMS], 20)
    period = await publish(await scored(SIBLING, "2025Q1"))
    return period, policy, problems


class TestSimulateEvaluation:
    """simulate_evaluation: side by side, validated, scoped, read-only."""

    async def test_unchanged_rules_reproduce_the_stored_ranks_and_red_flags(
        self, db: Database, clock: Clock
    ) -> None:
        # given a published period
        period, policy, _ = await _households_period(clock)
        # when it is simulated without changes
        sim = await evaluation.simulate_evaluation(
            actor=await actor_for("street_admin"), period_id=period.id, changes=EvaluationChanges()
        )
        # then nobody moves, and the current side is what publishing stored
        assert (sim.moved, sim.moves) == (0, [])
        stored = await EvaluationResult.filter(period_id=period.id)
        assert sim.evaluated == len(stored)
        honours = await EvaluationHonour.filter(period_id=period.id)
        assert sorted((h.kind, h.area_id, h.person_id, h.rank, h.score) for h in honours) == sorted(
            (f.kind, f.area_id, f.person_id, f.rank, f.score) for f in sim.red_flags
        )
        assert sim.simulated_red_flags == sim.red_flags
        assert any(f.person_id == policy.person_id for f in sim.red_flags)

    async def test_both_sides_keep_the_stored_area_scores_where_the_holders_did_not_move(
        self, db: Database, clock: Clock
    ) -> None:
        # given a published period whose stored grid score is one hundredth off what its
        # rounded activity gives (as ~4% of areas are: scoring used the exact activity)
        period, _, _ = await _households_period(clock)
        grid = await kit_db.fetch(
            "SELECT area_id, score FROM area_evaluation WHERE period_id = ? AND level = 'GRID' "
            "AND community_rank = 1 AND holders > 0",
            [period.id],
        )
        area_id, score = int(grid[0]["area_id"]), int(grid[0]["score"])
        await kit_db.execute(
            "UPDATE area_evaluation SET score = score + 1, activity = activity - 1 "
            "WHERE period_id = ? AND area_id = ?",
            [period.id, area_id],
        )
        # when it is simulated without changes
        sim = await evaluation.simulate_evaluation(
            actor=await actor_for("street_admin"), period_id=period.id, changes=EvaluationChanges()
        )
        # then both sides show the stored score, not one recomputed from the rounded activity
        flags = [f for f in sim.red_flags if f.kind is HonourKind.RED_FLAG_GRID]
        assert [(f.area_id, f.score) for f in flags] == [(area_id, score + 1)]
        assert sim.simulated_red_flags == sim.red_flags

    async def test_training_points_count_when_the_period_gave_training_none(
        self, db: Database, clock: Clock
    ) -> None:
        # given a period scored at 0 points per training session, one household trained twice
        await set_scheme(exit_threshold=0, training_points=0)
        await make_rules()
        trained = (await holders(SIBLING, Role.CENTRAL_HOUSEHOLD))[0]
        await training(SIBLING, trained.person_id, at=local(2025, 1, 10))
        await training(SIBLING, trained.person_id, at=local(2025, 2, 10))
        period = await scored(SIBLING, "2025Q1")
        stored = await EvaluationResult.get(period_id=period.id, assignment_id=trained.id)
        # when training is tried at 10 points a session
        sim = await evaluation.simulate_evaluation(
            actor=await actor_for("street_admin"),
            period_id=period.id,
            changes=EvaluationChanges(metric_points=[(Metric.TRAINING_ATTENDED, 10)]),
        )
        # then the trained household's total rises, from the stored total
        move = next(m for m in sim.moves if m.person_id == trained.person_id)
        assert move.total == stored.total
        assert move.simulated_total > move.total

    async def test_raising_problem_handling_moves_the_red_flag_and_writes_nothing(
        self, db: Database, clock: Clock
    ) -> None:
        # given the policy household holding the one red flag of households
        period, policy, problems = await _households_period(clock)
        before = await _snapshot()
        # when problem handling weighs 70 and the exit threshold is tried at 5
        sim = await evaluation.simulate_evaluation(
            actor=await actor_for("street_admin"),
            period_id=period.id,
            changes=EvaluationChanges(weights=PROBLEMS_FIRST, exit_threshold=5),
        )
        # then the problems household overtakes it: 7.50 → 3.00 and 5.00 → 14.00
        moves = {m.person_id: m for m in sim.moves}
        assert (moves[policy.person_id].total, moves[policy.person_id].simulated_total) == (
            750,
            300,
        )
        assert (moves[problems.person_id].total, moves[problems.person_id].simulated_total) == (
            500,
            1400,
        )
        assert (moves[problems.person_id].rank, moves[problems.person_id].simulated_rank) == (2, 1)
        assert moves[problems.person_id].rank_change == 1
        households = {
            f.person_id for f in sim.red_flags if f.kind is HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD
        }
        simulated = {
            f.person_id
            for f in sim.simulated_red_flags
            if f.kind is HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD
        }
        assert (households, simulated) == ({policy.person_id}, {problems.person_id})
        # and at a threshold of 5 the policy household (3.00) is poor, the other not
        assert (
            moves[policy.person_id].simulated_poor and not moves[problems.person_id].simulated_poor
        )
        assert sim.simulated_scheme.exit_threshold == 5 and sim.scheme.exit_threshold == 0
        # and nothing was written: row counts, the ledger head and every result are the same
        assert await _snapshot() == before

    async def test_two_poor_quarters_under_the_changes_are_simulated_exit_reviews(
        self, db: Database, clock: Clock
    ) -> None:
        # given 2025Q1 published at threshold 60 (everyone poor), and 2025Q2 scored
        await set_scheme(exit_threshold=60)
        await make_rules()
        await publish(await scored(SIBLING, "2025Q1"))
        second = await scored(SIBLING, "2025Q2")
        everyone = await EvaluationResult.filter(period_id=second.id).count()
        # when 2025Q2 is simulated at threshold 0
        sim = await evaluation.simulate_evaluation(
            actor=await actor_for("street_admin"),
            period_id=second.id,
            changes=EvaluationChanges(exit_threshold=0),
        )
        # then every holder is up for review now, and only the last of each role would be
        assert sim.exit_review_count == everyone
        assert 0 < sim.simulated_exit_review_count < everyone
        assert all(m.simulated_poor for m in sim.simulated_exit_reviews)

    async def test_bad_changes_are_refused_with_the_field(self, db: Database, clock: Clock) -> None:
        period, _, _ = await _households_period(clock)
        admin = await actor_for("street_admin")
        bad = [
            EvaluationChanges(weights=[WeightChange(PROBLEMS, 40)]),  # sums to 115
            EvaluationChanges(weights=[WeightChange(Dimension.VOLUNTEER_SERVICE, 0)]),
            EvaluationChanges(weights=[*PROBLEMS_FIRST[:3], WeightChange(PROBLEMS, 70)]),
            EvaluationChanges(weights=[WeightChange(PROBLEMS, -5), WeightChange(POLICY, 55)]),
            EvaluationChanges(metric_points=[(Metric.ORDERS_WITHIN_SLA, -1)]),
            EvaluationChanges(red_flag_top=[(HonourKind.RED_FLAG_GRID, -1)]),
            EvaluationChanges(exit_threshold=-1),
        ]
        fields = []
        for changes in bad:
            with pytest.raises(InvalidInput) as refused:
                await evaluation.simulate_evaluation(
                    actor=admin, period_id=period.id, changes=changes
                )
            fields.append(refused.value.field)
        assert fields == [
            "changes.weights",
            "changes.weights",
            "changes.weights",
            "changes.weights",
            "changes.metricPoints",
            "changes.redFlagTop",
            "changes.exitThreshold",
        ]

    async def test_admins_of_the_period_only_and_scored_periods_only(
        self, db: Database, clock: Clock
    ) -> None:
        period, _, _ = await _households_period(clock)
        # the demo community's admin, a grid leader and a resident may not try the sibling's
        for username in ("community_admin", "grid_leader", "resident"):
            with pytest.raises(Forbidden):
                await evaluation.simulate_evaluation(
                    actor=await actor_for(username),
                    period_id=period.id,
                    changes=EvaluationChanges(),
                )
        # the district admin may
        sim = await evaluation.simulate_evaluation(
            actor=await actor_for("district_admin"),
            period_id=period.id,
            changes=EvaluationChanges(),
        )
        assert sim.evaluated > 0
        # an open period has nothing to simulate yet
        opened = await open_period(SIBLING, "2025Q2")
        with pytest.raises(Conflict):
            await evaluation.simulate_evaluation(
                actor=await actor_for("street_admin"),
                period_id=opened.id,
                changes=EvaluationChanges(),
            )


class TestDemoScenario:
    """The README's scenario: in the demo's published last quarter of 颜山社区, problem handling
    weighing 70 changes who gets a red flag."""

    async def test_raising_problem_handling_changes_a_red_flag_in_the_demo(
        self, db: Database
    ) -> None:
        demo = await Area.get(name="颜山社区")
        period = await EvaluationPeriod.get(area_id=demo.id, status=PeriodStatus.PUBLISHED)
        before = await _snapshot()
        sim = await evaluation.simulate_evaluation(
            actor=await actor_for("community_admin"),
            period_id=period.id,
            changes=EvaluationChanges(weights=PROBLEMS_FIRST),
        )
        now = {(f.kind, f.person_id) for f in sim.red_flags}
        then = {(f.kind, f.person_id) for f in sim.simulated_red_flags}
        assert now != then, (now, then)
        assert sim.moved > 0
        assert await _snapshot() == before
