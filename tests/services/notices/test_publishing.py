"""Publishing notices (政策传达): who publishes where, bad input, the announcement after
the commit, delivery to the right recipients."""

from __future__ import annotations

import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services import notices
from services.enums import Role
from services.errors import Forbidden, InvalidInput, NotFound
from services.kit import events
from services.kit.paths import in_subtree
from services.models import Area, Notice, NoticeRecipient, RoleAssignment
from tests.conftest import Database, actor_for
from tests.services.notices_support import area, publish
from tests.services.points_support import person_id

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


async def _holders(where: Area, roles: list[Role]) -> set[int]:
    rows = await RoleAssignment.filter(
        in_subtree(where.path, "area_path"), role__in=roles, until=None
    )
    return {r.person_id for r in rows}


class TestPublishNotice:
    @pytest.mark.parametrize(
        ("by", "where", "allowed"),
        [
            ("district_admin", "博山区", True),
            ("district_admin", "古窑社区", True),
            ("street_admin", "城西街道", True),
            ("street_admin", DEMO_COMMUNITY, True),
            ("street_admin", "山头街道", False),  # another street
            ("street_admin", "博山区", False),  # above
            ("community_admin", DEMO_COMMUNITY, True),
            ("community_admin", DEMO_GRID, True),  # own subtree
            ("community_admin", "M", True),
            ("community_admin", "西冶街社区", False),  # sibling
            ("community_admin", "城西街道", False),  # ancestor
            ("community_admin", "古窑社区", False),  # another street
            ("grid_leader", DEMO_GRID, True),
            ("grid_leader", "M", True),
            ("grid_leader", "颜山第二网格", False),  # sibling grid
            ("grid_leader", DEMO_COMMUNITY, False),  # above the grid
            ("microgrid_leader", "M", True),  # to their own micro-grid
            ("microgrid_leader", "颜山花园3-4号楼微网格", False),  # a sibling micro-grid
            ("microgrid_leader", DEMO_GRID, False),  # above their micro-grid
            ("central_household", "M", False),
            ("rider", DEMO_GRID, False),
            ("resident", "M", False),
        ],
    )
    async def test_who_may_publish_where(
        self, db: Database, by: str, where: str, allowed: bool
    ) -> None:
        before = (await Notice.all().count(), await NoticeRecipient.all().count())
        if allowed:
            made = await publish(by, where)
            assert made.area_id == (await area(where)).id
            assert made.publisher_id == await person_id(by)
        else:
            with pytest.raises(Forbidden) as raised:
                await publish(by, where)
            assert raised.value.field == "under"
            assert (await Notice.all().count(), await NoticeRecipient.all().count()) == before

    @pytest.mark.parametrize(
        ("title", "body", "roles", "field"),
        [
            ("", "正文", (), "title"),
            ("   ", "正文", (), "title"),
            ("长" * 101, "正文", (), "title"),
            ("标题", "", (), "body"),
            ("标题", "正" * 5001, (), "body"),
            ("标题", "正文", ("MAYOR",), "roles"),
        ],
    )
    async def test_bad_input_is_refused_and_changes_nothing(
        self, db: Database, title: str, body: str, roles: tuple[str, ...], field: str
    ) -> None:
        before = (await Notice.all().count(), await NoticeRecipient.all().count())
        with pytest.raises(InvalidInput) as raised:
            await notices.publish_notice(
                actor=await actor_for("community_admin"),
                area_id=(await area(DEMO_COMMUNITY)).id,
                title=title,
                body=body,
                roles=roles,
            )
        assert raised.value.field == field
        assert (await Notice.all().count(), await NoticeRecipient.all().count()) == before

    async def test_limits_are_inclusive_and_unknown_areas_not_found(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        made = await notices.publish_notice(
            actor=admin,
            area_id=(await area(DEMO_COMMUNITY)).id,
            title=" " + "长" * 100 + " ",
            body="正" * 5000,
            roles=[],
        )
        assert made.title == "长" * 100
        with pytest.raises(NotFound):
            await notices.publish_notice(actor=admin, area_id=10**9, title="t", body="b", roles=[])

    async def test_publishing_announces_the_notice_after_it_committed(self, db: Database) -> None:
        with events.broker.subscribe(events.Topic.NOTICE) as subscription:
            made = await publish()
            event = subscription.queue.get_nowait()
        assert event.payload == {"id": made.id, "area_path": made.area_path}
        assert subscription.queue.empty()


class TestDelivery:
    @pytest.mark.parametrize(
        ("roles", "expected"),
        [
            ((), [Role.MICRO_GRID_LEADER, Role.CENTRAL_HOUSEHOLD]),
            ((Role.CENTRAL_HOUSEHOLD,), [Role.CENTRAL_HOUSEHOLD]),
            ((Role.MICRO_GRID_LEADER, Role.VOLUNTEER), [Role.MICRO_GRID_LEADER]),
            ((Role.VOLUNTEER, Role.RESIDENT), []),
        ],
    )
    async def test_delivered_to_the_leaders_and_central_households_of_the_subtree(
        self, db: Database, roles: tuple[Role, ...], expected: list[Role]
    ) -> None:
        community = await area(DEMO_COMMUNITY)
        # when the community admin publishes to the community (to some roles)
        made = await publish(roles=roles)
        # then exactly the open holders of the acknowledging roles chosen are its recipients
        recipients = await NoticeRecipient.filter(notice_id=made.id)
        assert {r.person_id for r in recipients} == await _holders(community, expected)
        assert (
            len(recipients)
            == made.recipient_count
            == (await Notice.get(id=made.id)).recipient_count
        )
        assert made.roles == [r.value for r in Role if r in roles]
        # each with the area of their role, a micro-grid of the community
        for r in recipients:
            held = await RoleAssignment.get(
                person_id=r.person_id, role=r.role, area_id=r.area_id, until=None
            )
            assert held.area_path == r.area_path
            assert r.area_path.startswith(community.path)
        if expected:
            assert len(recipients) > 5
        # and nobody outside the community received it
        assert not [r for r in recipients if not r.area_path.startswith(community.path)]

    async def test_a_grid_notice_reaches_its_grid_only(self, db: Database) -> None:
        made = await publish("grid_leader", DEMO_GRID)
        grid = await area(DEMO_GRID)
        roles = [Role.MICRO_GRID_LEADER, Role.CENTRAL_HOUSEHOLD]
        assert {
            r.person_id for r in await NoticeRecipient.filter(notice_id=made.id)
        } == await _holders(grid, roles)
