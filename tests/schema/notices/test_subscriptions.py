"""noticePublished through the schema (in-process): who may subscribe where, and which notices
reach which subscriber (published to the area, above it or below it, and readable by them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from strawberry import relay
from strawberry.types.execution import PreExecutionError

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import notices
from services.enums import AreaLevel, Role
from services.kit import events
from services.kit.events import Topic, broker
from services.models import Area, Household, Notice
from tests.conftest import Database, actor_for
from tests.schema.core.test_live import end_role, ends_with, next_result, recheck_always, subscribe
from tests.services.kit.test_events import until_subscribed

PUBLISHED = """
subscription Published($under: ID!) {
  noticePublished(under: $under) { id title roles area { name } publisher { name } }
}
"""


def area_id(area: Area) -> str:
    return str(relay.GlobalID("Area", str(area.id)))


async def publish(by: str, where: str, title: str, roles: tuple[Role, ...] = ()) -> Notice:
    async with events.collecting():
        return await notices.publish_notice(
            actor=await actor_for(by),
            area_id=(await Area.get(name=where)).id,
            title=title,
            body="请各网格做好相关工作。",
            roles=roles,
        )


async def follow(username: str, where: Area) -> AsyncIterator[Any]:
    return await subscribe(PUBLISHED, await actor_for(username), under=area_id(where))


class TestNoticePublished:
    async def test_notices_above_at_and_below_the_area_reach_its_people(self, db: Database) -> None:
        resident = await actor_for("resident")
        home = await Household.get(members__id=resident.person_id)
        micro_grid = await Area.get(id=home.micro_grid_id)
        # given the resident following the notices of their micro-grid
        stream = await follow("resident", micro_grid)
        try:
            task = asyncio.ensure_future(next_result(stream))
            await until_subscribed(Topic.NOTICE)
            # when notices are published to a sibling community (not theirs), to their leaders
            # only (not for a resident), then to the whole street (above them)
            await publish("district_admin", "西冶街社区", "其他社区的通知")
            await publish(
                "community_admin", DEMO_COMMUNITY, "致微网格长", (Role.MICRO_GRID_LEADER,)
            )
            street = await publish("street_admin", "城西街道", "冬季消防安全检查")
            # then the first they receive is the street's
            first = await task
            assert first.errors is None, first.errors
            assert first.data["noticePublished"]["id"] == str(
                relay.GlobalID("Notice", str(street.id))
            )
            assert first.data["noticePublished"]["area"] == {"name": "城西街道"}
            # and one published to their grid (below the street, above their micro-grid) follows
            grid = await publish("grid_leader", DEMO_GRID, "网格通知")
            second = await next_result(stream)
            assert second.data["noticePublished"]["id"] == str(
                relay.GlobalID("Notice", str(grid.id))
            )
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        assert broker.subscriber_count(Topic.NOTICE) == 0

    async def test_people_outside_the_area_may_not_follow_it(self, db: Database) -> None:
        elsewhere = await Area.get(name="西冶街社区")
        for username in ("resident", "community_admin", "grid_leader"):
            stream = await follow(username, elsewhere)
            result = await next_result(stream)
            assert isinstance(result, PreExecutionError), username
            assert result.errors is not None
            assert result.errors[0].extensions == {"code": "FORBIDDEN", "field": "under"}
        anonymous = await subscribe(PUBLISHED, None, under=area_id(elsewhere))
        result = await next_result(anonymous)
        assert isinstance(result, PreExecutionError)
        assert result.errors is not None
        assert result.errors[0].extensions == {"code": "UNAUTHENTICATED", "field": None}
        assert broker.subscriber_count() == 0

    async def test_a_grid_leader_whose_role_ended_is_shown_no_more_notices(
        self, db: Database
    ) -> None:
        grid = await Area.get(name=DEMO_GRID)
        leader = await actor_for("grid_leader")
        # a micro-grid of her grid where she does not live: in her scope by her role alone
        elsewhere = next(
            area
            for area in await Area.filter(path__startswith=grid.path, level=AreaLevel.MICRO_GRID)
            if not (leader.household_path or "-").startswith(area.path)
        )
        # given the grid leader following the notices of that micro-grid
        stream = await subscribe(PUBLISHED, leader, recheck_always(), under=area_id(elsewhere))
        try:
            pending = asyncio.ensure_future(next_result(stream))
            await until_subscribed(Topic.NOTICE)
            # when the community admin ends her role, then publishes a notice to her grid
            await end_role("grid_leader", Role.GRID_LEADER, by="community_admin")
            await publish("community_admin", DEMO_GRID, "网格通知")
            # then she is not shown it: her subscription ends with FORBIDDEN
            await ends_with(stream, "FORBIDDEN", result=await pending)
        finally:
            await stream.aclose()  # type: ignore[attr-defined]
        assert broker.subscriber_count(Topic.NOTICE) == 0
