"""Factories shared by the volunteering tests (data built through services)."""

from __future__ import annotations

from datetime import datetime, timedelta

from seed.demo import DEMO_COMMUNITY
from services import accounts, partners, volunteering
from services.enums import MembershipStatus, Role, TeamKind
from services.kit import clock
from services.kit.auth import Actor
from services.kit.settings import get_settings
from services.models import (
    ActivitySignUp,
    Area,
    Project,
    TeamMembership,
    UserAccount,
    VolunteerActivity,
    VolunteerTeam,
)
from services.people import assign_role
from tests.conftest import actor_for
from tests.services.points_support import OTHER_COMMUNITY, Clock, person_id

TEAM = "测试志愿服务队"


def start_of_minute() -> datetime:
    """Now, to the minute (a clock set here keeps code windows and minutes easy to read)."""
    return clock.now().replace(second=0, microsecond=0)


async def community(name: str = DEMO_COMMUNITY) -> Area:
    return await Area.get(name=name)


async def co_building_project(title: str = "楼道清理共建") -> Project:
    """A co-building project of the demo community (not claimable)."""
    return await partners.create_project(
        actor=await actor_for("community_admin"),
        community_id=(await community()).id,
        title=title,
        description="",
        claimable=False,
        people_served=0,
    )


async def team(
    *, leader: str = "microgrid_leader", name: str = TEAM, by: str = "community_admin"
) -> VolunteerTeam:
    """A party-member team in the demo community led by `leader`."""
    return await volunteering.create_team(
        actor=await actor_for(by),
        area_id=(await community()).id,
        name=name,
        kind=TeamKind.PARTY_MEMBER_SERVICE_TEAM,
        leader_id=await person_id(leader),
    )


async def member(item: VolunteerTeam, username: str) -> TeamMembership:
    """`username` applies and the leader approves."""
    applied = await volunteering.join_team(actor=await actor_for(username), team_id=item.id)
    leader = await _leader_actor(item)
    return await volunteering.review_member(
        actor=leader, membership_id=applied.id, approve=True, reason=None
    )


async def _leader_actor(item: VolunteerTeam) -> Actor:
    account = await UserAccount.get(person_id=item.leader_id)
    actor = await accounts.load_actor(account_id=account.id)
    assert actor is not None
    return actor


async def activity(
    *,
    by: str = "microgrid_leader",
    item: VolunteerTeam | None = None,
    starts_in: timedelta = timedelta(days=1),
    duration: timedelta = timedelta(hours=2),
    capacity: int = 10,
    title: str = "楼道清扫",
    area: Area | None = None,
) -> VolunteerActivity:
    start = clock.now().replace(microsecond=0) + starts_in
    return await volunteering.create_activity(
        actor=await actor_for(by),
        area_id=area.id if area else None if item else (await community()).id,
        team_id=item.id if item else None,
        project_id=None,
        title=title,
        place="颜山花园 3 号楼",
        starts_at=start,
        ends_at=start + duration,
        capacity=capacity,
    )


async def sign_up(username: str, item: VolunteerActivity) -> ActivitySignUp:
    return await volunteering.sign_up(actor=await actor_for(username), activity_id=item.id)


async def outsider(username: str = "outsider") -> str:
    """A signed-up person living nowhere in the demo community: a volunteer of another one."""
    account = await accounts.create_account(
        username=username, password="quiet-harbour-lantern", name="外社区志愿者", phone=None
    )
    await assign_role(
        actor=await actor_for("street_admin"),
        person_id=account.person_id,
        role=Role.VOLUNTEER,
        area_id=(await community(OTHER_COMMUNITY)).id,
    )
    return username


async def newcomer(username: str) -> str:
    """A volunteer of the demo community with a sign-in (for crowds of sign-ups)."""
    account = await accounts.create_account(
        username=username, password="quiet-harbour-lantern", name=f"志愿者{username}", phone=None
    )
    await assign_role(
        actor=await actor_for("community_admin"),
        person_id=account.person_id,
        role=Role.VOLUNTEER,
        area_id=(await community()).id,
    )
    return username


async def memberships(item: VolunteerTeam, status: MembershipStatus) -> int:
    return await TeamMembership.filter(team_id=item.id, status=status).count()


def local_day(days_ago: int, hour: int) -> datetime:
    """`hour` o'clock (local time) of the day `days_ago` days before the clock's."""
    local = clock.now().astimezone(get_settings().tz) - timedelta(days=days_ago)
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


async def served(
    pinned: Clock,
    minutes: dict[str, int],
    *,
    by: str = "community_admin",
    days_ago: int = 5,
    starts_at: datetime | None = None,
) -> tuple[VolunteerActivity, dict[str, ActivitySignUp]]:
    """A past 6-hour activity (starting `days_ago` days back, or at `starts_at`) where each
    person served the given minutes (recorded by an admin), and the clock back at now."""
    now = pinned.moment
    past = await activity(
        item=await VolunteerTeam.get_or_none(name=TEAM) or await team(),
        by="community_admin",
        starts_in=-timedelta(days=days_ago) if starts_at is None else starts_at - now,
        duration=timedelta(hours=6),
        capacity=20,
    )
    admin = await actor_for(by)
    done = {}
    for username, served_minutes in minutes.items():
        who = await person_id(username)
        await volunteering.check_in(
            actor=admin, activity_id=past.id, person_id=who, at=past.starts_at
        )
        done[username] = await volunteering.check_out(
            actor=admin,
            activity_id=past.id,
            person_id=who,
            at=past.starts_at + timedelta(minutes=served_minutes),
        )
    pinned.set(now)
    return past, done
