"""Activity metrics in the evaluation: notices acknowledged, problem reports verified and work
orders confirmed within their SLA count in their dimensions at the scheme's points per unit.

Everything happens in 2025Q2 (the ledger's clock is moved there), away from the demo's own
quarters."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import pytest

from services import evaluation, notices, workorders
from services.enums import Dimension, Metric, Role
from services.evaluation import MetricPoints, SchemeInput
from services.evaluation.scoring import half_up
from services.grids import coverage_figures
from services.models import AreaEvaluation, EvaluationResult, RoleAssignment
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import district, open_period
from tests.services.points_support import Clock
from tests.services.workorders_support import micro_grid

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

DEMO = "颜山社区"
QUARTER = "2025Q2"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(datetime(2025, 5, 10, 2, tzinfo=UTC))


def metric_parts(result: EvaluationResult) -> dict[str, dict[str, Any]]:
    """The METRIC parts of a result by metric, with the dimension they count in."""
    found = {}
    for dim in json.loads(result.scores):
        for part in dim["details"]:
            if part["kind"] == "METRIC":
                found[part["label"]] = {**part, "dimension": dim["dimension"]}
    return found


async def test_activity_counts_at_the_scheme_s_points_per_unit(db: Database, clock: Clock) -> None:
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
        actor=await actor_for("grid_leader"), work_order_id=report.id, idempotency_key="verify-1"
    )

    # when the quarter is opened (under that scheme) and scored
    period = await open_period(DEMO, QUARTER)
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
    assert (mine["ORDERS_WITHIN_SLA"]["points"], mine["ORDERS_WITHIN_SLA"]["counted"]) == (3, 12)
    assert mine["ORDERS_WITHIN_SLA"]["dimension"] == Dimension.PROBLEM_HANDLING.value
    assert "REPORTS_VERIFIED" not in mine
    # and the central household's counts its verified report (3 points)
    theirs_held = await RoleAssignment.get(
        person_id=household.person_id, role=Role.CENTRAL_HOUSEHOLD, until=None
    )
    theirs = metric_parts(
        await EvaluationResult.get(period_id=period.id, assignment_id=theirs_held.id)
    )
    assert (theirs["REPORTS_VERIFIED"]["points"], theirs["REPORTS_VERIFIED"]["counted"]) == (1, 3)
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
    results = await EvaluationResult.filter(period_id=period.id, area_path__startswith=area.path)
    cared = Fraction(figure.households_with_central_household, figure.households)
    trained = Fraction(sum(1 for r in results if r.trained), len(results))
    expected = (cared + trained + 1 + Fraction(4, 5)) / 4 * 10000
    scored = await AreaEvaluation.get(period_id=period.id, area_id=area.id)
    assert scored.activity == half_up(expected)
