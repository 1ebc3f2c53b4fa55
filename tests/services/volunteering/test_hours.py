"""Service hours (services/volunteering/hours.py) → points: approval awards VOLUNTEER_HOUR once
(also when raced), within the rule's caps; declines keep the record; who may review; the
viewer's totals and a project's."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest

from seed.demo import DEMO_COMMUNITY
from services import partners, points, volunteering
from services.enums import AwardStatus, HoursStatus
from services.enums import PointsWithheldReason as WITHHELD
from services.errors import Conflict, Forbidden, IdempotencyConflict, InvalidInput, NotFound
from services.evaluation.scoring import previous_quarter
from services.kit import calendar
from services.kit import clock as service_clock
from services.kit.settings import get_settings
from services.models import (
    ActivitySignUp,
    EvaluationPeriod,
    PointsAward,
    PointsRule,
    PointsTransaction,
)
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import scored
from tests.services.points_support import Clock, assert_ledger_ok, counts, key, person_id, summary
from tests.services.volunteering_support import (
    activity,
    co_building_project,
    community,
    local_day,
    served,
    start_of_minute,
    team,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


# 颜山社区 overrides the district's VOLUNTEER_HOUR (10 points an hour): 12 an hour, 96 a day.
RATE = 12


DAILY_CAP = 96


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(start_of_minute())


class TestWholeHours:
    """whole_hours."""

    def test_hours_round_half_up(self) -> None:
        assert [volunteering.whole_hours(m) for m in (0, 29, 30, 89, 90, 120)] == [0, 0, 1, 1, 2, 2]


class TestApproveHours:
    """approve_hours: once, raced, replayed, capped, by whom, when."""

    async def test_approved_hours_award_points_once(self, db: Database, clock: Clock) -> None:
        # given the resident served 2 h 40 min (3 hours, rounded half up)
        _, done = await served(clock, {"resident": 160})
        before = (await summary("resident")).balance
        leader = await actor_for("microgrid_leader")
        # when the team's leader approves (no granting role of the rule needed)
        (approved,) = await volunteering.approve_hours(
            actor=leader, sign_up_ids=[done["resident"].id], idempotency_key=key()
        )
        # then 3 × 12 points are awarded from 颜山社区's pool, for this sign-up
        assert approved.hours_status is HoursStatus.APPROVED and approved.awarded_hours == 3
        award = await PointsAward.get(id=approved.award_id)
        assert (award.quantity, award.points, award.status) == (3, 3 * RATE, AwardStatus.APPROVED)
        assert (award.source_type, award.source_id) == ("ActivitySignUp", str(approved.id))
        assert (await summary("resident")).balance == before + 3 * RATE
        # and approving again, with another key or by someone else, awards nothing more
        for by in ("microgrid_leader", "community_admin"):
            again = await volunteering.approve_hours(
                actor=await actor_for(by), sign_up_ids=[approved.id], idempotency_key=key()
            )
            assert again[0].award_id == award.id
        assert (
            await PointsAward.filter(
                source_type="ActivitySignUp", source_id=str(approved.id)
            ).count()
            == 1
        )
        assert (await summary("resident")).balance == before + 3 * RATE
        await assert_ledger_ok()

    async def test_racing_approvals_award_once(self, db: Database, clock: Clock) -> None:
        _, done = await served(clock, {"resident": 120, "central_household": 60})
        ids = [done["resident"].id, done["central_household"].id]
        before = {u: (await summary(u)).balance for u in ("resident", "central_household")}
        leader = await actor_for("microgrid_leader")
        admin = await actor_for("community_admin")
        # when the leader and the admin approve the same hours at once, four times over
        await asyncio.gather(
            *(
                volunteering.approve_hours(actor=actor, sign_up_ids=ids, idempotency_key=key())
                for actor in (leader, admin, leader, admin)
            )
        )
        # then each sign-up was awarded once
        awards = await PointsAward.filter(
            source_type="ActivitySignUp", source_id__in=[str(i) for i in ids]
        ).order_by("id")
        assert sorted(int(a.source_id or 0) for a in awards) == sorted(ids)
        assert (await summary("resident")).balance == before["resident"] + 2 * RATE
        assert (await summary("central_household")).balance == before["central_household"] + RATE
        await assert_ledger_ok()

    async def test_a_replayed_key_returns_the_first_result(
        self, db: Database, clock: Clock
    ) -> None:
        _, done = await served(clock, {"resident": 60, "rider": 60})
        leader = await actor_for("microgrid_leader")
        first = await volunteering.approve_hours(
            actor=leader, sign_up_ids=[done["resident"].id], idempotency_key="approve-1"
        )
        again = await volunteering.approve_hours(
            actor=leader, sign_up_ids=[done["resident"].id], idempotency_key="approve-1"
        )
        assert [s.id for s in again] == [s.id for s in first]
        with pytest.raises(IdempotencyConflict):
            await volunteering.approve_hours(
                actor=leader, sign_up_ids=[done["rider"].id], idempotency_key="approve-1"
            )

    async def test_caps_award_only_the_hours_that_fit(self, db: Database, clock: Clock) -> None:
        # given three activities of 6 hours each that the resident served in full on one day
        # (01:00, 08:00 and 15:00 local time, five days ago)
        _, first = await served(clock, {"resident": 360}, starts_at=local_day(5, 1))
        _, second = await served(clock, {"resident": 240}, starts_at=local_day(5, 8))
        _, third = await served(clock, {"resident": 360}, starts_at=local_day(5, 15))
        before = (await summary("resident")).balance
        leader = await actor_for("microgrid_leader")

        async def approve(done: dict[str, ActivitySignUp]) -> ActivitySignUp:
            (approved,) = await volunteering.approve_hours(
                actor=leader, sign_up_ids=[done["resident"].id], idempotency_key=key()
            )
            assert approved.hours_status is HoursStatus.APPROVED  # never refused for a cap
            return approved

        # when they are approved: 6 hours (72 points), then 2 of 4 (up to 96), then 0 of 6
        assert (await approve(first)).awarded_hours == 6
        cut = await approve(second)
        assert cut.awarded_hours == (DAILY_CAP - 6 * RATE) // RATE == 2
        nothing = await approve(third)
        assert (nothing.awarded_hours, nothing.award_id) == (0, None)
        assert (await summary("resident")).balance == before + DAILY_CAP
        # then what the cap left out is on record with the hours, never lost silently
        assert (cut.capped_hours, cut.minutes) == (2, 240)
        assert (nothing.capped_hours, nothing.minutes) == (6, 360)
        assert cut.points_withheld_reason is nothing.points_withheld_reason is WITHHELD.CAPPED
        # and another day's hours fit under that day's own cap
        _, fourth = await served(clock, {"resident": 360}, starts_at=local_day(7, 8))
        in_full = await approve(fourth)
        assert (in_full.awarded_hours, in_full.points_withheld_reason) == (6, None)
        await assert_ledger_ok()

    async def test_caps_count_the_day_served_not_the_day_approved(
        self, db: Database, clock: Clock
    ) -> None:
        # given hours served yesterday (6 h), pending
        _, yesterday = await served(clock, {"resident": 360}, starts_at=local_day(1, 8))
        leader = await actor_for("microgrid_leader")
        # and today's daily cap of the rule reached (8 × 12 = 96, awarded today)
        await points.award_points(
            actor=await actor_for("community_admin"),
            person_id=await person_id("resident"),
            rule_code="VOLUNTEER_HOUR",
            quantity=DAILY_CAP // RATE,
            reason="今日志愿服务",
            source=None,
            idempotency_key=key(),
        )
        # when yesterday's hours are approved today
        (late,) = await volunteering.approve_hours(
            actor=leader, sign_up_ids=[yesterday["resident"].id], idempotency_key=key()
        )
        # then they earn their points under yesterday's cap, in full
        assert (late.awarded_hours, late.capped_hours) == (6, 0)
        award = await PointsAward.get(id=late.award_id)
        assert award.points == 6 * RATE
        assert award.earned_at == yesterday["resident"].checked_in_at
        await assert_ledger_ok()

    async def test_hours_approved_late_are_credited_to_the_quarter_served(
        self, db: Database, clock: Clock
    ) -> None:
        # given hours served in a past quarter not yet evaluated (the demo has published the
        # last one: the one before it), approved now
        now = calendar.period_of(service_clock.now())
        last_start = calendar.quarter_window(previous_quarter(now))[0]
        served_on = (last_start.astimezone(get_settings().tz) - timedelta(days=3)).replace(hour=8)
        earlier = calendar.period_of(served_on)
        assert not await EvaluationPeriod.filter(quarter=earlier).exists()
        _, first = await served(clock, {"resident": 120}, starts_at=served_on)
        _, second = await served(clock, {"resident": 120}, starts_at=served_on.replace(hour=15))
        leader = await actor_for("microgrid_leader")

        async def credited(done: dict[str, ActivitySignUp]) -> str | None:
            (approved,) = await volunteering.approve_hours(
                actor=leader, sign_up_ids=[done["resident"].id], idempotency_key=key()
            )
            award = await PointsAward.get(id=approved.award_id)
            assert award.points == 2 * RATE  # the hours are never lost
            tx = await PointsTransaction.get(id=award.transaction_id)
            return tx.period

        # when the first is approved, then its evaluation credit goes to the quarter served,
        # where its caps counted it
        assert await credited(first) == earlier
        # and once that quarter's evaluation has started scoring (a snapshot later credit does
        # not change), the second counts in the quarter it is approved in, where it is scored
        await scored(DEMO_COMMUNITY, earlier)
        assert await credited(second) == calendar.period_of(service_clock.now())
        await assert_ledger_ok()

    @pytest.mark.parametrize("missing", ["retired", "zero"])
    async def test_hours_without_a_rule_are_kept_with_the_reason(
        self, db: Database, clock: Clock, missing: str
    ) -> None:
        # given the district's and the community's VOLUNTEER_HOUR rules retired (or paying 0)
        _, done = await served(clock, {"resident": 120})
        rules = PointsRule.filter(code="VOLUNTEER_HOUR")
        if missing == "retired":
            await rules.update(retired_at=service_clock.now())
        else:
            await rules.update(points=0)
        before = await PointsAward.all().count()
        # when the hours are approved
        (approved,) = await volunteering.approve_hours(
            actor=await actor_for("microgrid_leader"),
            sign_up_ids=[done["resident"].id],
            idempotency_key=key(),
        )
        # then they are approved and kept, without points, and the sign-up says why
        assert (approved.hours_status, approved.minutes) == (HoursStatus.APPROVED, 120)
        assert (approved.awarded_hours, approved.capped_hours, approved.award_id) == (0, 0, None)
        assert approved.points_withheld_reason is (
            WITHHELD.NO_RULE if missing == "retired" else WITHHELD.NO_POINTS
        )
        assert await PointsAward.all().count() == before
        totals = await volunteering.volunteer_hours(
            person_id=await person_id("resident"), year=None
        )
        assert totals.approved_minutes >= 120

    async def test_who_reviews_hours(self, db: Database, clock: Clock) -> None:
        _, done = await served(clock, {"resident": 60, "microgrid_leader": 60, "volunteer": 60})
        # a fellow participant does not see others' sign-ups; nobody approves their own
        with pytest.raises(NotFound):
            await volunteering.approve_hours(
                actor=await actor_for("volunteer"),
                sign_up_ids=[done["resident"].id],
                idempotency_key=key(),
            )
        with pytest.raises(Forbidden):
            await volunteering.approve_hours(
                actor=await actor_for("resident"),
                sign_up_ids=[done["resident"].id],
                idempotency_key=key(),
            )
        # the leader does not approve their own hours; an admin does
        with pytest.raises(Forbidden):
            await volunteering.approve_hours(
                actor=await actor_for("microgrid_leader"),
                sign_up_ids=[done["microgrid_leader"].id],
                idempotency_key=key(),
            )
        (own,) = await volunteering.approve_hours(
            actor=await actor_for("community_admin"),
            sign_up_ids=[done["microgrid_leader"].id],
            idempotency_key=key(),
        )
        assert own.hours_status is HoursStatus.APPROVED
        # a sign-up still checked in has no hours to review; duplicates and empty lists are refused
        with pytest.raises(InvalidInput):
            await volunteering.approve_hours(
                actor=await actor_for("community_admin"), sign_up_ids=[], idempotency_key=key()
            )
        with pytest.raises(InvalidInput):
            await volunteering.approve_hours(
                actor=await actor_for("community_admin"),
                sign_up_ids=[done["resident"].id, done["resident"].id],
                idempotency_key=key(),
            )

    async def test_an_oversized_batch_is_refused_before_anything_else(self) -> None:
        # the size alone decides: before who asks (nobody here) and before any database read
        too_many = list(range(1, volunteering.MAX_BATCH + 2))
        with pytest.raises(InvalidInput, match="At most 200 sign-ups at once") as approving:
            await volunteering.approve_hours(
                actor=None, sign_up_ids=too_many, idempotency_key=key()
            )
        with pytest.raises(InvalidInput, match="At most 200 sign-ups at once") as declining:
            await volunteering.decline_hours(actor=None, sign_up_ids=too_many, reason="no")
        assert approving.value.field == declining.value.field == "signUpIds"

    async def test_hours_are_reviewed_after_check_out(self, db: Database, clock: Clock) -> None:
        planned = await activity(item=await team(), starts_in=timedelta(hours=1))
        await volunteering.sign_up(actor=await actor_for("resident"), activity_id=planned.id)
        entry = await ActivitySignUp.get(activity_id=planned.id)
        with pytest.raises(Conflict):
            await volunteering.approve_hours(
                actor=await actor_for("microgrid_leader"),
                sign_up_ids=[entry.id],
                idempotency_key=key(),
            )

    async def test_a_manual_award_cannot_claim_a_sign_up_as_its_source(
        self, db: Database, clock: Clock
    ) -> None:
        # a manual award naming the sign-up would block the hours' own award (one per sign-up)
        _, done = await served(clock, {"resident": 120})
        with pytest.raises(InvalidInput) as raised:
            await points.award_points(
                actor=await actor_for("community_admin"),
                person_id=await person_id("resident"),
                rule_code="VOLUNTEER_HOUR",
                quantity=1,
                reason="手工补记",
                source=points.Source("ActivitySignUp", str(done["resident"].id)),
                idempotency_key=key(),
            )
        assert raised.value.field == "sourceId"
        (approved,) = await volunteering.approve_hours(
            actor=await actor_for("microgrid_leader"),
            sign_up_ids=[done["resident"].id],
            idempotency_key=key(),
        )
        assert approved.awarded_hours == 2


class TestDeclineHours:
    """decline_hours."""

    async def test_declined_hours_are_kept_and_never_awarded(
        self, db: Database, clock: Clock
    ) -> None:
        _, done = await served(clock, {"resident": 120, "rider": 120})
        leader = await actor_for("microgrid_leader")
        with pytest.raises(InvalidInput):
            await volunteering.decline_hours(
                actor=leader, sign_up_ids=[done["resident"].id], reason=" "
            )
        (declined,) = await volunteering.decline_hours(
            actor=leader, sign_up_ids=[done["resident"].id], reason="未在岗"
        )
        assert declined.hours_status is HoursStatus.DECLINED and declined.decline_reason == "未在岗"
        # a batch holding declined hours is refused whole (the rider's hours stay pending)
        before = await counts()
        with pytest.raises(Conflict):
            await volunteering.approve_hours(
                actor=leader,
                sign_up_ids=[done["rider"].id, done["resident"].id],
                idempotency_key=key(),
            )
        assert await counts() == before
        assert (await ActivitySignUp.get(id=done["rider"].id)).hours_status is HoursStatus.PENDING
        # approved hours are not declined
        await volunteering.approve_hours(
            actor=leader, sign_up_ids=[done["rider"].id], idempotency_key=key()
        )
        with pytest.raises(Conflict):
            await volunteering.decline_hours(
                actor=leader, sign_up_ids=[done["rider"].id], reason="改判"
            )
        assert await ActivitySignUp.filter(id=declined.id).exists()


class TestVolunteerHours:
    """volunteer_hours, and a project's hours from its activities."""

    async def test_the_viewer_totals(self, db: Database, clock: Clock) -> None:
        _, first = await served(clock, {"resident": 150})
        await served(clock, {"resident": 45}, days_ago=3)  # pending
        _, third = await served(clock, {"resident": 60}, days_ago=4)
        leader = await actor_for("microgrid_leader")
        await volunteering.approve_hours(
            actor=leader, sign_up_ids=[first["resident"].id], idempotency_key=key()
        )
        await volunteering.decline_hours(
            actor=leader, sign_up_ids=[third["resident"].id], reason="重复登记"
        )
        totals = await volunteering.volunteer_hours(
            person_id=await person_id("resident"), year=None
        )
        assert (totals.approved_minutes, totals.pending_minutes, totals.declined_minutes) == (
            150,
            45,
            60,
        )
        assert totals.awarded_hours == 3 and totals.activities == 2
        year = clock.moment.year
        assert (
            await volunteering.volunteer_hours(person_id=await person_id("resident"), year=year - 5)
        ).activities == 0

    async def test_activities_under_a_project_count_in_its_hours(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        project = await co_building_project()
        start = service_clock.now().replace(microsecond=0) - timedelta(days=1)
        held = await volunteering.create_activity(
            actor=admin,
            area_id=(await community()).id,
            team_id=None,
            project_id=project.id,
            title="楼道杂物清理",
            place="颜山花园 2 号楼",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            capacity=5,
        )
        assert held.project_id == project.id
        before = (await partners.totals_of(project_ids=[project.id]))[0].hours
        # the volunteer served the whole three hours and the admin approves them
        volunteer = await person_id("volunteer")
        await volunteering.check_in(actor=admin, activity_id=held.id, person_id=volunteer, at=start)
        done = await volunteering.check_out(
            actor=admin, activity_id=held.id, person_id=volunteer, at=start + timedelta(hours=3)
        )
        await volunteering.approve_hours(
            actor=admin, sign_up_ids=[done.id], idempotency_key=uuid.uuid4().hex
        )
        after = (await partners.totals_of(project_ids=[project.id]))[0].hours
        assert after == before + 3
