"""The evaluation scheme: scoring arithmetic, ranks and ties, the period lifecycle, publication
(red flags, bonus points, dynamic exit), scheme versions, adjustments and objections, and who
sees what.

Quarters of 2025 are evaluated (the demo may evaluate its own recent quarters); ledger credit
is put into them with the ledger clock.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from services import evaluation, households, points
from services.accounts import create_account, load_actor
from services.enums import (
    EVALUATED_ROLES,
    AreaLevel,
    Dimension,
    ExitReviewStatus,
    HonourKind,
    Metric,
    ObjectionStatus,
    PeriodStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evaluation import ManualItem, MetricPoints, RuleLink, SchemeInput
from services.evaluation.periods import HONOUR_SOURCE
from services.kit import clock as service_clock
from services.kit.auth import Actor
from services.kit.calendar import period_of
from services.models import (
    AreaEvaluation,
    EvaluationAdjustment,
    EvaluationHonour,
    EvaluationObjection,
    EvaluationPeriod,
    EvaluationResult,
    EvaluationScheme,
    ExitReview,
    Household,
    PointsTransaction,
    RoleAssignment,
)
from services.people import assign_role, end_role
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import (
    CODES,
    FINE,
    INFORMATION,
    MANAGEMENT,
    POLICY,
    PROBLEMS,
    SIBLING,
    VOLUNTEER,
    account_in,
    adjust,
    all_holders,
    area,
    dimension_scores,
    district,
    give,
    holders,
    local,
    make_rules,
    open_period,
    publish,
    result_of,
    rewards,
    scored,
    set_scheme,
    weights_of,
)
from tests.services.points_support import Clock, assert_ledger_ok, person_id

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

DEMO = "颜山社区"
STREET = "城西街道"
DEMO_GRID = "颜山第一网格"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The ledger's clock, set by `give` to a moment inside the quarter being credited."""
    return Clock(service_clock.now())


async def training(community: str, *attended: int, at: datetime) -> None:
    """A training session of a community at `at`, attended by these people."""
    admin = await actor_for("street_admin")
    session = await evaluation.create_session(
        actor=admin,
        area_id=(await area(community)).id,
        topic="网格员培训",
        place="社区会议室",
        starts_at=at,
    )
    # attendance is recorded once the session has begun
    with service_clock.frozen(at + timedelta(hours=1)):
        await evaluation.record_attendance(
            actor=admin, session_id=session.id, person_ids=list(attended)
        )


def ancestor(path: str, depth: int) -> str:
    """The path of the ancestor at `depth` components (4: the grid)."""
    return "/" + "/".join(path.strip("/").split("/")[:depth]) + "/"


def next_quarter(quarter: str) -> str:
    year, number = int(quarter[:4]), int(quarter[5])
    return f"{year + 1}Q1" if number == 4 else f"{year}Q{number + 1}"


# --- scoring arithmetic ---------------------------------------------------------------------


async def test_credit_counts_in_its_rules_dimension_clamped_weighted_and_rounded_half_up(
    db: Database, clock: Clock
) -> None:
    # given a scheme weighting the dimensions 40/30/20/10 out of 50/200/30/400 points, with 10
    # points a training session, and two micro-grid leaders of the sibling community
    await set_scheme(weights=(40, 30, 20, 10), max_scores=(50, 200, 30, 400), training_points=10)
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
    others = await EvaluationResult.filter(period_id=period.id, person_id__not_in=[first, second])
    assert others and all(r.total == 0 for r in others)


async def test_training_counts_in_its_own_quarter_and_marks_the_year_trained(db: Database) -> None:
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
    db: Database, clock: Clock
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


