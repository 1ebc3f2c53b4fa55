"""Attendance (services/volunteering/attendance.py): check-in and check-out by the rotating
code or by an organiser, the windows, the automatic check-out, the minutes served."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services import volunteering
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyAttempts
from services.models import ActivitySignUp, VolunteerActivity
from services.volunteering import attendance
from tests.conftest import Database, actor_for
from tests.services.points_support import Clock, person_id
from tests.services.volunteering_support import activity, outsider, sign_up, start_of_minute, team

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The services' clock (ledger.now), at the start of the current minute."""
    return Clock(start_of_minute())


class TestCheckInAndOut:
    """check_in and check_out."""

    async def test_check_in_and_out_by_the_rotating_code(self, db: Database, clock: Clock) -> None:
        planned = await activity(item=await team(), starts_in=timedelta(hours=1))
        await sign_up("volunteer", planned)
        volunteer = await actor_for("volunteer")
        leader = await actor_for("microgrid_leader")
        # before check-in opens nobody sees a code, and checking in is refused
        assert await volunteering.code_for(actor=leader, activity=planned) is None
        # 30 minutes before the start the organiser sees the code; participants never do
        clock.set(planned.starts_at - timedelta(minutes=30))
        code = await volunteering.code_for(actor=leader, activity=planned)
        assert code is not None and len(code.code) == 6 and code.code.isdigit()
        assert code.valid_until - code.valid_from == timedelta(seconds=60)
        assert await volunteering.code_for(actor=volunteer, activity=planned) is None
        wrong = "000000" if code.code != "000000" else "111111"
        with pytest.raises(InvalidInput) as raised:
            await volunteering.check_in(actor=volunteer, activity_id=planned.id, code=wrong)
        assert raised.value.field == "code"
        # a code with other characters is just as wrong (it was a TypeError once)
        with pytest.raises(InvalidInput):
            await volunteering.check_in(
                actor=volunteer, activity_id=planned.id, code="一二三四五六"
            )
        # the code of the previous minute still works, one older does not
        clock.set(clock.moment + timedelta(seconds=61))
        entry = await volunteering.check_in(actor=volunteer, activity_id=planned.id, code=code.code)
        assert entry.checked_in_at == clock.moment and entry.checked_in_by_id is None
        with pytest.raises(Conflict):
            await volunteering.check_in(
                actor=volunteer,
                activity_id=planned.id,
                code=volunteering.current_code(planned).code,
            )
        # check out 3 hours later: the minutes count within the activity's 2 hours only
        clock.set(planned.ends_at + timedelta(minutes=30))
        stale = code.code
        with pytest.raises(InvalidInput):
            await volunteering.check_out(actor=volunteer, activity_id=planned.id, code=stale)
        entry = await volunteering.check_out(
            actor=volunteer, activity_id=planned.id, code=volunteering.current_code(planned).code
        )
        assert entry.minutes == 120 and entry.hours_status == "PENDING"
        assert not entry.auto_checked_out
        with pytest.raises(Conflict):
            await volunteering.check_out(
                actor=volunteer,
                activity_id=planned.id,
                code=volunteering.current_code(planned).code,
            )

    async def test_guessing_the_code_is_stopped_after_a_few_tries(
        self, db: Database, clock: Clock
    ) -> None:
        planned = await activity(item=await team(), starts_in=timedelta(minutes=10))
        await sign_up("volunteer", planned)
        volunteer = await actor_for("volunteer")
        right = volunteering.current_code(planned).code
        wrong = [f"{n:06d}" for n in range(20) if f"{n:06d}" != right]
        # five wrong codes are plain mistakes; the sixth try is refused whatever it is
        for guess in wrong[:5]:
            with pytest.raises(InvalidInput):
                await volunteering.check_in(actor=volunteer, activity_id=planned.id, code=guess)
        with pytest.raises(TooManyAttempts):
            await volunteering.check_in(actor=volunteer, activity_id=planned.id, code=right)
        # concurrent guesses all count: none gets past the limit
        results = await asyncio.gather(
            *(
                volunteering.check_in(actor=volunteer, activity_id=planned.id, code=guess)
                for guess in wrong[5:15]
            ),
            return_exceptions=True,
        )
        assert all(isinstance(r, TooManyAttempts) for r in results)
        # others are not held back by one person's guesses
        await sign_up("central_household", planned)
        entry = await volunteering.check_in(
            actor=await actor_for("central_household"), activity_id=planned.id, code=right
        )
        assert entry.checked_in_at is not None

    async def test_check_in_windows_and_people_without_sign_up(
        self, db: Database, clock: Clock
    ) -> None:
        planned = await activity(item=await team(), starts_in=timedelta(hours=2))
        volunteer = await actor_for("volunteer")
        clock.set(planned.starts_at - timedelta(minutes=31))
        with pytest.raises(Conflict):
            await volunteering.check_in(
                actor=volunteer,
                activity_id=planned.id,
                code=volunteering.current_code(planned).code,
            )
        clock.set(planned.starts_at)
        with pytest.raises(NotFound):  # not signed up
            await volunteering.check_in(
                actor=volunteer,
                activity_id=planned.id,
                code=volunteering.current_code(planned).code,
            )
        with pytest.raises(InvalidInput):  # no code
            await volunteering.check_in(actor=volunteer, activity_id=planned.id)
        with pytest.raises(Forbidden):  # a participant does not check others in
            await volunteering.check_in(
                actor=volunteer, activity_id=planned.id, person_id=await person_id("resident")
            )
        clock.set(planned.ends_at)
        with pytest.raises(Conflict):
            await volunteering.check_in(
                actor=volunteer,
                activity_id=planned.id,
                code=volunteering.current_code(planned).code,
            )

    async def test_organisers_check_people_in_and_record_times(
        self, db: Database, clock: Clock
    ) -> None:
        made = await team()
        planned = await activity(item=made, starts_in=timedelta(hours=1), capacity=1)
        await sign_up("volunteer", planned)
        leader = await actor_for("microgrid_leader")
        clock.set(planned.starts_at + timedelta(minutes=10))
        # the leader checks in a participant, and signs up a walk-in (the activity is full)
        entry = await volunteering.check_in(
            actor=leader, activity_id=planned.id, person_id=await person_id("volunteer")
        )
        assert entry.checked_in_by_id == leader.person_id
        with pytest.raises(Conflict):
            await volunteering.check_in(
                actor=leader, activity_id=planned.id, person_id=await person_id("resident")
            )
        # a person from elsewhere is out of reach even for the organiser
        stranger = await outsider()
        with pytest.raises(NotFound):
            await volunteering.check_in(
                actor=leader, activity_id=planned.id, person_id=await person_id(stranger)
            )
        # the admin records a check-out at a given time (never in the future, never before check-in)
        admin = await actor_for("community_admin")
        with pytest.raises(InvalidInput):
            await volunteering.check_out(
                actor=admin,
                activity_id=planned.id,
                person_id=await person_id("volunteer"),
                at=clock.moment + timedelta(minutes=1),
            )
        with pytest.raises(InvalidInput):
            await volunteering.check_out(
                actor=admin,
                activity_id=planned.id,
                person_id=await person_id("volunteer"),
                at=clock.moment - timedelta(minutes=20),
            )
        clock.set(planned.ends_at + timedelta(hours=1))
        out = await volunteering.check_out(
            actor=admin,
            activity_id=planned.id,
            person_id=await person_id("volunteer"),
            at=planned.starts_at + timedelta(minutes=100),
        )
        assert out.minutes == 90 and out.checked_out_by_id == admin.person_id

    async def test_a_past_activity_is_recorded_with_walk_ins(
        self, db: Database, clock: Clock
    ) -> None:
        past = await activity(
            item=await team(), by="community_admin", starts_in=-timedelta(days=3), capacity=2
        )
        admin = await actor_for("community_admin")
        for username in ("volunteer", "central_household"):
            who = await person_id(username)
            await volunteering.check_in(
                actor=admin, activity_id=past.id, person_id=who, at=past.starts_at
            )
            entry = await volunteering.check_out(
                actor=admin, activity_id=past.id, person_id=who, at=past.ends_at
            )
            assert entry.minutes == 120 and entry.added_by_id == admin.person_id
        with pytest.raises(Conflict):  # the 2 places are taken
            await volunteering.check_in(
                actor=admin,
                activity_id=past.id,
                person_id=await person_id("resident"),
                at=past.starts_at,
            )


