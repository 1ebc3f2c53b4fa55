"""Training sessions (培训) for role holders, attendance, and training coverage per area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from services.enums import EVALUATED_ROLES, AreaLevel
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evaluation.scoring import quarter_bounds
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import SUBTREE_END, in_line, subtree_bounds
from services.kit.settings import get_settings
from services.models import TrainingAttendance, TrainingSession

# The most people recorded at one session, in one call and in all (a bound the API's cost
# estimate relies on: `TrainingSession.attendees`).
MAX_ATTENDEES = 500
ORGANISING_LEVELS = (AreaLevel.DISTRICT, AreaLevel.STREET, AreaLevel.COMMUNITY)


async def create_session(
    *, actor: Actor | None, area_id: int, topic: str, place: str, starts_at: datetime
) -> TrainingSession:
    """A training session organised by the admins of a district, street or community."""
    actor = require_actor(actor)
    topic = clean_text(topic, field="topic", max_length=200)
    place = clean_text(place, field="place", max_length=200)
    if starts_at.tzinfo is None:
        raise InvalidInput("Give the time with its offset (ISO 8601).", field="startsAt")
    area = await get_area(area_id=area_id)
    if area.level not in ORGANISING_LEVELS:
        raise InvalidInput(
            "Training is organised by a district, a street or a community.", field="areaId"
        )
    if not actor.administers(area.path):
        raise Forbidden("You may not organise training here.", field="areaId")
    return await TrainingSession.create(
        area_id=area.id,
        area_path=area.path,
        level=area.level,
        topic=topic,
        place=place,
        starts_at=starts_at.astimezone(UTC),
        organised_by_id=actor.person_id,
    )


async def record_attendance(
    *, actor: Actor | None, session_id: int, person_ids: list[int]
) -> TrainingSession:
    """Record who attended (people of the organising area: role holders or residents there).
    Recording someone twice changes nothing; a session is recorded once it has begun."""
    # The size first, before anything is read: a request too large is refused whoever sends it.
    if len(person_ids) > MAX_ATTENDEES:
        raise InvalidInput(f"At most {MAX_ATTENDEES} people at once.", field="personIds")
    actor = require_actor(actor)
    session = await TrainingSession.get_or_none(id=session_id)
    if session is None:
        raise NotFound("No such training session.", field="sessionId")
    if not actor.administers(session.area_path):
        raise Forbidden("The organisers record attendance.", field="sessionId")
    unique = sorted(set(person_ids))
    if not unique or len(unique) != len(person_ids):
        raise InvalidInput(f"Give 1 to {MAX_ATTENDEES} different people.", field="personIds")
    # Attendance scores in the evaluation (MANAGEMENT_SERVICE): nobody records their own.
    actor.require_someone_else(
        actor.person_id if actor.person_id in unique else None,
        "Another organiser records your own attendance.",
        field="personIds",
    )
    if session.starts_at > clock.now():
        raise Conflict("Attendance is recorded once the session has begun.", field="sessionId")
    low, high = subtree_bounds(session.area_path)
    marks = ",".join("?" for _ in unique)
    rows = await db.fetch(
        f"SELECT person_id FROM role_assignment WHERE person_id IN ({marks}) "
        "AND until IS NULL AND area_path >= ? AND area_path < ? "
        f"UNION SELECT p.id FROM person p JOIN household h ON h.id = p.household_id "
        f"WHERE p.id IN ({marks}) AND h.path >= ? AND h.path < ?",
        [*unique, low, high, *unique, low, high],
    )
    known = {int(r["person_id"]) for r in rows}
    if missing := [p for p in unique if p not in known]:
        # Named by the area's name: a path ("/1/2/3/") is the service's own bookkeeping.
        area = await get_area(area_id=session.area_id)
        raise NotFound(f"{len(missing)} of these people are not in {area.name}.", field="personIds")
    moment = clock.now()
    async with in_transaction():
        # The session's row is locked (a no-op write) so that two recordings serialize.
        await db.execute(
            "UPDATE training_session SET topic = topic WHERE id = ? RETURNING id", [session.id]
        )
        recorded = await db.fetch(
            "SELECT person_id FROM training_attendance WHERE session_id = ?", [session.id]
        )
        if len({int(r["person_id"]) for r in recorded} | set(unique)) > MAX_ATTENDEES:
            raise Conflict(f"A session records at most {MAX_ATTENDEES} people.", field="personIds")
        await TrainingAttendance.bulk_create(
            [
                TrainingAttendance(
                    session_id=session.id,
                    person_id=p,
                    recorded_by_id=actor.person_id,
                    recorded_at=moment,
                )
                for p in unique
            ],
            ignore_conflicts=True,
        )
    return session


async def list_sessions(
    *, actor: Actor | None, under_id: int, window: Window
) -> Page[TrainingSession]:
    """Sessions organised in an area, above it (they are for it too) or below it, newest
    first (signed-in users)."""
    require_actor(actor)
    area = await get_area(area_id=under_id)
    query = TrainingSession.filter(in_line(area.path))
    return await paginate(query, window, newest_first=True)


async def sessions_by_ids(*, session_ids: list[int]) -> list[TrainingSession | None]:
    found = {s.id: s for s in await TrainingSession.filter(id__in=session_ids)}
    return [found.get(i) for i in session_ids]


async def attendance_counts(*, session_ids: list[int]) -> list[int]:
    """How many attended each session; one query."""
    if not session_ids:
        return []
    marks = ",".join("?" for _ in session_ids)
    rows = await db.fetch(
        f"SELECT session_id, COUNT(*) AS n FROM training_attendance "
        f"WHERE session_id IN ({marks}) GROUP BY session_id",
        list(session_ids),
    )
    counts = {int(r["session_id"]): int(r["n"]) for r in rows}
    return [counts.get(i, 0) for i in session_ids]


async def attendees(*, actor: Actor | None, session: TrainingSession) -> list[int]:
    """The people who attended (their ids), for admins and leaders of the organising area."""
    if actor is None or not actor.reads(session.area_path):
        raise Forbidden("Attendance lists are shown to admins and leaders of the area.")
    rows = await db.fetch(
        "SELECT person_id FROM training_attendance WHERE session_id = ? ORDER BY person_id",
        [session.id],
    )
    return [int(r["person_id"]) for r in rows]


@dataclass(frozen=True)
class TrainingCoverage:
    """Role holders (grid leaders, micro-grid leaders, central households) under an area with
    an open role now, and how many of them attended training in the year."""

    year: int
    holders: int
    trained: int

    @property
    def share(self) -> float:
        return self.trained / self.holders if self.holders else 0.0


async def training_coverage(*, area_ids: list[int], year: int | None) -> list[TrainingCoverage]:
    """Training coverage of many areas in one statement (aggregates are public)."""
    year = year or clock.now().astimezone(get_settings().tz).year
    if not 2000 <= year <= 2100:
        raise InvalidInput("Give a year between 2000 and 2100.", field="year")
    if not area_ids:
        return []
    start, _, _ = quarter_bounds(f"{year}Q1")
    end, _, _ = quarter_bounds(f"{year + 1}Q1")
    marks = ",".join("?" for _ in area_ids)
    roles = ",".join("?" for _ in EVALUATED_ROLES)
    rows = await db.fetch(
        f"""
        SELECT a.id AS area_id, COUNT(DISTINCT r.person_id) AS holders,
               COUNT(DISTINCT t.person_id) AS trained
        FROM area a
        JOIN role_assignment r ON r.area_path >= a.path
             AND r.area_path < {SUBTREE_END}
             AND r.until IS NULL AND r.role IN ({roles})
        LEFT JOIN (
            SELECT DISTINCT ta.person_id FROM training_attendance ta
            JOIN training_session s ON s.id = ta.session_id
            WHERE s.starts_at >= ? AND s.starts_at < ?
        ) t ON t.person_id = r.person_id
        WHERE a.id IN ({marks})
        GROUP BY a.id
        """,
        [*(r.value for r in EVALUATED_ROLES), start, end, *area_ids],
    )
    found = {int(r["area_id"]): (int(r["holders"]), int(r["trained"])) for r in rows}
    return [TrainingCoverage(year, *found.get(i, (0, 0))) for i in area_ids]
