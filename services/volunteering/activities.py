"""Volunteer activities: create, cancel, list; sign up and cancel (capacity, no double-booking).

Concurrency: a sign-up locks the person's row first (a no-op write), then takes a place by a
conditional UPDATE of the activity's `signed_up` counter (`... WHERE signed_up < capacity`),
always in that order. Two sign-ups of one person serialize on the person, so the overlap check
sees the other's sign-up; sign-ups for one activity serialize on its row, so the counter never
passes the capacity (a CHECK from migration 0013 stands behind it).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from services.enums import ActivityStatus, SignUpStatus
from services.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, page_from_rows
from services.kit.paths import in_subtree
from services.models import ActivitySignUp, VolunteerActivity, VolunteerTeam
from services.partners.projects import project_for_activity
from services.volunteering.teams import (
    LOCAL_LEVELS,
    community_of,
    get_team,
    is_member,
    lives_or_serves_in,
)

MAX_CAPACITY = 1000
MAX_DURATION = timedelta(hours=24)
MAX_AHEAD = timedelta(days=366)


def _aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise InvalidInput("Give the time with its offset (ISO 8601).", field=field)
    return value.astimezone(UTC)


async def get_activity(activity_id: int, field: str = "activityId") -> VolunteerActivity:
    activity = await VolunteerActivity.get_or_none(id=activity_id)
    if activity is None:
        raise NotFound("No such activity.", field=field)
    return activity


class Unread:
    """The type of UNREAD: a value not read yet (as opposed to None, read and absent)."""


UNREAD = Unread()


async def team_of(activity: VolunteerActivity) -> VolunteerTeam | None:
    return await VolunteerTeam.get_or_none(id=activity.team_id) if activity.team_id else None


def organises(actor: Actor, activity: VolunteerActivity, team: VolunteerTeam | None) -> bool:
    """The organisers of an activity: whoever created it, its team's leader, the admins of its
    area. They run check-in and approve hours."""
    return (
        activity.organiser_id == actor.person_id
        or (team is not None and team.leader_id == actor.person_id)
        or actor.administers(activity.area_path)
    )


async def create_activity(
    *,
    actor: Actor | None,
    area_id: int | None,
    team_id: int | None,
    project_id: int | None,
    title: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
) -> VolunteerActivity:
    """An activity in a community or below, of a team (its leader or the admins of the area
    create it) or of the area alone (its admins). Only admins record past activities (to
    register service done before it was entered); leaders schedule future ones."""
    actor = require_actor(actor)
    title = clean_text(title, field="title", max_length=200)
    place = clean_text(place, field="place", max_length=200)
    starts_at = _aware(starts_at, "startsAt")
    ends_at = _aware(ends_at, "endsAt")
    if not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"Capacity is 1 to {MAX_CAPACITY} people.", field="capacity")
    if ends_at <= starts_at or ends_at - starts_at > MAX_DURATION:
        raise InvalidInput("An activity ends after it starts, within 24 hours.", field="endsAt")
    team = await get_team(team_id) if team_id is not None else None
    if area_id is None:
        if team is None:
            raise InvalidInput("Give the area or the team of the activity.", field="areaId")
        area_id = team.area_id
    area = await get_area(area_id=area_id)
    if area.level not in LOCAL_LEVELS:
        raise InvalidInput(
            "An activity takes place in a community, grid or micro-grid.", field="areaId"
        )
    community = community_of(area.path)
    if team is not None and community_of(team.area_path) != community:
        raise InvalidInput("A team's activities are in its own community.", field="areaId")
    project = (
        await project_for_activity(actor, project_id, community) if project_id is not None else None
    )
    admin = actor.administers(area.path)
    if not admin and not (team is not None and team.leader_id == actor.person_id):
        raise Forbidden(
            "The team's leader or the admins of the area create activities.", field="teamId"
        )
    moment = clock.now()
    if starts_at <= moment and not admin:
        raise InvalidInput("An activity is scheduled in the future.", field="startsAt")
    if starts_at > moment + MAX_AHEAD:
        raise InvalidInput("Schedule at most a year ahead.", field="startsAt")
    rows = await db.fetch("SELECT id FROM area WHERE path = ?", [community])
    return await VolunteerActivity.create(
        title=title,
        place=place,
        area_id=area.id,
        area_path=area.path,
        community_id=int(rows[0]["id"]),
        team_id=team.id if team else None,
        project_id=project.id if project else None,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        signed_up=0,
        status=ActivityStatus.OPEN,
        code_secret=secrets.token_hex(16),
        organiser_id=actor.person_id,
        created_at=moment,
    )


async def cancel_activity(
    *, actor: Actor | None, activity_id: int, reason: str
) -> VolunteerActivity:
    """Cancel an activity before it starts (its organisers), with a reason shown to those
    who signed up; their sign-ups no longer block other activities."""
    actor = require_actor(actor)
    reason = clean_text(reason, field="reason", max_length=500)
    activity = await get_activity(activity_id)
    if not organises(actor, activity, await team_of(activity)):
        raise Forbidden("The organisers cancel an activity.", field="activityId")
    if activity.starts_at <= clock.now():
        raise Conflict(
            "The activity has started: it can no longer be cancelled.", field="activityId"
        )
    async with in_transaction():
        # The activity's row first: a check-in (which locks it too) is either seen below or
        # waits and then finds the activity cancelled.
        await lock_activity(activity.id)
        checked_in = ActivitySignUp.filter(activity_id=activity.id, checked_in_at__not_isnull=True)
        if await checked_in.exists():
            raise Conflict("People have checked in: the activity goes ahead.", field="activityId")
        changed = await VolunteerActivity.filter(id=activity.id, status=ActivityStatus.OPEN).update(
            status=ActivityStatus.CANCELLED, cancelled_at=clock.now(), cancel_reason=reason
        )
    if not changed:
        raise Conflict("The activity is cancelled already.", field="activityId")
    return await VolunteerActivity.get(id=activity.id)


async def lock_activity(activity_id: int, *, open_only: bool = False) -> bool:
    """Lock an activity's row for this transaction (a no-op write); False when `open_only`
    and it is cancelled."""
    rows = await db.execute(
        "UPDATE volunteer_activity SET status = status WHERE id = ?"
        + (" AND status = 'OPEN'" if open_only else "")
        + " RETURNING id",
        [activity_id],
    )
    return bool(rows)


async def in_reach(actor: Actor, activity: VolunteerActivity) -> bool:
    """Who may sign up: people who live or hold a role in the activity's community (or run it
    from above), and the approved members of its team wherever they live."""
    if lives_or_serves_in(actor, community_of(activity.area_path)):
        return True
    return activity.team_id is not None and await is_member(activity.team_id, actor.person_id)


async def lock_person(person_id: int) -> None:
    """Lock a person's row for this transaction (a no-op write): their sign-ups serialize."""
    await db.execute("UPDATE person SET name = name WHERE id = ? RETURNING id", [person_id])