async def test_manual_items_and_free_adjustments_change_the_total(db: Database) -> None:
    # given detailed rules with a manual item (monthly meeting, POLICY, 0-5) and a period
    # being scored in the sibling community
    await set_scheme()
    await evaluation.update_scheme(
        actor=await actor_for("street_admin"),
        area_id=(await area(SIBLING)).id,
        data=SchemeInput(manual_items=[ManualItem("meeting", "参加月度例会", POLICY, 5)]),
    )
    period = await scored(SIBLING, "2025Q1")
    holder = (await holders(SIBLING, Role.CENTRAL_HOUSEHOLD))[0]
    result = await result_of(period, holder.id)
    assert result.total == 0
    # when the item is scored 3, then rescored 5
    first = await adjust(result, 3, dimension=None, item_code="MEETING")
    second = await adjust(result, 5, dimension=POLICY, item_code="meeting")
    # then only the newer score counts: 25 x 5/100
    result = await EvaluationResult.get(id=result.id)
    assert dimension_scores(result)[POLICY] == 5
    assert result.total == 125
    superseded = await EvaluationAdjustment.get(id=first.id)
    assert superseded.withdrawn_at is not None
    assert superseded.withdrawn_reason == f"superseded by #{second.id}"
    # when free adjustments take 4 from an empty PROBLEMS (clamped at 0) and add 10
    await adjust(result, -4)
    await adjust(result, 10)
    # then PROBLEMS scores 6: 25 x (5 + 6) / 100
    result = await EvaluationResult.get(id=result.id)
    assert dimension_scores(result) == {POLICY: 5, MANAGEMENT: 0, INFORMATION: 0, PROBLEMS: 6}
    assert result.total == 275


@pytest.mark.parametrize(
    ("dimension", "points_", "item_code", "reason"),
    [
        (POLICY, 6, "MEETING", "走访"),  # above the item's maximum
        (POLICY, -1, "MEETING", "走访"),  # items score from 0
        (PROBLEMS, 3, "MEETING", "走访"),  # the item counts in POLICY
        (POLICY, 3, "NO_SUCH_ITEM", "走访"),
        (PROBLEMS, 0, None, "走访"),  # a free adjustment is never 0
        (PROBLEMS, 101, None, "走访"),
        (PROBLEMS, -101, None, "走访"),
        (None, 5, None, "走访"),  # a free adjustment names its dimension
        (VOLUNTEER, 5, None, "走访"),  # volunteering is not evaluated
        (PROBLEMS, 5, None, "   "),  # a reason is required
    ],
)
async def test_invalid_adjustments_are_refused_and_change_nothing(
    db: Database, dimension: Dimension | None, points_: int, item_code: str | None, reason: str
) -> None:
    # given a period being scored, with a manual item MEETING (POLICY, 0-5)
    await evaluation.update_scheme(
        actor=await actor_for("street_admin"),
        area_id=(await area(SIBLING)).id,
        data=SchemeInput(manual_items=[ManualItem("MEETING", "参加月度例会", POLICY, 5)]),
    )
    period = await scored(SIBLING, "2025Q1")
    result = await result_of(period, (await holders(SIBLING, Role.GRID_LEADER))[0].id)
    await adjust(result, 2, dimension=None, item_code="MEETING")
    before = await EvaluationResult.get(id=result.id)
    # when an invalid adjustment is made, then it is refused
    with pytest.raises(InvalidInput):
        await evaluation.adjust_score(
            actor=await actor_for("street_admin"),
            result_id=result.id,
            dimension=dimension,
            points=points_,
            reason=reason,
            item_code=item_code,
        )
    # and nothing changed
    assert await EvaluationAdjustment.filter(result_id=result.id).count() == 1
    after = await EvaluationResult.get(id=result.id)
    assert (after.total, after.scores) == (before.total, before.scores)


# --- ranks and ties -------------------------------------------------------------------------


