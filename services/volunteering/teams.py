"""Volunteer teams (志愿服务队): create, apply to join, review, leave; who is in reach."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.enums import AreaLevel, MembershipStatus, TeamKind
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import community_path, in_subtree, is_under
from services.models import TeamMembership, VolunteerTeam
from services.partners.units import unit_for_team
from services.points import ledger

# Teams and activities live in a community or below (a grid, a micro-grid).
LOCAL_LEVELS = (AreaLevel.COMMUNITY, AreaLevel.GRID, AreaLevel.MICRO_GRID)
ACTIVE_MEMBERSHIP = (MembershipStatus.PENDING, MembershipStatus.APPROVED)
# The most teams one person is in or has applied to at once: a bound the API's cost estimate
# relies on (`Viewer.teams`).
MAX_TEAMS = 20


async def _make_room_for_team(person_id: int, field: str) -> None:
    """Inside a transaction: lock the person's row (a no-op write, so that their applications
    serialize) and refuse a membership beyond MAX_TEAMS."""
    await db.execute("UPDATE person SET name = name WHERE id = ? RETURNING id", [person_id])
    active = await TeamMembership.filter(
        person_id=person_id, status__in=list(ACTIVE_MEMBERSHIP)
    ).count()
    if active >= MAX_TEAMS:
        raise Conflict(
            f"A person is in (or has applied to) at most {MAX_TEAMS} teams at once.",
            field=field,
        )


def community_of(path: str) -> str:
    """The path of the community an area at community level or below lies in."""
    community = community_path(path)
    assert community is not None  # teams and activities are created at LOCAL_LEVELS only
    return community


def lives_or_serves_in(actor: Actor, community_path: str) -> bool:
    """Does the actor live in the community (their household) or hold a role in it (or above
    it: a street or district admin belongs to every community they run)?"""
    if actor.household_path and is_under(actor.household_path, community_path):
        return True
    return any(
        g.area_path
        and (is_under(g.area_path, community_path) or is_under(community_path, g.area_path))
        for g in actor.grants
    )


async def person_in_community(person_id: int, community_path: str) -> bool:
    """Does the person live in the community or hold an open role in it?"""
    return any(is_under(p, community_path) for p in await ledger.person_places(person_id))


async def is_member(team_id: int, person_id: int) -> bool:
    """Is the person an approved member of the team (the leader always is)?"""
    return await TeamMembership.exists(
        team_id=team_id, person_id=person_id, status=MembershipStatus.APPROVED
    )


async def get_team(team_id: int, field: str = "teamId") -> VolunteerTeam:
    team = await VolunteerTeam.get_or_none(id=team_id)
    if team is None:
        raise NotFound("No such volunteer team.", field=field)
    return team


def leads_or_runs(actor: Actor, team: VolunteerTeam) -> bool:
    """The team's leader and the admins of its area manage its members."""
    return team.leader_id == actor.person_id or actor.administers(team.area_path)


async def create_team(
    *,
    actor: Actor | None,
    area_id: int,
    name: str,
    kind: TeamKind,
    leader_id: int,
    description: str = "",
    unit_id: int | None = None,
) -> VolunteerTeam:
    """A team in a community (or a grid or micro-grid of it), set up by the admins of that
    area, with a leader who lives or serves in the community (an approved member at once)."""
    actor = require_actor(actor)
    name = clean_text(name, field="name", max_length=100)
    description = clean_text(description, field="description", max_length=500, required=False)
    area = await get_area(area_id=area_id)
    if area.level not in LOCAL_LEVELS:
        raise InvalidInput("A team belongs to a community, grid or micro-grid.", field="areaId")
    actor.require_admin_of(area.path, "set up volunteer teams")
    unit = (
        await unit_for_team(actor, unit_id, community_of(area.path))
        if unit_id is not None
        else None
    )
    if not await person_in_community(leader_id, community_of(area.path)):
        raise InvalidInput(
            "The leader must live or hold a role in the team's community.", field="leaderId"
        )
    moment = clock.now()
    try:
        async with in_transaction():
            team = await VolunteerTeam.create(
                name=name,
                kind=kind,
                area_id=area.id,
                area_path=area.path,
                unit_id=unit.id if unit else None,
                leader_id=leader_id,
                description=description,
                created_by_id=actor.person_id,
                created_at=moment,
            )
            await _make_room_for_team(leader_id, "leaderId")
            await TeamMembership.create(
                team_id=team.id,
                person_id=leader_id,
                status=MembershipStatus.APPROVED,
                applied_at=moment,
                reviewed_by_id=actor.person_id,
                reviewed_at=moment,
            )
    except IntegrityError as exc:  # unique (area, name)
        raise Conflict("A team of that name exists in this area.", field="name") from exc
    return team


