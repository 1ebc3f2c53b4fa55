"""Scoring and publishing are set-based: the number of SQL statements does not grow with the
number of role holders (see tests/schema/test_statement_count.py for how statements are
counted)."""

from __future__ import annotations

import pytest

from services import evaluation
from services.models import Area, EvaluationPeriod, EvaluationResult
from tests.conftest import Database, actor_for
from tests.schema.test_statement_count import _count_statements

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


async def _score_and_publish(
    caplog: pytest.LogCaptureFixture, backend: str, period: EvaluationPeriod, admin: str
) -> tuple[int, int, int]:
    actor = await actor_for(admin)
    async with _count_statements(caplog, backend) as scoring:
        await evaluation.start_scoring(actor=actor, period_id=period.id)
    async with _count_statements(caplog, backend) as publishing:
        await evaluation.publish_period(actor=actor, period_id=period.id)
    holders = await EvaluationResult.filter(period_id=period.id).count()
    return len(scoring.logged), len(publishing.logged), holders


async def test_statements_do_not_grow_with_the_holders(
    db: Database, caplog: pytest.LogCaptureFixture
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