async def test_ties_are_broken_by_the_plain_sum_then_the_earlier_assignment(
    db: Database, clock: Clock
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
            zeros = sorted((r for r in ours if r.total == 0), key=lambda r: r.community_rank or 0)
            assert [r.assignment_id for r in zeros] == sorted(r.assignment_id for r in zeros)


# --- lifecycle ------------------------------------------------------------------------------


async def test_a_period_goes_open_scoring_published(db: Database) -> None:
    admin = await actor_for("street_admin")
    # given the current quarter opened for the sibling community
    period = await open_period(SIBLING, None)
    assert (period.status, period.quarter) == (PeriodStatus.OPEN, period_of(service_clock.now()))
    assert await EvaluationResult.filter(period_id=period.id).count() == 0
    # then it cannot be published before scoring
    with pytest.raises(Conflict):
        await evaluation.publish_period(actor=admin, period_id=period.id)
    # when scoring starts, every role holder of the community is evaluated
    scoring = await evaluation.start_scoring(actor=admin, period_id=period.id)
    assert scoring.status is PeriodStatus.SCORING and scoring.scoring_started_at is not None
    assert await EvaluationResult.filter(period_id=period.id).count() == len(
        await all_holders(SIBLING)
    )
    # and it cannot start twice
    with pytest.raises(Conflict):
        await evaluation.start_scoring(actor=admin, period_id=period.id)
    result = await EvaluationResult.filter(period_id=period.id).order_by("id").first()
    assert result is not None
    await adjust(result, 5)
    # when it is published
    published = await evaluation.publish_period(actor=admin, period_id=period.id)
    assert published.status is PeriodStatus.PUBLISHED and published.published_at is not None
    # then it is locked: no scoring and no adjustment any more
    with pytest.raises(Conflict):
        await evaluation.start_scoring(actor=admin, period_id=period.id)
    with pytest.raises(Conflict):
        await adjust(result, 5)
    assert await EvaluationAdjustment.filter(result_id=result.id).count() == 1


async def test_publishing_waits_for_the_open_objections(db: Database) -> None:
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


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (STREET, SIBLING),  # a street period, then a community under it
        (SIBLING, STREET),  # a community period, then the street around it
        ("博山区", SIBLING),  # the district, then a community
        (SIBLING, SIBLING),  # the same community twice
    ],
)
async def test_periods_of_one_quarter_never_overlap(db: Database, first: str, second: str) -> None:
    # given a 2025Q3 period of one area
    await open_period(first, "2025Q3", by="district_admin")
    count = await EvaluationPeriod.all().count()
    # when the quarter is opened for an area above or below it, then it is refused
    with pytest.raises(Conflict):
        await open_period(second, "2025Q3", by="district_admin")
    assert await EvaluationPeriod.all().count() == count
    # and another quarter is fine
    await open_period(second, "2025Q4", by="district_admin")


async def test_sibling_communities_evaluate_the_same_quarter(db: Database) -> None:
    await open_period(SIBLING, "2025Q3")
    other = await open_period("青龙山社区", "2025Q3")
    assert other.status is PeriodStatus.OPEN


async def test_only_begun_quarters_of_evaluating_areas_are_opened(db: Database) -> None:
    count = await EvaluationPeriod.all().count()
    future = next_quarter(period_of(service_clock.now()))
    with pytest.raises(InvalidInput):
        await open_period(SIBLING, future)
    with pytest.raises(InvalidInput):
        await open_period(SIBLING, "2025Q5")
    with pytest.raises(InvalidInput):
        await open_period(DEMO_GRID, "2025Q3", by="community_admin")
    assert await EvaluationPeriod.all().count() == count


# --- publication: idempotence, red flags ----------------------------------------------------


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


async def test_publishing_twice_honours_once(db: Database, clock: Clock) -> None:
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


async def test_concurrent_publications_honour_once(db: Database) -> None:
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
    db: Database, clock: Clock
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
        kind: [(h.area_id, h.person_id, h.rank, h.bonus_points) for h in honours if h.kind is kind]
        for kind in HonourKind
    }
    # then the star's micro-grid and its grid are the red flags, paid to their leaders
    assert by_kind[HonourKind.RED_FLAG_MICRO_GRID] == [(star.area_id, star.person_id, 1, 77)]
    assert by_kind[HonourKind.RED_FLAG_GRID] == [(star_grid.area_id, star_grid.person_id, 1, 50)]
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


async def test_nobody_below_the_exit_threshold_gets_a_red_flag(db: Database, clock: Clock) -> None:
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


# --- dynamic exit ---------------------------------------------------------------------------


async def test_two_poor_quarters_in_a_row_open_an_exit_review(db: Database, clock: Clock) -> None:
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


async def test_the_last_of_a_role_in_two_quarters_is_up_for_review(db: Database) -> None:
    # given no threshold: only the last of two or more in a role in the community is poor
    await set_scheme(exit_threshold=0)
    for quarter in ("2025Q1", "2025Q2"):
        await publish(await scored(SIBLING, quarter))
    # then the last (latest appointed, everyone scoring 0) of each role is up for review
    second = await EvaluationPeriod.get(quarter="2025Q2", area_id=(await area(SIBLING)).id)
    flagged = {r.assignment_id for r in await ExitReview.filter(period_id=second.id)}
    last = {(await holders(SIBLING, role))[-1].id for role in EVALUATED_ROLES}
    assert flagged == last