async def take_place(
    activity: VolunteerActivity, person_id: int, *, added_by_id: int | None
) -> ActivitySignUp:
    """Inside a transaction: the person's row, the overlap check, a place, the sign-up."""
    await lock_person(person_id)
    if await ActivitySignUp.exists(
        activity_id=activity.id, person_id=person_id, status=SignUpStatus.SIGNED_UP
    ):
        raise Conflict("Signed up for this activity already.", field="activityId")
    clash = await db.fetch(
        "SELECT a.title FROM activity_sign_up s JOIN volunteer_activity a ON a.id = s.activity_id "
        "WHERE s.person_id = ? AND s.status = ? AND a.status = ? AND a.id <> ? "
        "AND a.starts_at < ? AND a.ends_at > ? LIMIT 1",
        [
            person_id,
            SignUpStatus.SIGNED_UP.value,
            ActivityStatus.OPEN.value,
            activity.id,
            activity.ends_at,
            activity.starts_at,
        ],
    )
    if clash:
        raise Conflict(
            f"That time overlaps another activity you signed up for ({clash[0]['title']}).",
            field="activityId",
        )
    # The place: a conditional UPDATE (which also locks the activity's row until commit).
    taken = await db.execute(
        "UPDATE volunteer_activity SET signed_up = signed_up + 1 "
        "WHERE id = ? AND status = ? AND signed_up < capacity RETURNING signed_up",
        [activity.id, ActivityStatus.OPEN.value],
    )
    if not taken:
        raise Conflict("The activity is full (or was cancelled).", field="activityId")
    return await ActivitySignUp.create(
        activity_id=activity.id,
        person_id=person_id,
        status=SignUpStatus.SIGNED_UP,
        signed_up_at=clock.now(),
        added_by_id=added_by_id,
    )


async def sign_up(*, actor: Actor | None, activity_id: int) -> ActivitySignUp:
    """Sign up for an open activity in reach before it starts: one place of its capacity, and
    never two activities whose times overlap."""
    actor = require_actor(actor)
    activity = await get_activity(activity_id)
    if not await in_reach(actor, activity):
        raise Forbidden(
            "Sign up for activities of your community or of your teams.", field="activityId"
        )
    if activity.status is ActivityStatus.CANCELLED:
        raise Conflict("The activity was cancelled.", field="activityId")
    if activity.starts_at <= clock.now():
        raise Conflict("Sign-up closes when the activity starts.", field="activityId")
    async with in_transaction():
        return await take_place(activity, actor.person_id, added_by_id=None)


