"""Training sessions (培训, services.evaluation.training): who organises them, attendance,
and training coverage per area. The demo trains in the previous quarter: these tests
train in 2024 and 2025.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services import evaluation
from services.enums import EVALUATED_ROLES, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit import clock
from services.kit.auth import Actor
from services.models import Area, RoleAssignment, TrainingAttendance, TrainingSession
from tests.conftest import Database, actor_for
from tests.services.evaluation_support import SIBLING, account_in, area, district, holders, local
from tests.services.points_support import person_id

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


DEMO = "颜山社区"


STREET = "城西街道"


DEMO_GRID = "颜山第一网格"


async def session_at(
    where: str = DEMO, *, by: str = "community_admin", at: datetime | None = None
) -> TrainingSession:
    return await evaluation.create_session(
        actor=await actor_for(by),
        area_id=(await area(where)).id,
        topic="政策宣传培训",
        place="党群服务中心",
        starts_at=at or local(2025, 3, 1),
    )


async def record(session: TrainingSession, *usernames: str, by: str = "community_admin") -> None:
    await evaluation.record_attendance(
        actor=await actor_for(by),
        session_id=session.id,
        person_ids=[await person_id(u) for u in usernames],
    )


async def attended(session: TrainingSession) -> list[int]:
    rows = await TrainingAttendance.filter(session_id=session.id).order_by("person_id")
    return [r.person_id for r in rows]


async def _holders_under(name: str) -> int:
    found = await area(name)
    people = await RoleAssignment.filter(
        role__in=list(EVALUATED_ROLES), until=None, area_path__startswith=found.path
    ).values_list("person_id", flat=True)
    return len(set(people))


class TestCreateSession:
    """Who organises training, and what a session needs."""

    @pytest.mark.parametrize(
        ("username", "where"),
        [("district_admin", "博山区"), ("street_admin", STREET), ("community_admin", DEMO)],
    )
    async def test_admins_of_a_district_street_or_community_organise_training(
        self, db: Database, username: str, where: str
    ) -> None:
        # when an admin organises a session at their own level, at 9:00 Beijing time
        made = await session_at(where, by=username, at=local(2025, 3, 1, 9))
        # then it is kept at that area, in UTC
        stored = await TrainingSession.get(id=made.id)
        found = await area(where)
        assert (stored.area_id, stored.area_path, stored.level) == (
            found.id,
            found.path,
            found.level,
        )
        assert stored.starts_at == datetime(2025, 3, 1, 1, tzinfo=UTC)
        organiser = await actor_for(username)
        assert stored.organised_by_id == organiser.person_id

    @pytest.mark.parametrize(
        ("username", "where", "error"),
        [
            ("community_admin", STREET, Forbidden),  # above their community
            ("community_admin", SIBLING, Forbidden),  # a neighbouring community
            ("street_admin", "博山区", Forbidden),
            ("grid_leader", DEMO, Forbidden),  # leaders do not organise
            ("resident", DEMO, Forbidden),
            ("community_admin", DEMO_GRID, InvalidInput),  # grids do not organise
        ],
    )
    async def test_training_is_organised_only_by_admins_at_their_level(
        self, db: Database, username: str, where: str, error: type[Exception]
    ) -> None:
        count = await TrainingSession.all().count()
        with pytest.raises(error):
            await session_at(where, by=username)
        assert await TrainingSession.all().count() == count

    async def test_a_session_needs_a_topic_a_place_and_a_time_with_its_offset(
        self, db: Database
    ) -> None:
        admin = await actor_for("community_admin")
        demo = await area(DEMO)
        count = await TrainingSession.all().count()
        for topic, place, starts_at in (
            ("政策宣传培训", "会议室", datetime(2025, 3, 1, 9)),  # naive
            ("  ", "会议室", local(2025, 3, 1)),
            ("政策宣传培训", "", local(2025, 3, 1)),
            ("政" * 201, "会议室", local(2025, 3, 1)),
        ):
            with pytest.raises(InvalidInput):
                await evaluation.create_session(
                    actor=admin, area_id=demo.id, topic=topic, place=place, starts_at=starts_at
                )
        assert await TrainingSession.all().count() == count


class TestRecordAttendance:
    """Who is recorded, by whom, and when."""

    async def test_attendance_is_recorded_once_per_person(self, db: Database) -> None:
        # given a past session of the demo community
        session = await session_at()
        # when the same attendance is recorded twice, and then with one more person
        await record(session, "grid_leader", "microgrid_leader")
        await record(session, "microgrid_leader", "grid_leader")
        await record(session, "grid_leader", "central_household")
        # then each attendee is listed once
        expected = sorted(
            [await person_id(u) for u in ("grid_leader", "microgrid_leader", "central_household")]
        )
        assert await attended(session) == expected
        rows = await TrainingAttendance.filter(session_id=session.id)
        assert {r.recorded_by_id for r in rows} == {(await actor_for("community_admin")).person_id}
        assert await evaluation.attendance_counts(session_ids=[session.id]) == [3]
        admin = await actor_for("community_admin")
        assert await evaluation.attendees(actor=admin, session=session) == expected

    async def test_attendance_is_of_people_of_the_organising_area(self, db: Database) -> None:
        # given a demo-community session and a micro-grid leader of the sibling community
        session = await session_at()
        await record(session, "grid_leader")
        stranger = (await holders(SIBLING, Role.MICRO_GRID_LEADER))[0].person_id
        # when they are recorded with a demo-community holder, then nobody is recorded
        with pytest.raises(NotFound) as refused:
            await evaluation.record_attendance(
                actor=await actor_for("street_admin"),
                session_id=session.id,
                person_ids=[await person_id("microgrid_leader"), stranger],
            )
        assert await attended(session) == [await person_id("grid_leader")]
        # and the refusal names the area by its name, never by its internal path
        demo = await area(DEMO)
        assert str(refused.value) == f"1 of these people are not in {demo.name}."
        assert demo.path not in str(refused.value) and "/" not in str(refused.value)
        # and a street session takes people of every community in the street
        street_session = await session_at(STREET, by="street_admin")
        both = sorted([await person_id("microgrid_leader"), stranger])
        await evaluation.record_attendance(
            actor=await actor_for("street_admin"), session_id=street_session.id, person_ids=both
        )
        assert await attended(street_session) == both
        # and residents (not only role holders) of the area may attend
        await record(session, "resident")
        assert await person_id("resident") in await attended(session)

    async def test_attendance_waits_for_the_session_to_begin(self, db: Database) -> None:
        # given a session tomorrow
        session = await session_at(at=clock.now() + timedelta(days=1))
        # then nobody can be recorded yet
        with pytest.raises(Conflict):
            await record(session, "grid_leader")
        assert await attended(session) == []

    @pytest.mark.parametrize("people", [[], ["grid_leader", "grid_leader"]])
    async def test_attendance_names_different_people(self, db: Database, people: list[str]) -> None:
        session = await session_at()
        with pytest.raises(InvalidInput):
            await evaluation.record_attendance(
                actor=await actor_for("community_admin"),
                session_id=session.id,
                person_ids=[await person_id(u) for u in people],
            )
        assert await attended(session) == []

    async def test_too_many_people_are_refused_before_anything_is_read(self, db: Database) -> None:
        # given a session, and one more person id than a call may record
        session = await session_at()
        too_many = list(range(1, evaluation.MAX_ATTENDEES + 2))
        # when they are sent, even without signing in, then the size is what is refused
        for actor in (None, await actor_for("community_admin")):
            with pytest.raises(InvalidInput) as refused:
                await evaluation.record_attendance(
                    actor=actor, session_id=session.id, person_ids=too_many
                )
            assert refused.value.field == "personIds"
            assert str(evaluation.MAX_ATTENDEES) in str(refused.value)
        assert await attended(session) == []

    async def test_only_the_organisers_record_attendance(self, db: Database) -> None:
        session = await session_at()
        sibling_admin = await account_in("sibling_admin", Role.COMMUNITY_ADMIN, SIBLING)
        actors: list[Actor] = [
            await actor_for("grid_leader"),
            await actor_for("resident"),
            sibling_admin,
        ]
        for actor in actors:
            with pytest.raises(Forbidden):
                await evaluation.record_attendance(
                    actor=actor, session_id=session.id, person_ids=[await person_id("grid_leader")]
                )
        # a district session is not recorded by a community's admin
        above = await session_at("博山区", by="district_admin")
        with pytest.raises(Forbidden):
            await record(above, "grid_leader")
        with pytest.raises(NotFound):
            await evaluation.record_attendance(
                actor=await actor_for("community_admin"), session_id=10**9, person_ids=[1]
            )
        assert await attended(session) == [] and await attended(above) == []


class TestTrainingCoverage:
    """Role holders trained in a year, per area."""

    async def test_training_coverage_counts_holders_trained_in_the_year(self, db: Database) -> None:
        # given the demo grid's leader and micro-grid leader trained at the end of 2024 (Beijing
        # time), the central household on New Year's night (still 2024 in UTC), and a resident
        session = await session_at(at=local(2024, 12, 31, 23))
        await record(session, "grid_leader", "microgrid_leader", "resident")
        new_year = await session_at(at=local(2025, 1, 1, 0))
        await record(new_year, "central_household")
        names = [DEMO, DEMO_GRID, SIBLING, STREET]
        ids = [(await area(n)).id for n in names]
        # when coverage is read for 2024 and 2025
        in_2024 = await evaluation.training_coverage(area_ids=ids, year=2024)
        in_2025 = await evaluation.training_coverage(area_ids=ids, year=2025)
        # then the holders are the evaluated role holders under each area, and the trained ones
        # those who attended in the year (residents do not count)
        holders_now = [await _holders_under(n) for n in names]
        assert [c.holders for c in in_2024] == holders_now
        assert [c.trained for c in in_2024] == [2, 2, 0, 2]
        assert [c.trained for c in in_2025] == [1, 1, 0, 1]
        assert all(c.year == 2024 for c in in_2024)
        assert in_2024[1].share == pytest.approx(2 / holders_now[1])
        # and another year saw no training
        assert [c.trained for c in await evaluation.training_coverage(area_ids=ids, year=2023)] == [
            0,
            0,
            0,
            0,
        ]

    async def test_training_coverage_of_nothing_and_of_bad_years(self, db: Database) -> None:
        assert await evaluation.training_coverage(area_ids=[], year=2025) == []
        micro = await Area.filter(
            path__startswith=(await district()).path, level="MICRO_GRID"
        ).first()
        assert micro is not None
        (coverage,) = await evaluation.training_coverage(area_ids=[micro.id], year=2025)
        assert coverage.holders >= 1 and coverage.trained == 0 and coverage.share == 0.0
        with pytest.raises(InvalidInput):
            await evaluation.training_coverage(area_ids=[micro.id], year=1999)
