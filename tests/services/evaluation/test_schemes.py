"""Schemes (services.evaluation.schemes): versions and updates of the district scheme and of
a community's detailed rules.
"""

from __future__ import annotations

import pytest

from services import evaluation
from services.enums import (
    Dimension,
    Metric,
    Role,
)
from services.errors import Forbidden, InvalidInput
from services.evaluation import ManualItem, MetricPoints, RuleLink, SchemeInput
from services.models import (
    EvaluationScheme,
)
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import (
    CODES,
    DEMO,
    POLICY,
    SIBLING,
    STREET,
    VOLUNTEER,
    area,
    district,
    give,
    holders,
    make_rules,
    open_period,
    past,
    result_of,
    set_scheme,
    weights_of,
)
from tests.services.points_support import Clock

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestVersions:
    """Every change is a new version; periods keep theirs."""

    async def test_a_period_is_scored_by_the_versions_in_force_when_it_opened(
        self, db: Database, clock: Clock
    ) -> None:
        # given equal weights, and 2025Q1 opened under them
        first_view = await set_scheme(weights=(25, 25, 25, 25))
        await make_rules()
        old = await open_period(SIBLING, "2025Q1")
        # when the district weighs POLICY 70 and the community counts volunteering as POLICY,
        # and 2025Q2 opens after that
        second_view = await set_scheme(weights=(70, 10, 10, 10))
        details = await evaluation.update_scheme(
            actor=await actor_for("street_admin"),
            area_id=(await area(SIBLING)).id,
            data=SchemeInput(rule_links=[RuleLink(CODES[VOLUNTEER], POLICY, None)]),
        )
        new = await open_period(SIBLING, "2025Q2")
        assert second_view.scheme.version == first_view.scheme.version + 1
        assert details.details is not None and details.details.version >= 1
        # and a leader earns the same in both quarters: 40 in POLICY and 10 volunteering
        leader = (await holders(SIBLING, Role.GRID_LEADER))[0]
        for quarter in ("2025Q1", "2025Q2"):
            await give(clock, quarter, leader.person_id, CODES[POLICY], 40)
            await give(clock, quarter, leader.person_id, CODES[VOLUNTEER], 10)
        admin = await actor_for("street_admin")
        past("2025Q2")
        for period in (old, new):
            await evaluation.start_scoring(actor=admin, period_id=period.id)
        # then 2025Q1 keeps the old weights and rules: 25 x 40/100
        then = await result_of(old, leader.id)
        assert weights_of(then)[POLICY] == 25 and then.total == 1000
        # and 2025Q2 uses the new ones: 70 x (40 + 10)/100
        now = await result_of(new, leader.id)
        assert weights_of(now)[POLICY] == 70 and now.total == 3500

    async def test_each_update_writes_a_newer_version(self, db: Database) -> None:
        admin = await actor_for("district_admin")
        home = await district()
        before = await evaluation.evaluation_scheme(actor=admin, under_id=home.id)
        first = await evaluation.update_scheme(
            actor=admin, area_id=home.id, data=SchemeInput(training_points=7)
        )
        second = await evaluation.update_scheme(
            actor=admin, area_id=home.id, data=SchemeInput(exit_threshold=55)
        )
        assert (first.scheme.version, second.scheme.version) == (
            before.scheme.version + 1,
            before.scheme.version + 2,
        )
        # fields left out keep their value from the version in force
        assert (second.scheme.training_points, second.scheme.exit_threshold) == (7, 55)
        assert second.scheme.roles == before.scheme.roles