async def test_a_review_is_cleared_once_with_a_reason_or_closed_by_ending_the_role(
    db: Database,
) -> None:
    await set_scheme(exit_threshold=60)
    for quarter in ("2025Q1", "2025Q2"):
        period = await publish(await scored(SIBLING, quarter))
    reviews = await ExitReview.filter(period_id=period.id).order_by("id")
    kept, ended = reviews[:2]
    admin = await actor_for("street_admin")
    # a non-admin cannot clear a review, nor an empty reason
    with pytest.raises(NotFound):
        await evaluation.clear_exit_review(
            actor=await actor_for("grid_leader"), review_id=kept.id, reason="继续任职"
        )
    with pytest.raises(InvalidInput):
        await evaluation.clear_exit_review(actor=admin, review_id=kept.id, reason=" ")
    # when an admin clears one
    cleared = await evaluation.clear_exit_review(
        actor=admin, review_id=kept.id, reason="新任不满半年"
    )
    assert (cleared.status, cleared.resolution) == (ExitReviewStatus.CLEARED, "新任不满半年")
    assert cleared.resolved_by_id == admin.person_id
    # then it cannot be cleared again
    with pytest.raises(Conflict):
        await evaluation.clear_exit_review(actor=admin, review_id=kept.id, reason="再次")
    # and ending the other's role closes theirs, the reason kept
    await end_role(actor=admin, assignment_id=ended.assignment_id, reason="连续两季度末位")
    closed = await ExitReview.get(id=ended.id)
    assert (closed.status, closed.resolution) == (ExitReviewStatus.ROLE_ENDED, "连续两季度末位")
    assert closed.resolved_by_id == admin.person_id
    assert (await RoleAssignment.get(id=ended.assignment_id)).until is not None
    with pytest.raises(Conflict):
        await evaluation.clear_exit_review(actor=admin, review_id=ended.id, reason="继续任职")
    # and the list of open reviews no longer shows either
    open_ones = await evaluation.exit_reviews(
        actor=admin, under_id=(await area(SIBLING)).id, status=ExitReviewStatus.OPEN
    )
    assert {kept.id, ended.id}.isdisjoint(r.id for r in open_ones)


# --- scheme versions ------------------------------------------------------------------------


async def test_a_period_is_scored_by_the_versions_in_force_when_it_opened(
    db: Database, clock: Clock
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
    for period in (old, new):
        await evaluation.start_scoring(actor=admin, period_id=period.id)
    # then 2025Q1 keeps the old weights and rules: 25 x 40/100
    then = await result_of(old, leader.id)
    assert weights_of(then)[POLICY] == 25 and then.total == 1000
    # and 2025Q2 uses the new ones: 70 x (40 + 10)/100
    now = await result_of(new, leader.id)
    assert weights_of(now)[POLICY] == 70 and now.total == 3500


async def test_each_update_writes_a_newer_version(db: Database) -> None:
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


async def test_metric_points_change_one_metric_and_keep_the_others(db: Database) -> None:
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
    db: Database, username: str, where: str, data: SchemeInput, error: type[Exception]
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
    db: Database, weights: tuple[int, ...], max_scores: tuple[int, ...]
) -> None:
    count = await EvaluationScheme.all().count()
    with pytest.raises(InvalidInput):
        await set_scheme(weights=weights, max_scores=max_scores)
    assert await EvaluationScheme.all().count() == count


# --- objections -----------------------------------------------------------------------------


