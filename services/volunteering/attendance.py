"""Check-in and check-out: by a rotating code shown at the activity, or by an organiser;
automatic check-out 24 hours after a forgotten check-in; the minutes served.

The code is 6 digits: an HMAC of the activity's secret and the current 60-second window. The
organisers read it (and show it on their phone); a participant types it in. The current and
the previous window are accepted, so a code read just before the minute turns still works.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from services.accounts import forget_attempt, record_attempt
from services.enums import ActivityStatus, HoursStatus, SignUpStatus
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.models import ActivitySignUp, VolunteerActivity, VolunteerTeam
from services.volunteering.activities import (
    UNREAD,
    Unread,
    get_activity,
    lock_activity,
    lock_person,
    organises,
    take_place,
    team_of,
)
from services.volunteering.teams import community_of, is_member, person_in_community

CODE_SECONDS = 60
CODE_DIGITS = 6
# Wrong codes a person may type for one activity within the failure window (settings).
MAX_CODE_FAILURES = 5
# Check-in opens this long before the start.
EARLY_CHECK_IN = timedelta(minutes=30)
# A check-in not closed within this long is closed by the periodic job (flagged).
AUTO_CHECK_OUT_AFTER = timedelta(hours=24)
AUTO_CHECK_OUT_BATCH = 500


@dataclass(frozen=True)
class CheckInCode:
    """The code valid now and the window it belongs to."""

    code: str
    valid_from: datetime
    valid_until: datetime


def _window(moment: datetime) -> int:
    return int(moment.timestamp()) // CODE_SECONDS


def _code(secret: str, window: int) -> str:
    digest = hmac.new(secret.encode(), str(window).encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS
    return f"{number:0{CODE_DIGITS}d}"


def current_code(activity: VolunteerActivity) -> CheckInCode:
    """The check-in code of this minute (for organisers only: see `code_for`)."""
    window = _window(clock.now())
    start = datetime.fromtimestamp(window * CODE_SECONDS, UTC)
    return CheckInCode(
        _code(activity.code_secret, window), start, start + timedelta(seconds=CODE_SECONDS)
    )


def _code_matches(activity: VolunteerActivity, code: str) -> bool:
    window = _window(clock.now())
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, once an
    # internal error for a code typed with any such character).
    typed = code.encode()
    return any(
        hmac.compare_digest(_code(activity.code_secret, w).encode(), typed)
        for w in (window, window - 1)
    )


async def code_for(
    *,
    actor: Actor | None,
    activity: VolunteerActivity,
    team: VolunteerTeam | Unread | None = UNREAD,
) -> CheckInCode | None:
    """The current code for the activity's organisers while check-in is open; None for others
    and outside the window (`team`: the activity's team when already read, e.g. batched)."""
    if actor is None or activity.status is not ActivityStatus.OPEN:
        return None
    moment = clock.now()
    if not activity.starts_at - EARLY_CHECK_IN <= moment < activity.ends_at:
        return None
    if isinstance(team, Unread):
        team = await team_of(activity)
    if not organises(actor, activity, team):
        return None
    return current_code(activity)


def minutes_served(activity: VolunteerActivity, checked_in: datetime, checked_out: datetime) -> int:
    """Whole minutes between check-in and check-out, both clamped to the activity's window."""

    def clamp(moment: datetime) -> datetime:
        return min(max(moment, activity.starts_at), activity.ends_at)

    return max(0, int((clamp(checked_out) - clamp(checked_in)).total_seconds()) // 60)


async def _target(
    actor: Actor,
    activity: VolunteerActivity,
    code: str | None,
    person_id: int | None,
    at: datetime | None,
) -> tuple[int, int | None, datetime]:
    """Whose attendance is recorded, by whom (None: by code) and when."""
    moment = clock.now()
    if person_id is None or (person_id == actor.person_id and code is not None):
        if at is not None:
            raise InvalidInput("Only organisers record another time.", field="at")
        if not code:
            raise InvalidInput("Type the code shown by the organiser.", field="code")
        # Each try counts before the code is checked (a 6-digit code is guessable otherwise):
        # a few wrong ones per person and activity, then a wait.
        attempt = await record_attempt(
            f"checkin:{activity.id}:{actor.person_id}", MAX_CODE_FAILURES, "check-in codes"
        )
        if not _code_matches(activity, code.strip()):
            raise InvalidInput("That code is wrong or has expired.", field="code")
        await forget_attempt(attempt)
        return actor.person_id, None, moment
    if code is not None:
        raise InvalidInput("Give a code or a person, not both.", field="code")
    if not organises(actor, activity, await team_of(activity)):
        raise Forbidden("Organisers check others in and out.", field="personId")
    # The minutes become hours and points: an organiser records their own by the code, like
    # everyone (no time of their choosing), and another organiser approves them.
    actor.require_someone_else(
        person_id, "Check yourself in and out with the code.", field="personId"
    )
    if at is None:
        return person_id, actor.person_id, moment
    if at.tzinfo is None:
        raise InvalidInput("Give the time with its offset (ISO 8601).", field="at")
    at = at.astimezone(UTC)
    if at > moment:
        raise InvalidInput("That time is still to come.", field="at")
    return person_id, actor.person_id, at


async def check_in(
    *,
    actor: Actor | None,
    activity_id: int,
    code: str | None = None,
    person_id: int | None = None,
    at: datetime | None = None,
) -> ActivitySignUp:
    """Check in: oneself by the current code, or someone by an organiser (who may give the
    time, within the activity, to record attendance after the fact). An organiser checking in
    someone who did not sign up signs them up (a walk-in) under the same capacity and overlap
    rules. Check-in opens 30 minutes before the start and closes at the end."""
    actor = require_actor(actor)
    activity = await get_activity(activity_id)
    who, by, moment = await _target(actor, activity, code, person_id, at)
    if activity.status is ActivityStatus.CANCELLED:
        raise Conflict("The activity was cancelled.", field="activityId")
    if not activity.starts_at - EARLY_CHECK_IN <= moment < activity.ends_at:
        raise Conflict(
            "Check-in is open from 30 minutes before the start until the end.",
            field="activityId",
        )
    async with in_transaction():
        # Lock order as for sign-ups (person, then activity); a cancellation waits for us or
        # we find the activity cancelled.
        await lock_person(who)
        if not await lock_activity(activity.id, open_only=True):
            raise Conflict("The activity was cancelled.", field="activityId")
        entry = await ActivitySignUp.get_or_none(
            activity_id=activity.id, person_id=who, status=SignUpStatus.SIGNED_UP
        )
        if entry is None:
            if by is None:
                raise NotFound("You did not sign up for this activity.", field="activityId")
            if not (
                await person_in_community(who, community_of(activity.area_path))
                or (activity.team_id is not None and await is_member(activity.team_id, who))
            ):
                raise NotFound("No such person in the activity's reach.", field="personId")
            entry = await take_place(activity, who, added_by_id=by)
        changed = await ActivitySignUp.filter(id=entry.id, checked_in_at=None).update(
            checked_in_at=moment, checked_in_by_id=by
        )
        if not changed:
            raise Conflict("Checked in already.", field="activityId")
    return await ActivitySignUp.get(id=entry.id)


async def check_out(
    *,
    actor: Actor | None,
    activity_id: int,
    code: str | None = None,
    person_id: int | None = None,
    at: datetime | None = None,
) -> ActivitySignUp:
    """Check out (by the current code, or by an organiser): the minutes served, clamped to
    the activity's window, become PENDING hours for the organisers to approve."""
    actor = require_actor(actor)
    activity = await get_activity(activity_id)
    who, by, moment = await _target(actor, activity, code, person_id, at)
    entry = await ActivitySignUp.get_or_none(
        activity_id=activity.id, person_id=who, status=SignUpStatus.SIGNED_UP
    )
    if entry is None or entry.checked_in_at is None:
        raise NotFound("No check-in to close for this activity.", field="activityId")
    if moment < entry.checked_in_at:
        raise InvalidInput("Check-out comes after check-in.", field="at")
    changed = await ActivitySignUp.filter(id=entry.id, checked_out_at=None).update(
        checked_out_at=moment,
        checked_out_by_id=by,
        minutes=minutes_served(activity, entry.checked_in_at, moment),
        hours_status=HoursStatus.PENDING,
    )
    if not changed:
        raise Conflict("Checked out already.", field="activityId")
    return await ActivitySignUp.get(id=entry.id)


async def auto_check_out() -> int:
    """Close check-ins left open for 24 hours (flagged `auto_checked_out`; the minutes are
    clamped to the activity as usual, and the organisers decide on the hours). Each row is
    closed by a conditional UPDATE, so concurrent runs close it once. Returns how many."""
    cutoff = clock.now() - AUTO_CHECK_OUT_AFTER
    rows = await db.fetch(
        "SELECT s.id, s.checked_in_at, a.starts_at, a.ends_at FROM activity_sign_up s "
        "JOIN volunteer_activity a ON a.id = s.activity_id "
        "WHERE s.checked_in_at IS NOT NULL AND s.checked_out_at IS NULL AND s.checked_in_at < ? "
        f"ORDER BY s.id LIMIT {AUTO_CHECK_OUT_BATCH}",
        [cutoff],
    )
    closed = 0
    for row in rows:
        window = VolunteerActivity(
            starts_at=db.timestamp(row["starts_at"]), ends_at=db.timestamp(row["ends_at"])
        )
        checked_in = db.timestamp(row["checked_in_at"])
        assert checked_in is not None
        moment = clock.now()
        closed += await ActivitySignUp.filter(id=row["id"], checked_out_at=None).update(
            checked_out_at=moment,
            auto_checked_out=True,
            minutes=minutes_served(window, checked_in, moment),
            hours_status=HoursStatus.PENDING,
        )
    return closed
