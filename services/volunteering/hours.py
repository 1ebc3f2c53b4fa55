"""Service hours: approve (points through VOLUNTEER_HOUR, once) or decline; hours read back.

Hours → points: the minutes served are rounded to whole hours, half up (1 h 29 min → 1 h,
1 h 30 min → 2 h), and the activity's community awards that many units of its VOLUNTEER_HOUR
rule from its pool. The rule's per-person caps count the hours in the day (month, quarter) they
were served, the check-in's, not the day they are approved: hours of yesterday approved today
fit under yesterday's cap. Only the hours that fit are awarded (`awarded_hours`); the others are
kept on record as `capped_hours`, and the approval itself never fails on a cap. Their evaluation
credit counts in the quarter they were served too (see services.points.credit_period for hours
approved after that quarter's evaluation started scoring). Hours that earn no points at all
(the community has no active VOLUNTEER_HOUR rule, it pays nothing, or not this person) are
approved and kept all the same; `points_withheld_reason` records why, as it records CAPPED.

Approving twice, or concurrently, awards once: each sign-up's hours flip PENDING → APPROVED by
a conditional UPDATE (the first write, which locks the row), and only the transaction that
flipped it posts the award; a unique index on the award's source stands behind that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from services.enums import HoursStatus, SignUpStatus
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import clean_text
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.idempotency import Call
from services.kit.pagination import Page, Window, paginate
from services.kit.settings import get_settings
from services.models import ActivitySignUp, VolunteerActivity, VolunteerTeam
from services.points import Source, award_for_source_capped, community_at, ledger
from services.volunteering.activities import UNREAD, Unread, organises, team_of

RULE_CODE = "VOLUNTEER_HOUR"
SOURCE_TYPE = "ActivitySignUp"
MAX_BATCH = 200


def whole_hours(minutes: int) -> int:
    """Minutes as whole hours, rounded half up."""
    return (minutes + 30) // 60


def _within_batch(sign_up_ids: list[int]) -> None:
    """Refuse an oversized batch before anything else (who asks, or whether it was asked
    before): the size alone decides, as it did when the API checked it."""
    if len(sign_up_ids) > MAX_BATCH:
        raise InvalidInput(f"At most {MAX_BATCH} sign-ups at once.", field="signUpIds")


async def _organised(
    actor: Actor, sign_up_ids: list[int]
) -> list[tuple[ActivitySignUp, VolunteerActivity]]:
    """The sign-ups with their activities, checked: visible, organised by the actor, checked
    out, and not the actor's own."""
    unique = sorted(set(sign_up_ids))
    if not unique or len(unique) != len(sign_up_ids):
        raise InvalidInput(f"Give 1 to {MAX_BATCH} different sign-ups.", field="signUpIds")
    found = {s.id: s for s in await ActivitySignUp.filter(id__in=unique)}
    activities = {
        a.id: a
        for a in await VolunteerActivity.filter(id__in={s.activity_id for s in found.values()})
    }
    team_ids = {a.team_id for a in activities.values() if a.team_id is not None}
    teams = {t.id: t for t in await VolunteerTeam.filter(id__in=team_ids)}
    out = []
    for i in unique:
        entry = found.get(i)
        if entry is None:
            raise NotFound("No such sign-up.", field="signUpIds")
        activity = activities[entry.activity_id]
        team = teams.get(activity.team_id) if activity.team_id is not None else None
        if not organises(actor, activity, team):
            if entry.person_id == actor.person_id or actor.reads(activity.area_path):
                raise Forbidden("The activity's organisers review its hours.", field="signUpIds")
            raise NotFound("No such sign-up.", field="signUpIds")
        actor.require_someone_else(
            entry.person_id, "Another organiser reviews your own hours.", field="signUpIds"
        )
        if entry.hours_status is None:
            raise Conflict("Hours are reviewed after check-out.", field="signUpIds")
        out.append((entry, activity))
    return out