class TestUpdateScheme:
    """What an update changes and what it refuses."""

    async def test_metric_points_change_one_metric_and_keep_the_others(self, db: Database) -> None:
        admin = await actor_for("district_admin")
        home = await district()
        before = await evaluation.evaluation_scheme(actor=admin, under_id=home.id)
        # a version written before the activity metrics existed scores them by the defaults
        assert {m.metric: m.points for m in before.scheme.metric_points} == {
            Metric.NOTICES_ACKNOWLEDGED: 0,
            Metric.REPORTS_VERIFIED: 0,
            Metric.ORDERS_WITHIN_SLA: 2,
        }
        after = await evaluation.update_scheme(
            actor=admin,
            area_id=home.id,
            data=SchemeInput(metric_points=[MetricPoints(Metric.REPORTS_VERIFIED, 3)]),
        )
        assert {m.metric: m.points for m in after.scheme.metric_points} == {
            Metric.NOTICES_ACKNOWLEDGED: 0,
            Metric.REPORTS_VERIFIED: 3,
            Metric.ORDERS_WITHIN_SLA: 2,
        }
        assert after.scheme.points_per(Metric.TRAINING_ATTENDED) == after.scheme.training_points
        assert [m.dimension for m in after.scheme.metric_points] == [
            POLICY,
            Dimension.INFORMATION_REPORTING,
            Dimension.PROBLEM_HANDLING,
        ]

    @pytest.mark.parametrize(
        ("username", "where", "data", "error"),
        [
            # district-only fields at a community, and a community's at the district
            ("street_admin", SIBLING, SchemeInput(exit_threshold=50), InvalidInput),
            ("street_admin", SIBLING, SchemeInput(training_points=5), InvalidInput),
            ("district_admin", "博山区", SchemeInput(rule_links=[]), InvalidInput),
            ("district_admin", "博山区", SchemeInput(manual_items=[]), InvalidInput),
            # neither at a street
            ("street_admin", STREET, SchemeInput(rule_links=[]), InvalidInput),
            # unknown rules and bad items
            (
                "street_admin",
                SIBLING,
                SchemeInput(rule_links=[RuleLink("NO_SUCH_RULE", POLICY, None)]),
                InvalidInput,
            ),
            (
                "street_admin",
                SIBLING,
                SchemeInput(manual_items=[ManualItem("MEETING", "例会", VOLUNTEER, 5)]),
                InvalidInput,
            ),
            (
                "street_admin",
                SIBLING,
                SchemeInput(manual_items=[ManualItem("MEETING", "例会", POLICY, 101)]),
                InvalidInput,
            ),
            # out of range
            ("district_admin", "博山区", SchemeInput(exit_threshold=101), InvalidInput),
            ("district_admin", "博山区", SchemeInput(training_points=-1), InvalidInput),
            # metric points: the district's, each once, training apart, 0-100
            (
                "street_admin",
                SIBLING,
                SchemeInput(metric_points=[MetricPoints(Metric.ORDERS_WITHIN_SLA, 1)]),
                InvalidInput,
            ),
            (
                "district_admin",
                "博山区",
                SchemeInput(metric_points=[MetricPoints(Metric.TRAINING_ATTENDED, 1)]),
                InvalidInput,
            ),
            (
                "district_admin",
                "博山区",
                SchemeInput(
                    metric_points=[
                        MetricPoints(Metric.REPORTS_VERIFIED, 1),
                        MetricPoints(Metric.REPORTS_VERIFIED, 2),
                    ]
                ),
                InvalidInput,
            ),
            (
                "district_admin",
                "博山区",
                SchemeInput(metric_points=[MetricPoints(Metric.ORDERS_WITHIN_SLA, 101)]),
                InvalidInput,
            ),
            # non-admins and admins of somewhere else
            ("grid_leader", DEMO, SchemeInput(manual_items=[]), Forbidden),
            ("community_admin", "博山区", SchemeInput(exit_threshold=50), Forbidden),
            ("community_admin", SIBLING, SchemeInput(manual_items=[]), Forbidden),
            ("resident", "博山区", SchemeInput(exit_threshold=50), Forbidden),
        ],
    )
    async def test_scheme_updates_out_of_place_are_refused(
        self, db: Database, username: str, where: str, data: SchemeInput, error: type[Exception]
    ) -> None:
        count = await EvaluationScheme.all().count()
        with pytest.raises(error):
            await evaluation.update_scheme(
                actor=await actor_for(username), area_id=(await area(where)).id, data=data
            )
        assert await EvaluationScheme.all().count() == count

    @pytest.mark.parametrize(
        ("weights", "max_scores"),
        [
            ((25, 25, 25, 24), (100, 100, 100, 100)),  # 99
            ((40, 30, 20, 11), (100, 100, 100, 100)),  # 101
            ((100, 0, 0, 0), (100, 0, 100, 100)),  # a maximum of 0
            ((100, 0, 0, 0), (100, 1001, 100, 100)),  # a maximum above 1000
        ],
    )
    async def test_weights_must_sum_to_100_and_maxima_be_positive(
        self, db: Database, weights: tuple[int, ...], max_scores: tuple[int, ...]
    ) -> None:
        count = await EvaluationScheme.all().count()
        with pytest.raises(InvalidInput):
            await set_scheme(weights=weights, max_scores=max_scores)
        assert await EvaluationScheme.all().count() == count