class TestAutoCheckOut:
    """auto_check_out."""

    async def test_forgotten_check_ins_are_closed_once_after_24_hours(
        self, db: Database, clock: Clock
    ) -> None:
        planned = await activity(item=await team(), starts_in=timedelta(hours=1))
        await sign_up("volunteer", planned)
        await sign_up("resident", planned)
        clock.set(planned.starts_at + timedelta(minutes=30))
        for username in ("volunteer", "resident"):
            await volunteering.check_in(
                actor=await actor_for(username),
                activity_id=planned.id,
                code=volunteering.current_code(planned).code,
            )
        await volunteering.check_out(
            actor=await actor_for("resident"),
            activity_id=planned.id,
            code=volunteering.current_code(planned).code,
        )
        # a day minus a minute later nothing happens
        clock.set(clock.moment + volunteering.AUTO_CHECK_OUT_AFTER - timedelta(minutes=1))
        assert await volunteering.auto_check_out() == 0
        # after 24 hours two racing runs close the volunteer's check-in once
        clock.set(clock.moment + timedelta(minutes=2))
        closed = await asyncio.gather(volunteering.auto_check_out(), volunteering.auto_check_out())
        assert sum(closed) == 1
        entry = await ActivitySignUp.get(
            activity_id=planned.id, person_id=await person_id("volunteer")
        )
        assert entry.auto_checked_out and entry.hours_status == "PENDING"
        assert entry.minutes == 90  # from the check-in to the activity's end
        assert await volunteering.auto_check_out() == 0


class TestMinutesServed:
    """minutes_served."""

    def test_minutes_are_clamped_to_the_activity(self) -> None:
        start = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
        item = VolunteerActivity(starts_at=start, ends_at=start + timedelta(hours=2))
        minutes = attendance.minutes_served
        assert minutes(item, start - timedelta(hours=1), start + timedelta(hours=5)) == 120
        assert minutes(item, start + timedelta(minutes=15), start + timedelta(minutes=74)) == 59
        assert minutes(item, start + timedelta(hours=3), start + timedelta(hours=4)) == 0
