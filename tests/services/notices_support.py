"""Helpers of the notice tests: publishing and acknowledging as a demo user."""

from __future__ import annotations

from seed.demo import DEMO_COMMUNITY
from services import notices
from services.enums import Role
from services.models import Area, Household, Notice
from tests.conftest import actor_for
from tests.services.points_support import person_id

TITLE = "关于测试通知的通知"


async def micro_grid_m() -> Area:
    """M: the micro-grid of the demo story (resident, 赵桂兰 and 陈志强 live there)."""
    account_person = await person_id("resident")
    home = await Household.get(members__id=account_person)
    return await Area.get(id=home.micro_grid_id)


async def area(name: str) -> Area:
    if name == "M":
        return await micro_grid_m()
    return await Area.get(name=name)


async def publish(
    by: str = "community_admin", where: str = DEMO_COMMUNITY, roles: tuple[Role, ...] = ()
) -> Notice:
    return await notices.publish_notice(
        actor=await actor_for(by),
        area_id=(await area(where)).id,
        title=TITLE,
        body="请各网格做好相关工作。",
        roles=roles,
    )


async def acknowledge(username: str, notice: Notice) -> notices.Acknowledged:
    return await notices.acknowledge_notice(actor=await actor_for(username), notice_id=notice.id)