async def approve_hours(
    *, actor: Actor | None, sign_up_ids: list[int], idempotency_key: str
) -> list[ActivitySignUp]:
    """Approve pending hours (the activities' organisers, never their own) and award their
    points; hours approved before stay as they are (nothing is awarded twice), declined ones
    refuse the whole batch."""
    _within_batch(sign_up_ids)
    actor = require_actor(actor)
    call = Call(actor, "approveHours", idempotency_key, {"signUps": sorted(set(sign_up_ids))})

    async def replay(_: int) -> list[ActivitySignUp]:
        return await ActivitySignUp.filter(id__in=sign_up_ids).order_by("id")

    if (previous := await call.previous(replay)) is not None:
        return previous
    checked = await _organised(actor, sign_up_ids)
    if declined := [s.id for s, _ in checked if s.hours_status is HoursStatus.DECLINED]:
        raise Conflict(f"Sign-up {declined[0]}'s hours were declined.", field="signUpIds")
    communities = {a.community_id: await community_at(a.area_path) for _, a in checked}

    async def effect(record_id: int) -> tuple[int, list[ActivitySignUp]]:
        moment = clock.now()
        flipped = []
        for entry, activity in checked:  # in sign-up id order: no deadlock between batches
            changed = await ActivitySignUp.filter(
                id=entry.id, hours_status=HoursStatus.PENDING
            ).update(
                hours_status=HoursStatus.APPROVED,
                hours_reviewed_by_id=actor.person_id,
                hours_reviewed_at=moment,
            )
            if changed:
                flipped.append((entry, activity))
        accounts = {
            entry.id: (await ledger.person_account(entry.person_id)).id for entry, _ in flipped
        }
        # Every account locked in id order before any award touches a pool (as a batch award).
        for account_id in sorted(set(accounts.values())):
            await ledger.lock_account(account_id)
        for entry, activity in sorted(flipped, key=lambda pair: accounts[pair[0].id]):
            hours = whole_hours(entry.minutes or 0)
            posted = await award_for_source_capped(
                actor=actor,
                person_id=entry.person_id,
                community=communities[activity.community_id],
                rule_code=RULE_CODE,
                quantity=hours,
                reason=f"志愿服务：{activity.title}（{hours} 小时）"[:500],
                source=Source(SOURCE_TYPE, str(entry.id)),
                earned_at=entry.checked_in_at,
            )
            await ActivitySignUp.filter(id=entry.id).update(
                awarded_hours=posted.award.quantity if posted.award else 0,
                capped_hours=posted.capped,
                points_withheld_reason=posted.withheld,
                award_id=posted.award.id if posted.award else None,
            )
        return record_id, await replay(record_id)

    return await call.run(effect, replay)


async def decline_hours(
    *, actor: Actor | None, sign_up_ids: list[int], reason: str
) -> list[ActivitySignUp]:
    """Decline pending hours with a reason (the activities' organisers); the record stays.
    Declining declined hours again changes nothing; approved hours are not declined (their
    points are corrected by reverseTransaction)."""
    _within_batch(sign_up_ids)
    actor = require_actor(actor)
    reason = clean_text(reason, field="reason", max_length=500)
    checked = await _organised(actor, sign_up_ids)
    if approved := [s.id for s, _ in checked if s.hours_status is HoursStatus.APPROVED]:
        raise Conflict(f"Sign-up {approved[0]}'s hours were approved.", field="signUpIds")
    ids = [s.id for s, _ in checked]
    async with in_transaction():
        for i in ids:
            await ActivitySignUp.filter(id=i, hours_status=HoursStatus.PENDING).update(
                hours_status=HoursStatus.DECLINED,
                hours_reviewed_by_id=actor.person_id,
                hours_reviewed_at=clock.now(),
                decline_reason=reason,
            )
        after = await ActivitySignUp.filter(id__in=ids).order_by("id")
        if any(s.hours_status is not HoursStatus.DECLINED for s in after):
            raise Conflict("Some of these hours were approved meanwhile.", field="signUpIds")
    return after


