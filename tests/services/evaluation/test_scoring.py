"""Scoring (services.evaluation.scoring): the arithmetic, ranks and ties, detailed rules,
training and activity metrics, and the statements scoring takes.

Quarters of 2025 are evaluated (the demo may evaluate its own recent quarters); ledger credit
is put into them with the ledger clock.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from services import evaluation, notices, workorders
from services.enums import (
    EVALUATED_ROLES,
    Dimension,
    Metric,
    Role,
)
from services.evaluation import MetricPoints, RuleLink, SchemeInput
from services.evaluation.scoring import half_up
from services.grids import coverage_figures
from services.models import (
    Area,
    AreaEvaluation,
    EvaluationPeriod,
    EvaluationResult,
    RoleAssignment,
)
from tests.conftest import Database, actor_for
from tests.schema.test_statement_count import _count_statements
from tests.services.evaluation_support import (
    CODES,
    DEMO,
    FINE,
    INFORMATION,
    MANAGEMENT,
    POLICY,
    PROBLEMS,
    SIBLING,
    STREET,
    VOLUNTEER,
    area,
    dimension_scores,
    district,
    give,
    holders,
    local,
    make_rules,
    open_period,
    past,
    publish,
    result_of,
    scored,
    set_scheme,
    training,
)
from tests.services.points_support import Clock, assert_ledger_ok, person_id
from tests.services.workorders_support import micro_grid

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


QUARTER = "2025Q2"


def metric_parts(result: EvaluationResult) -> dict[str, dict[str, Any]]:
    """The METRIC parts of a result by metric, with the dimension they count in."""
    found = {}
    for dim in json.loads(result.scores):
        for part in dim["details"]:
            if part["kind"] == "METRIC":
                found[part["label"]] = {**part, "dimension": dim["dimension"]}
    return found


async def _score_and_publish(
    caplog: pytest.LogCaptureFixture, backend: str, period: EvaluationPeriod, admin: str
) -> tuple[int, int, int]:
    actor = await actor_for(admin)
    past(period.quarter)
    async with _count_statements(caplog, backend) as scoring:
        await evaluation.start_scoring(actor=actor, period_id=period.id)
    async with _count_statements(caplog, backend) as publishing:
        await evaluation.publish_period(actor=actor, period_id=period.id)
    holders = await EvaluationResult.filter(period_id=period.id).count()
    return len(scoring.logged), len(publishing.logged), holders


class TestStartScoring:
    """A role holder's score: ledger credit by rule, clamped, weighted, rounded; ranks."""

    async def test_credit_counts_in_its_rules_dimension_clamped_weighted_and_rounded_half_up(
        self, db: Database, clock: Clock
    ) -> None:
        # given a scheme weighting the dimensions 40/30/20/10 out of 50/200/30/400 points, with 10
        # points a training session, and two micro-grid leaders of the sibling community
        await set_scheme(
            weights=(40, 30, 20, 10), max_scores=(50, 200, 30, 400), training_points=10
        )
        await make_rules()
        first, second = (a.person_id for a in (await holders(SIBLING, Role.MICRO_GRID_LEADER))[:2])
        # and the first's credit in 2025Q1: 60 in POLICY (over its 50), 15 in MANAGEMENT plus two
        # training sessions, 5 - 8 in INFORMATION, 1 in PROBLEMS (2.5 hundredths), 40 volunteering
        await give(clock, "2025Q1", first, CODES[POLICY], 60)
        await give(clock, "2025Q1", first, CODES[MANAGEMENT], 15)
        await give(clock, "2025Q1", first, CODES[INFORMATION], 5)
        await give(clock, "2025Q1", first, FINE, 8)
        await give(clock, "2025Q1", first, CODES[PROBLEMS], 1)
        await give(clock, "2025Q1", first, CODES[VOLUNTEER], 40)
        await training(SIBLING, first, at=local(2025, 1, 10))
        await training(SIBLING, first, at=local(2025, 3, 31, 23))
        # and credit and training in other quarters, which do not count in 2025Q1
        await give(clock, "2025Q2", first, CODES[POLICY], 7)
        await give(clock, "2025Q2", first, CODES[PROBLEMS], 9)
        await training(SIBLING, first, at=local(2025, 4, 1, 0))
        # and the second's 2 in INFORMATION (133.33 hundredths: rounded down)
        await give(clock, "2025Q1", second, CODES[INFORMATION], 2)
        await assert_ledger_ok()
        # when 2025Q1 is scored
        period = await scored(SIBLING, "2025Q1")
        # then each dimension holds its clamped score
        one = await EvaluationResult.get(period_id=period.id, person_id=first)
        assert dimension_scores(one) == {POLICY: 50, MANAGEMENT: 35, INFORMATION: 0, PROBLEMS: 1}
        # and the total is 40 x 50/50 + 30 x 35/200 + 0 + 10 x 1/400 = 45.275 → 45.28
        assert (one.total, one.score_sum) == (4528, 86)
        two = await EvaluationResult.get(period_id=period.id, person_id=second)
        assert (two.total, two.score_sum) == (133, 2)
        # and everybody else of the community, credited nothing, scores 0
        others = await EvaluationResult.filter(
            period_id=period.id, person_id__not_in=[first, second]
        )
        assert others and all(r.total == 0 for r in others)

    async def test_training_counts_in_its_own_quarter_and_marks_the_year_trained(
        self, db: Database
    ) -> None:
        # given 7 points a session, and two grid leaders of the sibling community: one trained
        # in 2025Q1 and twice in 2025Q2, the other only in 2025Q1
        await set_scheme(training_points=7)
        first, second = (a.person_id for a in (await holders(SIBLING, Role.GRID_LEADER))[:2])
        await training(SIBLING, first, second, at=local(2025, 2, 1))
        await training(SIBLING, first, at=local(2025, 4, 1, 0))
        await training(SIBLING, first, at=local(2025, 6, 30, 23))
        await training(SIBLING, first, at=local(2025, 7, 1, 0))
        # when 2025Q2 is scored
        period = await scored(SIBLING, "2025Q2")
        # then only the sessions of 2025Q2 count, in MANAGEMENT_SERVICE: 25 x 14/100
        one = await EvaluationResult.get(period_id=period.id, person_id=first)
        assert dimension_scores(one)[MANAGEMENT] == 14 and one.total == 350
        two = await EvaluationResult.get(period_id=period.id, person_id=second)
        assert dimension_scores(two)[MANAGEMENT] == 0 and two.total == 0
        # and both count as trained in the year (for their areas' training coverage)
        assert one.trained and two.trained
        untrained = await EvaluationResult.filter(
            period_id=period.id, person_id__not_in=[first, second]
        )
        assert untrained and not any(r.trained for r in untrained)

    async def test_detailed_rules_remap_and_cap_rules_but_never_cap_a_penalty(
        self, db: Database, clock: Clock
    ) -> None:
        # given the default weights, and detailed rules of the sibling community counting
        # volunteering in PROBLEMS, POLICY credit in MANAGEMENT capped at 10, and the fine capped
        await set_scheme()
        await make_rules()
        await evaluation.update_scheme(
            actor=await actor_for("street_admin"),
            area_id=(await area(SIBLING)).id,
            data=SchemeInput(
                rule_links=[
                    RuleLink(CODES[VOLUNTEER], PROBLEMS, None),
                    RuleLink(CODES[POLICY], MANAGEMENT, 10),
                    RuleLink(FINE, None, 1),
                ]
            ),
        )
        leader = (await holders(SIBLING, Role.GRID_LEADER))[0].person_id
        await give(clock, "2025Q1", leader, CODES[VOLUNTEER], 20)
        await give(clock, "2025Q1", leader, CODES[POLICY], 30)
        await give(clock, "2025Q1", leader, CODES[INFORMATION], 10)
        await give(clock, "2025Q1", leader, FINE, 4)
        # and the same credit to a grid leader of the demo community, which has no detailed rules
        demo_leader = await person_id("grid_leader")
        await give(clock, "2025Q1", demo_leader, CODES[VOLUNTEER], 20, by="community_admin")
        await give(clock, "2025Q1", demo_leader, CODES[POLICY], 30, by="community_admin")
        # when both communities score 2025Q1
        mine = await scored(SIBLING, "2025Q1")
        theirs = await scored(DEMO, "2025Q1")
        # then the sibling counts POLICY credit in MANAGEMENT up to 10, volunteering in PROBLEMS,
        # and the fine in full (10 - 4): 25 x (10 + 6 + 20) / 100
        one = await EvaluationResult.get(period_id=mine.id, person_id=leader)
        assert dimension_scores(one) == {POLICY: 0, MANAGEMENT: 10, INFORMATION: 6, PROBLEMS: 20}
        assert one.total == 900
        # and the demo community counts POLICY as POLICY, uncapped, and no volunteering
        two = await EvaluationResult.get(period_id=theirs.id, person_id=demo_leader)
        assert dimension_scores(two) == {POLICY: 30, MANAGEMENT: 0, INFORMATION: 0, PROBLEMS: 0}
        assert two.total == 750

    async def test_ties_are_broken_by_the_plain_sum_then_the_earlier_assignment(
        self, db: Database, clock: Clock
    ) -> None:
        # given weights 40/30/20/10 and four micro-grid leaders of the sibling community, in
        # the order of their appointment: the first and second tie at 12.00 (the second with the
        # larger plain sum), the third and fourth tie at 20.00 with equal sums
        await set_scheme(weights=(40, 30, 20, 10))
        await make_rules()
        m1, m2, m3, m4, *_ = await holders(SIBLING, Role.MICRO_GRID_LEADER)
        await give(clock, "2025Q1", m1.person_id, CODES[POLICY], 30)  # 40 x 30/100, sum 30
        await give(clock, "2025Q1", m2.person_id, CODES[INFORMATION], 60)  # 20 x 60/100, sum 60
        await give(clock, "2025Q1", m3.person_id, CODES[POLICY], 50)
        await give(clock, "2025Q1", m4.person_id, CODES[POLICY], 50)
        # when the street evaluates 2025Q1
        period = await scored(STREET, "2025Q1")
        # then the leaders rank 20.00 (earlier appointed first), then 12.00 (larger sum first),
        # in their community and in the street
        ranked = [await result_of(period, a.id) for a in (m3, m4, m2, m1)]
        assert [r.total for r in ranked] == [2000, 2000, 1200, 1200]
        assert [r.community_rank for r in ranked] == [1, 2, 3, 4]
        assert [r.street_rank for r in ranked] == [1, 2, 3, 4]
        # and every rank is distinct, 1..N per role in each community and in the street
        results = await EvaluationResult.filter(period_id=period.id)
        street = await area(STREET)
        holders_now = await RoleAssignment.filter(
            role__in=list(EVALUATED_ROLES), until=None, area_path__startswith=street.path
        ).count()
        assert len(results) == holders_now
        for role in EVALUATED_ROLES:
            mine = [r for r in results if r.role is role]
            assert sorted(r.street_rank or 0 for r in mine) == list(range(1, len(mine) + 1))
            for community in {r.community_id for r in mine}:
                ours = [r for r in mine if r.community_id == community]
                assert sorted(r.community_rank or 0 for r in ours) == list(range(1, len(ours) + 1))
                # equal totals and sums fall back on the assignment, so zeros rank by appointment
                zeros = sorted(
                    (r for r in ours if r.total == 0), key=lambda r: r.community_rank or 0
                )
                assert [r.assignment_id for r in zeros] == sorted(r.assignment_id for r in zeros)

    async def test_street_ranks_span_the_communities_own_periods(
        self, db: Database, clock: Clock
    ) -> None:
        # given the street's two communities, each running its own 2025Q1, and a grid leader
        # of each earning credit: the sibling's more than the demo's
        await set_scheme()
        await make_rules()
        theirs = (await holders(SIBLING, Role.GRID_LEADER))[0]
        ours = (await holders(DEMO, Role.GRID_LEADER))[0]
        await give(clock, "2025Q1", theirs.person_id, CODES[POLICY], 80)
        await give(clock, "2025Q1", ours.person_id, CODES[POLICY], 40)
        # when the demo community scores first, then the sibling
        demo = await scored(DEMO, "2025Q1")
        sibling = await scored(SIBLING, "2025Q1")
        # then each leader is first in their community, and the street ranks them 1 and 2
        first, second = await result_of(sibling, theirs.id), await result_of(demo, ours.id)
        assert first.total > second.total
        assert (first.community_rank, second.community_rank) == (1, 1)
        assert (first.street_rank, second.street_rank) == (1, 2)
        # and across both periods every street rank is distinct, 1..N per role
        results = await EvaluationResult.filter(period_id__in=[demo.id, sibling.id])
        for role in EVALUATED_ROLES:
            mine = [r for r in results if r.role is role]
            assert sorted(r.street_rank or 0 for r in mine) == list(range(1, len(mine) + 1))
        # and publishing one period (ranking it again) keeps the street's ranks whole
        await publish(demo)
        again = await EvaluationResult.filter(period_id__in=[demo.id, sibling.id])
        assert {r.id: r.street_rank for r in again} == {r.id: r.street_rank for r in results}