async def test_an_upheld_objection_withdraws_the_adjustment_a_rejected_one_lets_it_stand(
    db: Database,
) -> None:
    # given the demo grid leader's result with two adjustments: +10 PROBLEMS, +20 POLICY
    await set_scheme()
    period = await scored(DEMO, "2025Q1", by="community_admin")
    admin = await actor_for("community_admin")
    leader = await actor_for("grid_leader")
    result = await EvaluationResult.get(period_id=period.id, person_id=leader.person_id)
    assert result.total == 0
    low = await adjust(result, 10, dimension=PROBLEMS, by="community_admin")
    high = await adjust(result, 20, dimension=POLICY, by="community_admin")
    assert (await EvaluationResult.get(id=result.id)).total == 750
    # then nobody else objects to them
    other = await actor_for("microgrid_leader")
    with pytest.raises(NotFound):
        await evaluation.object_to_adjustment(actor=other, adjustment_id=low.id, reason="不公")
    # when the leader objects to the first, and an admin upholds it
    objection = await evaluation.object_to_adjustment(
        actor=leader, adjustment_id=low.id, reason="应为 +15"
    )
    assert objection.status is ObjectionStatus.OPEN
    with pytest.raises(Conflict):  # once is enough
        await evaluation.object_to_adjustment(actor=leader, adjustment_id=low.id, reason="再次")
    with pytest.raises(Forbidden):  # the objector does not resolve it
        await evaluation.resolve_objection(
            actor=leader, objection_id=objection.id, upheld=True, resolution="同意"
        )
    upheld = await evaluation.resolve_objection(
        actor=admin, objection_id=objection.id, upheld=True, resolution="重新核定"
    )
    # then the adjustment is withdrawn and the total recomputed: 25 x 20/100
    assert (upheld.status, upheld.resolution) == (ObjectionStatus.UPHELD, "重新核定")
    assert (await EvaluationAdjustment.get(id=low.id)).withdrawn_at is not None
    after = await EvaluationResult.get(id=result.id)
    assert after.total == 500
    assert dimension_scores(after)[PROBLEMS] == 0
    with pytest.raises(Conflict):  # resolved once
        await evaluation.resolve_objection(
            actor=admin, objection_id=objection.id, upheld=False, resolution="改判"
        )
    with pytest.raises(Conflict):  # a withdrawn adjustment is no longer objected to
        await evaluation.object_to_adjustment(actor=leader, adjustment_id=low.id, reason="再次")
    # when the leader objects to the second, and it is rejected
    second = await evaluation.object_to_adjustment(
        actor=leader, adjustment_id=high.id, reason="应更高"
    )
    rejected = await evaluation.resolve_objection(
        actor=admin, objection_id=second.id, upheld=False, resolution="维持"
    )
    # then it stands
    assert rejected.status is ObjectionStatus.REJECTED
    assert (await EvaluationAdjustment.get(id=high.id)).withdrawn_at is None
    assert (await EvaluationResult.get(id=result.id)).total == 500


async def test_an_admin_holding_an_evaluated_role_neither_adjusts_nor_judges_their_own(
    db: Database,
) -> None:
    # given the community admin also a central household of micro-grid M (living there)
    district_admin = await actor_for("district_admin")
    household = await Household.get(id=(await actor_for("central_household")).household_id or 0)
    admin_person = await person_id("community_admin")
    await households.add_member(
        actor=district_admin, household_id=household.id, person_id=admin_person
    )
    await assign_role(
        actor=district_admin,
        person_id=admin_person,
        role=Role.CENTRAL_HOUSEHOLD,
        area_id=household.micro_grid_id or 0,
    )
    period = await scored(DEMO, "2025Q1", by="community_admin")
    admin = await actor_for("community_admin")
    own = await EvaluationResult.get(period_id=period.id, person_id=admin_person)
    # then they cannot adjust their own result
    with pytest.raises(Forbidden):
        await adjust(own, 5, by="community_admin")
    # and when the street admin adjusts it and they object
    made = await adjust(own, -5, by="street_admin")
    objection = await evaluation.object_to_adjustment(
        actor=admin, adjustment_id=made.id, reason="有误"
    )
    # then someone else resolves it
    with pytest.raises(Forbidden):
        await evaluation.resolve_objection(
            actor=admin, objection_id=objection.id, upheld=True, resolution="同意"
        )
    done = await evaluation.resolve_objection(
        actor=await actor_for("street_admin"),
        objection_id=objection.id,
        upheld=True,
        resolution="同意",
    )
    assert done.status is ObjectionStatus.UPHELD
    assert await EvaluationObjection.filter(period_id=period.id).count() == 1


# --- who may do and see what ----------------------------------------------------------------


async def test_only_admins_of_the_area_run_its_evaluation(db: Database) -> None:
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
        await evaluation.start_scoring(actor=await actor_for("grid_leader"), period_id=period.id)
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
            await evaluation.publish_period(actor=await actor_for(username), period_id=period.id)
    with pytest.raises(NotFound):
        await evaluation.publish_period(actor=stranger, period_id=period.id)
    assert await EvaluationAdjustment.filter(period_id=period.id).count() == 0
    assert (await EvaluationPeriod.get(id=period.id)).status is PeriodStatus.SCORING


