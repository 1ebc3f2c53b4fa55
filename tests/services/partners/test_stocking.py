"""Stocking the points marketplace from resource lists (services/partners/stocking.py)."""

from __future__ import annotations

import pytest

from services import market, partners
from services.enums import (
    RedemptionStatus,
    ResourceCategory,
    ResourceStatus,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, OutOfStock
from services.kit.pagination import Window
from services.models import (
    ResourceOffer,
    Reward,
)
from tests.conftest import Database, actor_for
from tests.services.partners_support import (
    MERCHANT_NAME,
    new_actor,
    new_unit,
    reload,
    resource,
    unit,
)
from tests.services.points_support import HOUR, award, key, rule

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestStockReward:
    async def test_goods_stock_the_marketplace_and_the_units_members_hand_them_over(
        self,
        db: Database,
    ) -> None:
        # given the merchant's goods and a second member of the merchant's staff
        merchant_unit = await unit(MERCHANT_NAME)
        merchant = await actor_for("merchant")
        offer = await resource(merchant_unit, merchant, quantity=10)
        clerk = await new_actor("店员")
        await partners.add_member(
            actor=merchant, unit_id=merchant_unit.id, person_id=clerk.person_id, manager=False
        )
        clerk = await reload(clerk)
        # when the manager stocks 6 of them, twice with the same key
        stocked = await partners.stock_reward(
            actor=merchant,
            resource_id=offer.id,
            quantity=6,
            price_points=10,
            name=None,
            description=None,
            per_person_limit=None,
            pickup_location=None,
            idempotency_key="stock-1",
        )
        again = await partners.stock_reward(
            actor=merchant,
            resource_id=offer.id,
            quantity=6,
            price_points=10,
            name=None,
            description=None,
            per_person_limit=None,
            pickup_location=None,
            idempotency_key="stock-1",
        )
        # then one reward provided by the unit exists and the resource gave 6
        assert again.id == stocked.id
        assert (stocked.partner_unit_id, stocked.provider_name, stocked.stock) == (
            merchant_unit.id,
            MERCHANT_NAME,
            6,
        )
        assert (await ResourceOffer.get(id=offer.id)).remaining == 4
        with pytest.raises(OutOfStock):
            await partners.stock_reward(
                actor=merchant,
                resource_id=offer.id,
                quantity=5,
                price_points=10,
                name=None,
                description=None,
                per_person_limit=None,
                pickup_location=None,
                idempotency_key="stock-2",
            )
        assert await Reward.filter(resource_id=offer.id).count() == 1
        # and a resident redeems it, the clerk (a plain member) sees and hands it over
        await rule()
        await award("volunteer", code=HOUR, quantity=5)
        redemption = await market.redeem(
            actor=await actor_for("volunteer"),
            reward_id=stocked.id,
            quantity=1,
            idempotency_key=key(),
        )
        page = await partners.unit_redemptions(
            actor=clerk, unit_id=merchant_unit.id, status=None, window=Window(first=10)
        )
        assert [r.id for r in page.items] == [redemption.id]
        (seen,) = await market.redemptions_by_ids(actor=clerk, redemption_ids=[redemption.id])
        assert seen is not None
        # the clerk hands over but does not cancel someone's hold; the unit's manager may
        with pytest.raises(Forbidden):
            await market.cancel(actor=clerk, redemption_id=redemption.id)
        second = await market.redeem(
            actor=await actor_for("volunteer"),
            reward_id=stocked.id,
            quantity=1,
            idempotency_key=key(),
        )
        cancelled = await market.cancel(actor=merchant, redemption_id=second.id)
        assert cancelled.status is RedemptionStatus.CANCELLED
        done = await market.fulfil(actor=clerk, pickup_code=redemption.pickup_code)
        assert done.status is RedemptionStatus.FULFILLED
        # while the property company's manager sees nothing of it
        with pytest.raises(NotFound):
            await partners.unit_redemptions(
                actor=await actor_for("partner"),
                unit_id=merchant_unit.id,
                status=None,
                window=Window(first=10),
            )

    async def test_only_goods_and_services_stock_the_marketplace(self, db: Database) -> None:
        made, manager = await new_unit()
        venue = await resource(made, manager, category=ResourceCategory.VENUE)
        with pytest.raises(InvalidInput):
            await partners.stock_reward(
                actor=manager,
                resource_id=venue.id,
                quantity=1,
                price_points=10,
                name=None,
                description=None,
                per_person_limit=None,
                pickup_location=None,
                idempotency_key=key(),
            )
        withdrawn = await resource(made, manager, category=ResourceCategory.SERVICE)
        await partners.update_resource(
            actor=manager,
            resource_id=withdrawn.id,
            changes={"status": ResourceStatus.WITHDRAWN},
        )
        with pytest.raises(Conflict):
            await partners.stock_reward(
                actor=manager,
                resource_id=withdrawn.id,
                quantity=1,
                price_points=10,
                name=None,
                description=None,
                per_person_limit=None,
                pickup_location=None,
                idempotency_key=key(),
            )
        assert await Reward.filter(partner_unit_id=made.id).count() == 0
