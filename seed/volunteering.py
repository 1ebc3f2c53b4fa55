"""Demo volunteering: 颜山社区's party-member volunteer team (党员志愿服务队) led by 赵桂兰 (the
micro-grid leader, whose duty card says she organises volunteer service), two past activities
recorded by the community admin (one with approved hours, which earned points; one whose hours
wait for the leader), and two upcoming activities with sign-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from seed.points import demo_actor
from services import volunteering
from services.enums import TeamKind
from services.kit import clock
from services.kit.pagination import Window
from services.kit.settings import get_settings
from services.models import Area, VolunteerActivity

TEAM_NAME = "颜山社区党员志愿服务队"
MEMBERS = ("volunteer", "central_household")
# title, place, days from today, local start hour, hours, capacity, who took part or signed up
Plan = tuple[str, str, int, int, int, int, tuple[str, ...]]
PAST: tuple[Plan, ...] = (
    ("楼道小广告清理", "颜山花园 1-5 号楼", -8, 9, 2, 10, MEMBERS),
    ("关爱独居老人上门探访", "柳杭小区", -2, 14, 2, 6, MEMBERS),
)
UPCOMING: tuple[Plan, ...] = (
    ("垃圾分类宣传进小区", "凤凰苑南门广场", 3, 9, 2, 20, (*MEMBERS, "resident")),
    ("重阳敬老义诊", "颜山社区党群服务中心", 10, 9, 3, 15, ("volunteer",)),
)


def _local(days: int, hour: int) -> datetime:
    """A local (configured time zone) hour `days` from today, as UTC."""
    today = clock.now().astimezone(get_settings().tz).date()
    day = today + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=get_settings().tz).astimezone(UTC)


async def seed_volunteering(*, community: Area) -> None:
    """The team, its members, past activities with hours, upcoming ones with sign-ups."""
    admin = await demo_actor("community_admin")
    leader = await demo_actor("microgrid_leader")
    team = await volunteering.create_team(
        actor=admin,
        area_id=community.id,
        name=TEAM_NAME,
        kind=TeamKind.PARTY_MEMBER_SERVICE_TEAM,
        leader_id=leader.person_id,
        description="党员带头，楼道清理、助老探访、政策宣传，每月至少两次活动",
    )
    for username in MEMBERS:
        applied = await volunteering.join_team(actor=await demo_actor(username), team_id=team.id)
        await volunteering.review_member(
            actor=leader, membership_id=applied.id, approve=True, reason=None
        )
    # 李淑芬 has applied: the leader reviews it in the demo.
    await volunteering.join_team(actor=await demo_actor("resident"), team_id=team.id)
    past: list[VolunteerActivity] = []
    for title, place, days, hour, hours, capacity, people in PAST:
        start = _local(days, hour)
        # Past service is recorded by an admin: the activity, then each person's attendance
        # (an organiser checking someone in signs them up).
        activity = await volunteering.create_activity(
            actor=admin,
            area_id=None,
            team_id=team.id,
            project_id=None,
            title=title,
            place=place,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            capacity=capacity,
        )
        for username in people:
            person = (await demo_actor(username)).person_id
            await volunteering.check_in(
                actor=admin, activity_id=activity.id, person_id=person, at=start
            )
            await volunteering.check_out(
                actor=admin, activity_id=activity.id, person_id=person, at=activity.ends_at
            )
        past.append(activity)
    # The leader approved the first activity's hours (→ VOLUNTEER_HOUR points); the second's
    # wait for her.
    first = await volunteering.activity_sign_ups(
        actor=leader, activity=past[0], hours_status=None, window=Window(first=50)
    )
    await volunteering.approve_hours(
        actor=leader,
        sign_up_ids=[s.id for s in first.items],
        idempotency_key="seed-hours-1",
    )
    for title, place, days, hour, hours, capacity, people in UPCOMING:
        start = _local(days, hour)
        activity = await volunteering.create_activity(
            actor=leader,
            area_id=None,
            team_id=team.id,
            project_id=None,
            title=title,
            place=place,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            capacity=capacity,
        )
        for username in people:
            await volunteering.sign_up(actor=await demo_actor(username), activity_id=activity.id)