async def test_holders_see_their_own_result_while_scoring_and_the_community_all_once_published(
    db: Database,
) -> None:
    # given a scheme that names red flags (threshold 0) and the demo community's 2025Q2
    await set_scheme(exit_threshold=0)
    demo = await area(DEMO)
    leader = await actor_for("grid_leader")
    other = await person_id("microgrid_leader")
    period = await open_period(DEMO, "2025Q2", by="community_admin")
    # while open, nobody's result exists nor shows
    mine_before = await evaluation.my_evaluations(person_id=leader.person_id)
    assert all(r.period_id != period.id for r in mine_before)
    period = await evaluation.start_scoring(
        actor=await actor_for("community_admin"), period_id=period.id
    )
    # while scoring, the leader sees their own result, not other people's, nor the rankings
    mine = await evaluation.evaluation(
        actor=leader, person_id=leader.person_id, period_id=period.id, role=None
    )
    assert mine is not None and mine.role is Role.GRID_LEADER
    listed = await evaluation.my_evaluations(person_id=leader.person_id)
    assert [r.id for r in listed if r.period_id == period.id] == [mine.id]
    theirs = await EvaluationResult.get(period_id=period.id, person_id=other)
    assert (
        await evaluation.evaluation(actor=leader, person_id=other, period_id=period.id, role=None)
        is None
    )
    assert await evaluation.results_by_ids(actor=leader, result_ids=[theirs.id, mine.id]) == [
        None,
        mine,
    ]
    resident = await actor_for("resident")
    stranger = await account_in("sibling_admin", Role.COMMUNITY_ADMIN, SIBLING)
    for actor in (leader, resident, stranger):
        with pytest.raises(Forbidden):
            await evaluation.rankings(
                actor=actor,
                under_id=demo.id,
                period_id=period.id,
                role=Role.GRID_LEADER,
                first=10,
                after=None,
            )
    # while the community admin sees them all
    admin_view = await evaluation.rankings(
        actor=await actor_for("community_admin"),
        under_id=demo.id,
        period_id=period.id,
        role=Role.MICRO_GRID_LEADER,
        first=100,
        after=None,
    )
    assert [r.community_rank for r in admin_view.items] == list(range(1, len(admin_view.items) + 1))
    # when it is published
    await publish(period, by="community_admin")
    flags = await EvaluationHonour.filter(period_id=period.id).order_by("id")
    assert flags
    # then members of the community see the rankings, other results and the red flags
    for username in ("resident", "volunteer", "grid_leader"):
        member = await actor_for(username)
        page = await evaluation.rankings(
            actor=member,
            under_id=demo.id,
            period_id=period.id,
            role=Role.MICRO_GRID_LEADER,
            first=100,
            after=None,
        )
        assert [r.id for r in page.items] == [r.id for r in admin_view.items]
        assert await evaluation.results_by_ids(actor=member, result_ids=[theirs.id]) == [theirs]
        seen = await evaluation.red_flags(actor=member, under_id=demo.id, period_id=period.id)
        assert sorted(h.id for h in seen) == [h.id for h in flags]
    # and people of another community do not
    outsider = await _sibling_resident()
    for actor in (outsider, stranger):
        with pytest.raises(Forbidden):
            await evaluation.rankings(
                actor=actor,
                under_id=demo.id,
                period_id=period.id,
                role=Role.MICRO_GRID_LEADER,
                first=100,
                after=None,
            )
        assert await evaluation.results_by_ids(actor=actor, result_ids=[theirs.id]) == [None]
        assert await evaluation.red_flags(actor=actor, under_id=demo.id, period_id=period.id) == []
        assert (
            await evaluation.evaluation(
                actor=actor, person_id=other, period_id=period.id, role=None
            )
            is None
        )


async def _sibling_resident() -> Actor:
    """A signed-up resident living in the sibling community."""
    account = await create_account(
        username="sibling_resident", password="quiet-harbour-lantern", name="邻社区居民", phone=None
    )
    sibling = await area(SIBLING)
    home = await Household.filter(path__startswith=sibling.path).order_by("id").first()
    assert home is not None
    await households.add_member(
        actor=await actor_for("street_admin"), household_id=home.id, person_id=account.person_id
    )
    actor = await load_actor(account_id=account.id)
    assert actor is not None and actor.household_path is not None
    return actor