@dataclass(frozen=True)
class VolunteerHours:
    """A person's service time (minutes) by the state of its hours, and what earned points."""

    approved_minutes: int
    pending_minutes: int
    declined_minutes: int
    awarded_hours: int
    activities: int


async def volunteer_hours(*, person_id: int, year: int | None) -> VolunteerHours:
    """Totals over the person's checked-out sign-ups (of activities starting in `year`, in
    the configured time zone, when given); one query."""
    params: list[object] = [person_id, SignUpStatus.SIGNED_UP.value]
    where = ""
    if year is not None:
        if not 2000 <= year <= 2100:
            raise InvalidInput("Give a year between 2000 and 2100.", field="year")
        tz = get_settings().tz
        start = datetime(year, 1, 1, tzinfo=tz).astimezone(UTC)
        end = datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC)
        where = "AND a.starts_at >= ? AND a.starts_at < ?"
        params += [start, end]
    rows = await db.fetch(
        "SELECT s.hours_status AS status, COALESCE(SUM(s.minutes), 0) AS minutes, "
        "COALESCE(SUM(s.awarded_hours), 0) AS awarded, COUNT(*) AS n "
        "FROM activity_sign_up s JOIN volunteer_activity a ON a.id = s.activity_id "
        f"WHERE s.person_id = ? AND s.status = ? AND s.hours_status IS NOT NULL {where} "
        "GROUP BY s.hours_status",
        params,
    )
    by = {str(r["status"]): r for r in rows}

    def minutes(status: HoursStatus) -> int:
        row = by.get(status.value)
        return int(row["minutes"]) if row else 0

    approved = by.get(HoursStatus.APPROVED.value)
    return VolunteerHours(
        approved_minutes=minutes(HoursStatus.APPROVED),
        pending_minutes=minutes(HoursStatus.PENDING),
        declined_minutes=minutes(HoursStatus.DECLINED),
        awarded_hours=int(approved["awarded"]) if approved else 0,
        activities=sum(int(r["n"]) for r in rows if r["status"] != HoursStatus.DECLINED.value),
    )


async def activity_sign_ups(
    *,
    actor: Actor | None,
    activity: VolunteerActivity,
    hours_status: HoursStatus | None,
    window: Window,
    team: VolunteerTeam | Unread | None = UNREAD,
) -> Page[ActivitySignUp]:
    """Who signed up for an activity (cancelled sign-ups too), oldest first: for its
    organisers and the admins and leaders of its area (`team`: the activity's team when
    already read)."""
    actor = require_actor(actor)
    if isinstance(team, Unread):
        team = await team_of(activity)
    if not (organises(actor, activity, team) or actor.reads(activity.area_path)):
        raise Forbidden("Sign-up lists are shown to the organisers.")
    query = ActivitySignUp.filter(activity_id=activity.id)
    if hours_status is not None:
        query = query.filter(hours_status=hours_status)
    return await paginate(query, window)


async def sign_ups_by_ids(
    *, actor: Actor | None, sign_up_ids: list[int]
) -> list[ActivitySignUp | None]:
    """Sign-ups the actor may see: their own, and those of activities they organise or whose
    area they read."""
    if actor is None:
        return [None for _ in sign_up_ids]
    found = {s.id: s for s in await ActivitySignUp.filter(id__in=sign_up_ids)}
    activities = {
        a.id: a
        for a in await VolunteerActivity.filter(id__in={s.activity_id for s in found.values()})
    }
    team_ids = {a.team_id for a in activities.values() if a.team_id is not None}
    teams = {t.id: t for t in await VolunteerTeam.filter(id__in=team_ids)}
    out: list[ActivitySignUp | None] = []
    for i in sign_up_ids:
        entry = found.get(i)
        if entry is None:
            out.append(None)
            continue
        activity = activities[entry.activity_id]
        team = teams.get(activity.team_id) if activity.team_id is not None else None
        visible = (
            entry.person_id == actor.person_id
            or organises(actor, activity, team)
            or actor.reads(activity.area_path)
        )
        out.append(entry if visible else None)
    return out