async def join_team(*, actor: Actor | None, team_id: int) -> TeamMembership:
    """Apply to join a team of the community one lives or serves in (PENDING until the leader
    or an admin reviews it)."""
    actor = require_actor(actor)
    team = await get_team(team_id)
    if not lives_or_serves_in(actor, community_of(team.area_path)):
        raise Forbidden("Join the teams of the community you live or serve in.", field="teamId")
    try:
        async with in_transaction():
            await _make_room_for_team(actor.person_id, "teamId")
            return await TeamMembership.create(
                team_id=team.id,
                person_id=actor.person_id,
                status=MembershipStatus.PENDING,
                applied_at=clock.now(),
            )
    except IntegrityError as exc:  # the partial unique index: one active membership
        raise Conflict("You have applied to or joined this team already.", field="teamId") from exc


async def review_member(
    *, actor: Actor | None, membership_id: int, approve: bool, reason: str | None
) -> TeamMembership:
    """Approve or reject a pending application (the team's leader or admins of its area);
    a rejection needs a reason."""
    actor = require_actor(actor)
    membership = await TeamMembership.get_or_none(id=membership_id)
    team = await VolunteerTeam.get_or_none(id=membership.team_id) if membership else None
    if membership is None or team is None:
        raise NotFound("No such membership.", field="membershipId")
    if not (
        membership.person_id == actor.person_id
        or _sees_members(actor, team)
        or await is_member(team.id, actor.person_id)
    ):
        raise NotFound("No such membership.", field="membershipId")
    if not leads_or_runs(actor, team):
        raise Forbidden("The team's leader or an admin reviews members.", field="membershipId")
    note = clean_text(reason or "", field="reason", max_length=500, required=not approve)
    status = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
    # A conditional update: of two concurrent reviews one decides, the other gets Conflict.
    changed = await TeamMembership.filter(id=membership.id, status=MembershipStatus.PENDING).update(
        status=status,
        reviewed_by_id=actor.person_id,
        reviewed_at=clock.now(),
        review_reason=note or None,
    )
    membership = await TeamMembership.get(id=membership.id)
    if not changed:
        raise Conflict(
            f"The application is {membership.status.value} already.", field="membershipId"
        )
    return membership


async def leave_team(*, actor: Actor | None, team_id: int) -> TeamMembership:
    """Leave a team (or withdraw a pending application). The leader stays: an admin names a
    new leader first."""
    actor = require_actor(actor)
    team = await get_team(team_id)
    if team.leader_id == actor.person_id:
        raise Conflict("The leader cannot leave the team.", field="teamId")
    membership = await TeamMembership.get_or_none(
        team_id=team.id, person_id=actor.person_id, status__in=list(ACTIVE_MEMBERSHIP)
    )
    if membership is None:
        raise NotFound("You are not in this team.", field="teamId")
    changed = await TeamMembership.filter(
        id=membership.id, status__in=list(ACTIVE_MEMBERSHIP)
    ).update(status=MembershipStatus.LEFT, left_at=clock.now())
    if not changed:
        raise Conflict("You left this team already.", field="teamId")
    return await TeamMembership.get(id=membership.id)


def _sees_members(actor: Actor, team: VolunteerTeam) -> bool:
    return team.leader_id == actor.person_id or actor.reads(team.area_path)