class TestMetrics:
    """Activity metrics count at the scheme's points per unit (in 2025Q2)."""

    @pytest.fixture
    def clock(self, monkeypatch: pytest.MonkeyPatch) -> Clock:
        return Clock(datetime(2025, 5, 10, 2, tzinfo=UTC))

    async def test_activity_counts_at_the_scheme_s_points_per_unit(
        self, db: Database, clock: Clock
    ) -> None:
        # given a scheme paying 1 per notice acknowledged, 3 per verified report, 4 per order in SLA
        await evaluation.update_scheme(
            actor=await actor_for("district_admin"),
            area_id=(await district()).id,
            data=SchemeInput(
                metric_points=[
                    MetricPoints(Metric.NOTICES_ACKNOWLEDGED, 1),
                    MetricPoints(Metric.REPORTS_VERIFIED, 3),
                    MetricPoints(Metric.ORDERS_WITHIN_SLA, 4),
                ]
            ),
        )
        leader = await actor_for("microgrid_leader")
        household = await actor_for("central_household")
        area = await micro_grid()
        # and, in 2025Q2: the micro-grid leader acknowledges a notice and handles two orders in
        # time; the central household reports a problem the grid leader verifies
        notice = await notices.publish_notice(
            actor=await actor_for("community_admin"),
            area_id=area.id,
            title="防汛通知",
            body="请做好防汛准备。",
            roles=[],
        )
        await notices.acknowledge_notice(actor=leader, notice_id=notice.id)
        for text in ("水管漏水", "楼道灯坏了"):
            order = await workorders.place_order(
                actor=await actor_for("resident"), category="WATER_ELECTRIC", description=text
            )
            for step in ("accept", "start"):
                await getattr(workorders, step)(actor=leader, work_order_id=order.id)
            await workorders.resolve(actor=leader, work_order_id=order.id, note="已修好")
            await workorders.confirm(
                actor=await actor_for("resident"),
                work_order_id=order.id,
                idempotency_key=f"confirm-{order.id}",
            )
            rated = order
        await workorders.rate(
            actor=await actor_for("resident"), work_order_id=rated.id, rating=4, comment="及时"
        )
        report = await workorders.report_problem(
            actor=household,
            category="SANITATION",
            area_id=area.id,
            location="3 号楼东侧",
            description="垃圾满溢",
            photo_urls=[],
        )
        for step in ("accept", "start"):
            await getattr(workorders, step)(actor=leader, work_order_id=report.id)
        await workorders.resolve(actor=leader, work_order_id=report.id, note="已清运")
        await workorders.verify(
            actor=await actor_for("grid_leader"),
            work_order_id=report.id,
            idempotency_key="verify-1",
        )

        # when the quarter is opened (under that scheme) and scored
        period = await open_period(DEMO, QUARTER)
        past(QUARTER)
        await evaluation.start_scoring(actor=await actor_for("street_admin"), period_id=period.id)

        # then the leader's result counts 1 notice (1 point) and 3 orders in SLA (12 points): the
        # two requests and the verified report she handled
        held = await RoleAssignment.get(
            person_id=leader.person_id, role=Role.MICRO_GRID_LEADER, until=None
        )
        mine = metric_parts(await EvaluationResult.get(period_id=period.id, assignment_id=held.id))
        assert mine["NOTICES_ACKNOWLEDGED"] | {"ref": None} == {
            "kind": "METRIC",
            "label": "NOTICES_ACKNOWLEDGED",
            "points": 1,
            "counted": 1,
            "ref": None,
            "dimension": Dimension.POLICY_COMMUNICATION.value,
        }
        assert (mine["ORDERS_WITHIN_SLA"]["points"], mine["ORDERS_WITHIN_SLA"]["counted"]) == (
            3,
            12,
        )
        assert mine["ORDERS_WITHIN_SLA"]["dimension"] == Dimension.PROBLEM_HANDLING.value
        assert "REPORTS_VERIFIED" not in mine
        # and the central household's counts its verified report (3 points)
        theirs_held = await RoleAssignment.get(
            person_id=household.person_id, role=Role.CENTRAL_HOUSEHOLD, until=None
        )
        theirs = metric_parts(
            await EvaluationResult.get(period_id=period.id, assignment_id=theirs_held.id)
        )
        assert (theirs["REPORTS_VERIFIED"]["points"], theirs["REPORTS_VERIFIED"]["counted"]) == (
            1,
            3,
        )
        assert theirs["REPORTS_VERIFIED"]["dimension"] == Dimension.INFORMATION_REPORTING.value
        # and the figures agree with the services' own per-person counts
        counted = await workorders.person_metrics(QUARTER, [leader.person_id, household.person_id])
        assert counted[leader.person_id]["orders_within_sla"] == 3
        assert counted[household.person_id]["reports_verified"] == 1
        acknowledged = await notices.person_metrics(quarter=QUARTER, person_ids=[leader.person_id])
        assert acknowledged == {leader.person_id: 1}

        # and M's activity adds the share of its orders on time (3 of 3) and their satisfaction
        # (one rated 4 of 5) to its central-household and training coverage
        (figure,) = await coverage_figures([area.id])
        results = await EvaluationResult.filter(
            period_id=period.id, area_path__startswith=area.path
        )
        cared = Fraction(figure.households_with_central_household, figure.households)
        trained = Fraction(sum(1 for r in results if r.trained), len(results))
        expected = (cared + trained + 1 + Fraction(4, 5)) / 4 * 10000
        scored = await AreaEvaluation.get(period_id=period.id, area_id=area.id)
        assert scored.activity == half_up(expected)


class TestStatements:
    """Scoring and publishing are set-based: statements do not grow with the holders."""

    async def test_statements_do_not_grow_with_the_holders(
        self, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        # given a past quarter opened for 颜山社区 and another for the whole district
        district = await actor_for("district_admin")
        community = await Area.get(name="颜山社区")
        small = await evaluation.open_period(actor=district, area_id=community.id, quarter="2025Q2")
        large = await evaluation.open_period(
            actor=district, area_id=(await Area.get(level="DISTRICT")).id, quarter="2025Q1"
        )
        # when both are scored and published
        small_scoring, small_publishing, small_holders = await _score_and_publish(
            caplog, db.backend, small, "district_admin"
        )
        large_scoring, large_publishing, large_holders = await _score_and_publish(
            caplog, db.backend, large, "district_admin"
        )
        # then scoring took as many statements for many more holders
        assert large_holders > 2 * small_holders > 0
        assert small_scoring == large_scoring
        # and publishing grows only with the honours named (a few per community), not the holders
        assert large_publishing < small_publishing + 40 * 3
        assert small_scoring <= 30