async def cancel_sign_up(*, actor: Actor | None, activity_id: int) -> ActivitySignUp:
    """Withdraw one's own sign-up before the activity starts (the place is freed); not once
    checked in (InvalidTransition: the attendance stands, the organiser settles the hours)."""
    actor = require_actor(actor)
    activity = await get_activity(activity_id)
    if activity.starts_at <= clock.now():
        raise Conflict("The activity has started: talk to its organiser.", field="activityId")
    async with in_transaction():
        await lock_person(actor.person_id)
        entry = await ActivitySignUp.get_or_none(
            activity_id=activity.id, person_id=actor.person_id, status=SignUpStatus.SIGNED_UP
        )
        if entry is None:
            raise NotFound("You are not signed up for this activity.", field="activityId")
        # Check-in takes the same person lock, so the check-in seen here is not raced; the
        # condition on checked_in_at stands behind it.
        cancelled = await ActivitySignUp.filter(id=entry.id, checked_in_at=None).update(
            status=SignUpStatus.CANCELLED, cancelled_at=clock.now()
        )
        if not cancelled:
            raise InvalidTransition(
                "You have checked in: a sign-up with attendance is not withdrawn; "
                "the organiser settles the hours.",
                field="activityId",
            )
        await db.execute(
            "UPDATE volunteer_activity SET signed_up = signed_up - 1 WHERE id = ? RETURNING id",
            [activity.id],
        )
    return await ActivitySignUp.get(id=entry.id)


async def _page(
    base: QuerySet[VolunteerActivity], *, upcoming: bool, window: Window
) -> Page[VolunteerActivity]:
    """Keyset page by start time: upcoming ones soonest first, else the latest first."""
    descending = window.descending(not upcoming)
    page_query = base.order_by(*(("-starts_at", "-id") if descending else ("starts_at", "id")))
    bounds = (("after", window.after, not upcoming), ("before", window.before, upcoming))
    for field, key, beyond_descending in bounds:
        if key is None:
            continue
        cursor = await VolunteerActivity.get_or_none(id=key)
        if cursor is None:
            raise InvalidInput("That cursor is not valid.", field=field)
        s = cursor.starts_at
        if beyond_descending:  # rows after the cursor in descending (starts_at, id) order
            page_query = page_query.filter(Q(starts_at__lt=s) | Q(starts_at=s, id__lt=key))
        else:
            page_query = page_query.filter(Q(starts_at__gt=s) | Q(starts_at=s, id__gt=key))
    rows = await page_query.limit(window.size + 1) if window.size else []
    return page_from_rows(rows, [a.id for a in rows], window, count=base.count)


async def list_activities(
    *, actor: Actor | None, under_id: int, upcoming: bool, window: Window
) -> Page[VolunteerActivity]:
    """Activities in an area's subtree (signed-in users): upcoming (open, not yet ended)
    soonest first, or all (cancelled too) latest first."""
    require_actor(actor)
    area = await get_area(area_id=under_id)
    query = VolunteerActivity.filter(in_subtree(area.path, "area_path"))
    if upcoming:
        query = query.filter(status=ActivityStatus.OPEN, ends_at__gt=clock.now())
    return await _page(query, upcoming=upcoming, window=window)


async def my_activities(
    *, actor: Actor | None, upcoming: bool, window: Window
) -> Page[VolunteerActivity]:
    """Activities the actor is signed up for (see list_activities for the order)."""
    actor = require_actor(actor)
    mine = Subquery(
        ActivitySignUp.filter(person_id=actor.person_id, status=SignUpStatus.SIGNED_UP).values(
            "activity_id"
        )
    )
    query = VolunteerActivity.filter(id__in=mine)
    if upcoming:
        query = query.filter(status=ActivityStatus.OPEN, ends_at__gt=clock.now())
    return await _page(query, upcoming=upcoming, window=window)


async def team_activities(
    *, team_id: int, upcoming: bool, window: Window
) -> Page[VolunteerActivity]:
    """A team's activities (see list_activities for the order)."""
    query = VolunteerActivity.filter(team_id=team_id)
    if upcoming:
        query = query.filter(status=ActivityStatus.OPEN, ends_at__gt=clock.now())
    return await _page(query, upcoming=upcoming, window=window)


async def activities_by_ids(*, activity_ids: list[int]) -> list[VolunteerActivity | None]:
    """Activities for the ids, in order (public to signed-in users)."""
    found = {a.id: a for a in await VolunteerActivity.filter(id__in=activity_ids)}
    return [found.get(i) for i in activity_ids]


async def my_sign_ups(*, person_id: int, activity_ids: list[int]) -> list[ActivitySignUp | None]:
    """A person's latest sign-up for each activity (active or not); one query."""
    found: dict[int, ActivitySignUp] = {}
    for s in await ActivitySignUp.filter(
        person_id=person_id, activity_id__in=activity_ids
    ).order_by("id"):
        found[s.activity_id] = s
    return [found.get(i) for i in activity_ids]
