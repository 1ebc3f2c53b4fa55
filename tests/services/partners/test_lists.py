"""Resource and need lists (services/partners/lists.py): who edits which list, bad input writes
nothing, quantities never below what matches committed, times compared as instants."""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from services import partners
from services.enums import (
    NeedStatus,
    ResourceCategory,
)
from services.errors import Conflict, Forbidden, InvalidInput
from services.kit import clock
from services.kit.pagination import Window
from services.models import (
    ResourceOffer,
)
from tests.conftest import Database, actor_for
from tests.services.partners_support import (
    DEMO_COMMUNITY,
    MERCHANT_NAME,
    PARTNER_UNIT_NAME,
    SIBLING,
    area,
    need,
    new_unit,
    resource,
    unit,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestPostResource:
    async def test_a_pending_unit_posts_nothing_and_bad_input_writes_nothing(
        self, db: Database
    ) -> None:
        pending, manager = await new_unit(approve=False)
        with pytest.raises(Conflict):
            await resource(pending, manager)
        made, manager = await new_unit()
        count = await ResourceOffer.all().count()
        with pytest.raises(InvalidInput):  # the window ends before it starts
            await resource(made, manager, until=clock.now() - timedelta(days=2))
        with pytest.raises(InvalidInput):
            await resource(made, manager, quantity=0)
        with pytest.raises(InvalidInput):  # grids are not served areas
            await resource(made, manager, served=[await area("颜山第一网格")])
        assert await ResourceOffer.all().count() == count

    async def test_times_given_with_an_offset_compare_as_instants(self, db: Database) -> None:
        # a window that ended an hour ago, written in Beijing time, is over (SQLite compares stored
        # times as text: they are all stored in UTC, whatever offset the client wrote)
        beijing = timezone(timedelta(hours=8))
        now = clock.now()
        company = await unit(PARTNER_UNIT_NAME)
        partner = await actor_for("partner")
        ended = now.astimezone(beijing) - timedelta(hours=1)  # an hour ago, written in +08:00
        offer = await partners.post_resource(
            actor=partner,
            unit_id=company.id,
            data=partners.ResourceInput(
                category=ResourceCategory.VENUE,
                title="刚结束的场地",
                description="",
                quantity=1,
                unit_label="次",
                available_from=ended - timedelta(days=1),
                available_until=ended,
                served_area_ids=[(await area(DEMO_COMMUNITY)).id],
            ),
        )
        assert offer.available_until is not None
        assert offer.available_until.utcoffset() == timedelta(0)
        page = await partners.list_resources(
            actor=partner,
            under_id=(await area(DEMO_COMMUNITY)).id,
            category=ResourceCategory.VENUE,
            available_only=True,
            window=Window(first=100),
        )
        assert offer.id not in {r.id for r in page.items}


class TestUpdateResource:
    async def test_a_unit_edits_only_its_own_resource_list(self, db: Database) -> None:
        # given the merchant's resource and the property company's manager
        merchant_unit = await unit(MERCHANT_NAME)
        offer = await ResourceOffer.filter(unit_id=merchant_unit.id).first()
        assert offer is not None
        partner = await actor_for("partner")
        before = (offer.title, offer.quantity, offer.remaining)
        # when the property company's manager touches the merchant's list, it is refused
        with pytest.raises(Forbidden):
            await partners.update_resource(
                actor=partner,
                resource_id=offer.id,
                changes={"title": "改掉", "quantity": 1},
            )
        with pytest.raises(Forbidden):
            await partners.post_resource(
                actor=partner,
                unit_id=merchant_unit.id,
                data=partners.ResourceInput(
                    category=ResourceCategory.GOODS, title="冒名", quantity=1, unit_label="份"
                ),
            )
        # then nothing changed
        fresh = await ResourceOffer.get(id=offer.id)
        assert (fresh.title, fresh.quantity, fresh.remaining) == before
        assert not await ResourceOffer.exists(title="冒名")

    async def test_quantities_never_go_below_what_matches_committed(self, db: Database) -> None:
        made, manager = await new_unit()
        offer = await resource(made, manager, quantity=10)
        wanted = await need(await area(SIBLING), quantity=8)
        match = await partners.propose_match(
            actor=manager,
            need_id=wanted.id,
            resource_id=offer.id,
            quantity=6,
            covers=None,
            message="",
        )
        await partners.accept_match(actor=await actor_for("district_admin"), match_id=match.id)
        with pytest.raises(Conflict):
            await partners.update_resource(
                actor=manager,
                resource_id=offer.id,
                changes={"quantity": 5},
            )
        smaller = await partners.update_resource(
            actor=manager, resource_id=offer.id, changes={"quantity": 7}
        )
        assert (smaller.quantity, smaller.remaining) == (7, 1)
        admin = await actor_for("district_admin")
        with pytest.raises(Conflict):
            await partners.update_need(actor=admin, need_id=wanted.id, changes={"quantity": 5})
        fulfilled = await partners.update_need(
            actor=admin, need_id=wanted.id, changes={"quantity": 6}
        )
        assert (fulfilled.committed, fulfilled.status) == (6, NeedStatus.FULFILLED)


class TestPostNeed:
    async def test_needs_are_posted_by_admins_and_leaders_of_the_area(self, db: Database) -> None:
        grid = await area("颜山第一网格")
        made = await need(grid, by="grid_leader", category=ResourceCategory.SERVICE)
        assert (made.community_id, made.status) == (
            (await area(DEMO_COMMUNITY)).id,
            NeedStatus.OPEN,
        )
        for who in ("rider", "resident", "partner"):
            with pytest.raises(Forbidden):
                await need(grid, by=who)
        with pytest.raises(InvalidInput):
            await need(grid, deadline=clock.now() - timedelta(hours=1))
        # cancel and reopen
        admin = await actor_for("community_admin")
        cancelled = await partners.update_need(
            actor=admin, need_id=made.id, changes={"status": NeedStatus.CANCELLED}
        )
        assert cancelled.status is NeedStatus.CANCELLED
        with pytest.raises(Conflict):
            await partners.update_need(
                actor=admin, need_id=made.id, changes={"status": NeedStatus.CANCELLED}
            )
        reopened = await partners.update_need(
            actor=admin, need_id=made.id, changes={"status": NeedStatus.OPEN}
        )
        assert reopened.status is NeedStatus.OPEN