async def _teams_in_view(actor: Actor, teams: list[VolunteerTeam]) -> set[int]:
    """The teams whose memberships the actor may see (the members list and each membership
    alike): its leader, the admins and leaders of its area, and its approved members."""
    seen = {t.id for t in teams if _sees_members(actor, t)}
    others = [t.id for t in teams if t.id not in seen]
    if others:
        joined = await TeamMembership.filter(
            team_id__in=others, person_id=actor.person_id, status=MembershipStatus.APPROVED
        )
        seen |= {m.team_id for m in joined}
    return seen


async def list_teams(*, actor: Actor | None, under_id: int, window: Window) -> Page[VolunteerTeam]:
    """Teams whose home area lies under an area (signed-in users)."""
    require_actor(actor)
    area = await get_area(area_id=under_id)
    query = VolunteerTeam.filter(in_subtree(area.path, "area_path"))
    return await paginate(query, window)


async def teams_by_ids(*, team_ids: list[int]) -> list[VolunteerTeam | None]:
    """Teams for the ids, in order (teams are public to signed-in users)."""
    found = {t.id: t for t in await VolunteerTeam.filter(id__in=team_ids)}
    return [found.get(i) for i in team_ids]


async def my_teams(*, person_id: int) -> list[VolunteerTeam]:
    """The teams a person is an approved member of (led ones included), by name."""
    rows = await db.fetch(
        "SELECT team_id FROM team_membership WHERE person_id = ? AND status = ?",
        [person_id, MembershipStatus.APPROVED.value],
    )
    return await VolunteerTeam.filter(id__in=[r["team_id"] for r in rows]).order_by("name", "id")


async def member_counts(*, team_ids: list[int]) -> list[int]:
    """Approved members of each team; one query."""
    if not team_ids:
        return []
    marks = ",".join("?" for _ in team_ids)
    rows = await db.fetch(
        f"SELECT team_id, COUNT(*) AS n FROM team_membership WHERE team_id IN ({marks}) "
        "AND status = ? GROUP BY team_id",
        [*team_ids, MembershipStatus.APPROVED.value],
    )
    counts = {int(r["team_id"]): int(r["n"]) for r in rows}
    return [counts.get(i, 0) for i in team_ids]


async def memberships_of(*, person_id: int, team_ids: list[int]) -> list[TeamMembership | None]:
    """A person's active (pending or approved) membership of each team; one query."""
    found = {
        m.team_id: m
        for m in await TeamMembership.filter(
            person_id=person_id, team_id__in=team_ids, status__in=list(ACTIVE_MEMBERSHIP)
        )
    }
    return [found.get(i) for i in team_ids]


async def team_members(
    *,
    actor: Actor | None,
    team: VolunteerTeam,
    status: MembershipStatus | None,
    window: Window,
) -> Page[TeamMembership]:
    """A team's memberships (all, or of one status), oldest first: for its members, its
    leader and the admins and leaders of its area."""
    actor = require_actor(actor)
    if team.id not in await _teams_in_view(actor, [team]):
        raise Forbidden("Members lists are shown to the team and the admins of its area.")
    query = TeamMembership.filter(team_id=team.id)
    if status is not None:
        query = query.filter(status=status)
    return await paginate(query, window)


async def memberships_by_ids(
    *, actor: Actor | None, membership_ids: list[int]
) -> list[TeamMembership | None]:
    """Memberships the actor may see: their own, and those of the teams whose members list
    they may see (`team_members`)."""
    if actor is None:
        return [None for _ in membership_ids]
    found = {m.id: m for m in await TeamMembership.filter(id__in=membership_ids)}
    teams = await VolunteerTeam.filter(id__in=list({m.team_id for m in found.values()}))
    in_view = await _teams_in_view(actor, teams)
    out: list[TeamMembership | None] = []
    for i in membership_ids:
        m = found.get(i)
        visible = m is not None and (m.person_id == actor.person_id or m.team_id in in_view)
        out.append(m if visible else None)
    return out
