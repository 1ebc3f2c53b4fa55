"""Periods (services.evaluation.periods): the lifecycle, opening, publication (red flags,
bonus points) and the dynamic-exit flags it raises.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services import evaluation, points
from services.enums import (
    EVALUATED_ROLES,
    AreaLevel,
    ExitReviewStatus,
    HonourKind,
    PeriodStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evaluation.periods import HONOUR_SOURCE
from services.kit import clock as service_clock
from services.kit.calendar import period_of, quarter_window
from services.models import (
    AreaEvaluation,
    EvaluationAdjustment,
    EvaluationHonour,
    EvaluationObjection,
    EvaluationPeriod,
    EvaluationResult,
    ExitReview,
    PointsTransaction,
    RoleAssignment,
)
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import (
    CODES,
    DEMO,
    DEMO_GRID,
    INFORMATION,
    MANAGEMENT,
    POLICY,
    PROBLEMS,
    SIBLING,
    STREET,
    account_in,
    adjust,
    all_holders,
    area,
    give,
    holders,
    make_rules,
    open_period,
    publish,
    result_of,
    rewards,
    scored,
    set_scheme,
)
from tests.services.points_support import Clock, assert_ledger_ok, person_id

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


def ancestor(path: str, depth: int) -> str:
    """The path of the ancestor at `depth` components (4: the grid)."""
    return "/" + "/".join(path.strip("/").split("/")[:depth]) + "/"


def next_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[5])
    return f"{year + 1}Q1" if number == 4 else f"{year}Q{number + 1}"


async def _default_honours() -> int:
    """How many honours the default tops (1 grid, 2 micro-grids, 3 central households) name
    in the sibling community when nobody is below the threshold: the last central household
    of two or more is poor, so never honoured."""
    grids = len(await holders(SIBLING, Role.GRID_LEADER))
    micro = len(await holders(SIBLING, Role.MICRO_GRID_LEADER))
    central = len(await holders(SIBLING, Role.CENTRAL_HOUSEHOLD))
    return min(1, grids) + min(2, micro) + min(3, central - 1)


async def _balances(people: list[int]) -> dict[int, int]:
    return {p: (await points.account_summary(person_id=p)).balance for p in people}


class TestLifecycle:
    """OPEN, SCORING, PUBLISHED, and who runs it."""

    async def test_a_period_goes_open_scoring_published(self, db: Database, clock: Clock) -> None:
        # (the clock stopped: the running quarter does not end during the test at an edge)
        admin = await actor_for("street_admin")
        # given the current quarter opened for the sibling community
        period = await open_period(SIBLING, None)
        assert (period.status, period.quarter) == (
            PeriodStatus.OPEN,
            period_of(service_clock.now()),
        )
        assert await EvaluationResult.filter(period_id=period.id).count() == 0
        # then it cannot be published before scoring
        with pytest.raises(Conflict):
            await evaluation.publish_period(actor=admin, period_id=period.id)
        # and, the quarter still running, not scored without an admin's reason
        for reason in (None, "  "):
            with pytest.raises(Conflict) as refused:
                await evaluation.start_scoring(
                    actor=admin, period_id=period.id, early_reason=reason
                )
            assert refused.value.field == "earlyReason"
        assert (await EvaluationPeriod.get(id=period.id)).status is PeriodStatus.OPEN
        assert await EvaluationResult.filter(period_id=period.id).count() == 0
        # when scoring starts early with a reason, every role holder of the community is
        # evaluated and the reason is recorded
        scoring = await evaluation.start_scoring(
            actor=admin, period_id=period.id, early_reason="换届前提前评估"
        )
        assert scoring.status is PeriodStatus.SCORING and scoring.scoring_started_at is not None
        assert scoring.scored_early_reason == "换届前提前评估"
        assert await EvaluationResult.filter(period_id=period.id).count() == len(
            await all_holders(SIBLING)
        )
        # and it cannot start twice
        with pytest.raises(Conflict):
            await evaluation.start_scoring(actor=admin, period_id=period.id)
        result = await EvaluationResult.filter(period_id=period.id).order_by("id").first()
        assert result is not None
        await adjust(result, 5)
        # and it is not published early without a reason: nobody is flagged on part of a quarter
        with pytest.raises(Conflict) as refused:
            await evaluation.publish_period(actor=admin, period_id=period.id)
        assert refused.value.field == "earlyReason"
        assert (await EvaluationPeriod.get(id=period.id)).status is PeriodStatus.SCORING
        assert await ExitReview.filter(period_id=period.id).count() == 0
        # when it is published early with a reason
        published = await evaluation.publish_period(
            actor=admin, period_id=period.id, early_reason="换届前提前公示"
        )
        assert published.status is PeriodStatus.PUBLISHED and published.published_at is not None
        assert published.published_early_reason == "换届前提前公示"
        # then it is locked: no scoring and no adjustment any more
        with pytest.raises(Conflict):
            await evaluation.start_scoring(actor=admin, period_id=period.id)
        with pytest.raises(Conflict):
            await adjust(result, 5)
        assert await EvaluationAdjustment.filter(result_id=result.id).count() == 1

    async def test_a_quarter_is_scored_and_published_once_it_is_over(
        self, db: Database, clock: Clock
    ) -> None:
        admin = await actor_for("street_admin")
        # given the current quarter opened for the sibling community
        period = await open_period(SIBLING, None)
        end = quarter_window(period.quarter)[1]
        # when the clock stands at its last microsecond, scoring still waits for its end
        clock.set(end - timedelta(microseconds=1))
        with pytest.raises(Conflict):
            await evaluation.start_scoring(actor=admin, period_id=period.id)
        # then from its first moment after it, it is scored and published without a reason
        clock.set(end)
        scoring = await evaluation.start_scoring(actor=admin, period_id=period.id)
        published = await evaluation.publish_period(
            actor=admin, period_id=period.id, early_reason="ignored once it is over"
        )
        assert (scoring.status, scoring.scored_early_reason) == (PeriodStatus.SCORING, None)
        assert (published.status, published.published_early_reason) == (
            PeriodStatus.PUBLISHED,
            None,
        )

    async def test_publishing_waits_for_the_open_objections(self, db: Database) -> None:
        # given a demo-community period being scored and the grid leader's objection to an
        # adjustment of their result
        period = await scored(DEMO, "2025Q1", by="community_admin")
        leader = await actor_for("grid_leader")
        result = await EvaluationResult.get(period_id=period.id, person_id=leader.person_id)
        made = await adjust(result, -5, by="community_admin")
        objection = await evaluation.object_to_adjustment(
            actor=leader, adjustment_id=made.id, reason="当天在岗"
        )
        admin = await actor_for("community_admin")
        # then the period cannot be published
        with pytest.raises(Conflict):
            await evaluation.publish_period(actor=admin, period_id=period.id)
        assert (await EvaluationPeriod.get(id=period.id)).status is PeriodStatus.SCORING
        # until the objection is resolved
        await evaluation.resolve_objection(
            actor=admin, objection_id=objection.id, upheld=False, resolution="记录属实"
        )
        published = await evaluation.publish_period(actor=admin, period_id=period.id)
        assert published.status is PeriodStatus.PUBLISHED
        # and once published, nothing is objected to, adjusted or resolved any more
        with pytest.raises(Conflict):
            await evaluation.object_to_adjustment(actor=leader, adjustment_id=made.id, reason="x")
        with pytest.raises(Conflict):
            await adjust(result, 5, by="community_admin")
        with pytest.raises(Conflict):
            await evaluation.resolve_objection(
                actor=admin, objection_id=objection.id, upheld=True, resolution="改判"
            )
        assert await EvaluationObjection.filter(period_id=period.id).count() == 1
        assert await EvaluationAdjustment.filter(period_id=period.id).count() == 1

    async def test_only_admins_of_the_area_run_its_evaluation(self, db: Database) -> None:
        demo = await area(DEMO)
        # non-admins cannot open a period
        for username in ("grid_leader", "resident"):
            with pytest.raises(Forbidden):
                await evaluation.open_period(
                    actor=await actor_for(username), area_id=demo.id, quarter="2025Q2"
                )
        stranger = await account_in("sibling_admin", Role.COMMUNITY_ADMIN, SIBLING)
        with pytest.raises(Forbidden):
            await evaluation.open_period(actor=stranger, area_id=demo.id, quarter="2025Q2")
        period = await open_period(DEMO, "2025Q2", by="community_admin")
        # nor score it: a leader reading part of it is forbidden, others find no such period
        with pytest.raises(NotFound):
            await evaluation.start_scoring(
                actor=await actor_for("grid_leader"), period_id=period.id
            )
        for actor in (await actor_for("resident"), stranger):
            with pytest.raises(NotFound):
                await evaluation.start_scoring(actor=actor, period_id=period.id)
        period = await evaluation.start_scoring(
            actor=await actor_for("community_admin"), period_id=period.id
        )
        mgl = await EvaluationResult.get(
            period_id=period.id, person_id=await person_id("microgrid_leader")
        )
        # nor adjust: the grid leader may read the micro-grid leader's result but not adjust it
        with pytest.raises(Forbidden):
            await adjust(mgl, 5, by="grid_leader")
        with pytest.raises(NotFound):
            await evaluation.adjust_score(
                actor=stranger,
                result_id=mgl.id,
                dimension=PROBLEMS,
                points=5,
                reason="x",
                item_code=None,
            )
        # nor publish
        for username in ("grid_leader", "resident"):
            with pytest.raises((Forbidden, NotFound)):
                await evaluation.publish_period(
                    actor=await actor_for(username), period_id=period.id
                )
        with pytest.raises(NotFound):
            await evaluation.publish_period(actor=stranger, period_id=period.id)
        assert await EvaluationAdjustment.filter(period_id=period.id).count() == 0
        assert (await EvaluationPeriod.get(id=period.id)).status is PeriodStatus.SCORING


class TestOpenPeriod:
    """Which periods may be opened."""

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (STREET, SIBLING),  # a street period, then a community under it
            (SIBLING, STREET),  # a community period, then the street around it
            ("博山区", SIBLING),  # the district, then a community
            (SIBLING, SIBLING),  # the same community twice
        ],
    )
    async def test_periods_of_one_quarter_never_overlap(
        self, db: Database, first: str, second: str
    ) -> None:
        # given a 2025Q3 period of one area
        await open_period(first, "2025Q3", by="district_admin")
        count = await EvaluationPeriod.all().count()
        # when the quarter is opened for an area above or below it, then it is refused
        with pytest.raises(Conflict):
            await open_period(second, "2025Q3", by="district_admin")
        assert await EvaluationPeriod.all().count() == count
        # and another quarter is fine
        await open_period(second, "2025Q4", by="district_admin")

    async def test_sibling_communities_evaluate_the_same_quarter(self, db: Database) -> None:
        await open_period(SIBLING, "2025Q3")
        other = await open_period("青龙山社区", "2025Q3")
        assert other.status is PeriodStatus.OPEN

    async def test_only_begun_quarters_of_evaluating_areas_are_opened(self, db: Database) -> None:
        count = await EvaluationPeriod.all().count()
        future = next_quarter(period_of(service_clock.now()))
        with pytest.raises(InvalidInput):
            await open_period(SIBLING, future)
        with pytest.raises(InvalidInput):
            await open_period(SIBLING, "2025Q5")
        with pytest.raises(InvalidInput):
            await open_period(DEMO_GRID, "2025Q3", by="community_admin")
        assert await EvaluationPeriod.all().count() == count


class TestPublishPeriod:
    """Publishing: idempotence and red flags."""

    async def test_publishing_twice_honours_once(self, db: Database, clock: Clock) -> None:
        # given a scheme that honours every kind (threshold 0) and a period being scored
        await set_scheme(exit_threshold=0)
        await make_rules()
        leader = (await holders(SIBLING, Role.MICRO_GRID_LEADER))[0].person_id
        await give(clock, "2025Q1", leader, CODES[POLICY], 40)
        period = await scored(SIBLING, "2025Q1")
        receivers = [p for a in await all_holders(SIBLING) for p in [a.person_id]]
        before = await _balances(receivers)
        # when it is published twice
        await publish(period)
        once = await rewards(period)
        after_once = await _balances(receivers)
        again = await publish(period)
        # then the second publication changed nothing
        assert again.status is PeriodStatus.PUBLISHED
        assert await rewards(period) == once
        assert await _balances(receivers) == after_once
        # and the honours (1 grid, 2 micro-grids, 3 central households) were paid once each
        assert once.honours == await _default_honours() == 6
        assert once.transactions == once.honours
        honours = await EvaluationHonour.filter(period_id=period.id)
        paid = {p: 0 for p in receivers}
        for honour in honours:
            assert honour.person_id is not None and honour.transaction_id is not None
            paid[honour.person_id] += honour.bonus_points
        assert {p: after_once[p] - before[p] for p in receivers} == paid
        await assert_ledger_ok()

    async def test_concurrent_publications_honour_once(self, db: Database) -> None:
        # given a period being scored under a scheme that honours every kind
        await set_scheme(exit_threshold=0)
        period = await scored(SIBLING, "2025Q1")
        admin = await actor_for("street_admin")
        # when two admins publish at once
        done = await asyncio.gather(
            *(evaluation.publish_period(actor=admin, period_id=period.id) for _ in range(2))
        )
        # then both see it published and the honours and their points exist once
        assert [p.status for p in done] == [PeriodStatus.PUBLISHED] * 2
        made = await rewards(period)
        assert made.honours == await _default_honours()
        assert made.transactions == made.honours
        honours = await EvaluationHonour.filter(period_id=period.id).values_list("id", flat=True)
        assert (
            await PointsTransaction.filter(
                source_type=HONOUR_SOURCE, source_id__in=[str(i) for i in honours]
            ).count()
            == made.honours
        )
        await assert_ledger_ok()

    async def test_red_flags_go_to_the_top_of_each_community_with_their_bonus(
        self, db: Database, clock: Clock
    ) -> None:
        # given one red-flag micro-grid (77 points), one grid (50) and two central households (20)
        # per community, and no exit threshold
        await set_scheme(
            exit_threshold=0,
            honours={
                HonourKind.RED_FLAG_GRID: (1, 50),
                HonourKind.RED_FLAG_MICRO_GRID: (1, 77),
                HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD: (2, 20),
            },
        )
        await make_rules()
        # and the sibling community's second micro-grid leader and third central household ahead
        star = (await holders(SIBLING, Role.MICRO_GRID_LEADER))[1]
        households = await holders(SIBLING, Role.CENTRAL_HOUSEHOLD)
        helper = households[2]
        await give(clock, "2025Q1", star.person_id, CODES[POLICY], 80)
        await give(clock, "2025Q1", helper.person_id, CODES[MANAGEMENT], 30)
        period = await scored(SIBLING, "2025Q1")
        star_grid = await RoleAssignment.get(
            role=Role.GRID_LEADER, until=None, area_path=ancestor(star.area_path, 4)
        )
        before = await _balances([star.person_id, helper.person_id, star_grid.person_id])
        # when it is published
        await publish(period)
        honours = await EvaluationHonour.filter(period_id=period.id).order_by("kind", "rank")
        by_kind = {
            kind: [
                (h.area_id, h.person_id, h.rank, h.bonus_points) for h in honours if h.kind is kind
            ]
            for kind in HonourKind
        }
        # then the star's micro-grid and its grid are the red flags, paid to their leaders
        assert by_kind[HonourKind.RED_FLAG_MICRO_GRID] == [(star.area_id, star.person_id, 1, 77)]
        assert by_kind[HonourKind.RED_FLAG_GRID] == [
            (star_grid.area_id, star_grid.person_id, 1, 50)
        ]
        # and the helper and the earliest other central household are the red-flag households
        assert by_kind[HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD] == [
            (helper.area_id, helper.person_id, 1, 20),
            (households[0].area_id, households[0].person_id, 2, 20),
        ]
        after = await _balances([star.person_id, helper.person_id, star_grid.person_id])
        assert after[star.person_id] - before[star.person_id] == 77
        assert after[star_grid.person_id] - before[star_grid.person_id] == 50
        assert after[helper.person_id] - before[helper.person_id] == 20
        tx = await PointsTransaction.get(source_type=HONOUR_SOURCE, person_id=star.person_id)
        assert tx.points == 77 and tx.credit == 0
        # and the honours match the area ranking
        (top,) = await AreaEvaluation.filter(
            period_id=period.id, level=AreaLevel.MICRO_GRID, community_rank=1
        )
        assert top.area_id == star.area_id
        await assert_ledger_ok()

    async def test_nobody_below_the_exit_threshold_gets_a_red_flag(
        self, db: Database, clock: Clock
    ) -> None:
        # given the threshold at 60, three red-flag households a community, and one central
        # household of the sibling community with full marks (the rest scoring 0)
        await set_scheme(exit_threshold=60)
        await make_rules()
        best = (await holders(SIBLING, Role.CENTRAL_HOUSEHOLD))[1]
        for code in (CODES[POLICY], CODES[MANAGEMENT], CODES[INFORMATION], CODES[PROBLEMS]):
            await give(clock, "2025Q1", best.person_id, code, 100)
        period = await scored(SIBLING, "2025Q1")
        assert (await result_of(period, best.id)).total == 10000
        # when it is published
        await publish(period)
        # then only that household is honoured: the others, and every grid and micro-grid
        # (at most 80% x 50 + 20% x 100 = 60 is not reached), score below 60
        honours = await EvaluationHonour.filter(period_id=period.id)
        assert [(h.kind, h.person_id) for h in honours] == [
            (HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD, best.person_id)
        ]
        areas = await AreaEvaluation.filter(period_id=period.id)
        assert areas and max(a.score for a in areas) < 6000


class TestExitFlags:
    """Publishing flags dynamic exit after two poor quarters."""

    async def test_two_poor_quarters_in_a_row_open_an_exit_review(
        self, db: Database, clock: Clock
    ) -> None:
        # given the threshold at 60 and the sibling community scoring 0 in 2025Q1 and 2025Q2,
        # except one micro-grid leader with full marks in 2025Q1 and another in 2025Q2
        await set_scheme(exit_threshold=60)
        await make_rules()
        leaders = await holders(SIBLING, Role.MICRO_GRID_LEADER)
        good_then, good_now = leaders[0], leaders[1]
        for quarter, holder in (("2025Q1", good_then), ("2025Q2", good_now)):
            for code in (CODES[POLICY], CODES[MANAGEMENT], CODES[INFORMATION], CODES[PROBLEMS]):
                await give(clock, quarter, holder.person_id, code, 100)
        # when 2025Q1 is published, nobody has two poor quarters yet
        first = await scored(SIBLING, "2025Q1")
        await publish(first)
        assert await ExitReview.filter(period_id=first.id).count() == 0
        # when 2025Q2 is published
        second = await scored(SIBLING, "2025Q2")
        await publish(second)
        # then everyone poor in both quarters is up for review, not those poor only once
        reviews = await ExitReview.filter(period_id=second.id)
        flagged = {r.assignment_id for r in reviews}
        everyone = {a.id for a in await all_holders(SIBLING)}
        assert flagged == everyone - {good_then.id, good_now.id}
        assert all(r.status is ExitReviewStatus.OPEN for r in reviews)
        review = next(r for r in reviews if r.assignment_id == leaders[2].id)
        assert "2025Q1" in review.reason and "2025Q2" in review.reason
        assert review.previous_result_id == (await result_of(first, leaders[2].id)).id
        # and publishing again flags nobody twice
        await publish(second)
        assert await ExitReview.filter(period_id=second.id).count() == len(reviews)

    async def test_the_last_of_a_role_in_two_quarters_is_up_for_review(self, db: Database) -> None:
        # given no threshold: only the last of two or more in a role in the community is poor
        await set_scheme(exit_threshold=0)
        for quarter in ("2025Q1", "2025Q2"):
            await publish(await scored(SIBLING, quarter))
        # then the last (latest appointed, everyone scoring 0) of each role is up for review
        second = await EvaluationPeriod.get(quarter="2025Q2", area_id=(await area(SIBLING)).id)
        flagged = {r.assignment_id for r in await ExitReview.filter(period_id=second.id)}
        last = {(await holders(SIBLING, role))[-1].id for role in EVALUATED_ROLES}
        assert flagged == last
