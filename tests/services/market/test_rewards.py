"""Rewards: posted, changed and restocked (services/market/rewards.py)."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest

from seed.demo import DEMO_COMMUNITY
from seed.partners import CLERK
from seed.points import MERCHANT_NAME
from services import market, partners
from services.enums import PartnerUnitStatus, ProviderKind, RewardCategory
from services.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    NotFound,
    OutOfStock,
)
from services.kit import clock
from services.kit import db as database
from services.models import Area, PartnerUnit, PointsAccount, ResourceOffer, Reward
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    OTHER_COMMUNITY,
    PARTNER_UNIT,
    community,
    key,
    reward,
    stock_of,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestCreateReward:
    """Posting rewards."""

    async def test_a_community_admin_posts_rewards_for_the_community_or_a_partner(
        self,
        db: Database,
    ) -> None:
        own = await reward()
        assert (own.provider_kind, own.provider_name) == (ProviderKind.COMMUNITY, DEMO_COMMUNITY)
        assert own.provider_account_id is None
        sink = await PointsAccount.get(id=own.sink_account_id)
        assert (sink.kind.value, sink.area_id, sink.name) == (
            "SINK",
            (await community()).id,
            DEMO_COMMUNITY,
        )
        for_partner = await reward(provider_unit=PARTNER_UNIT)
        assert (for_partner.provider_kind, for_partner.provider_name) == (
            ProviderKind.PARTNER_UNIT,
            PARTNER_UNIT,
        )

    async def test_a_partner_member_posts_for_their_own_unit_in_their_community(
        self, db: Database
    ) -> None:
        partner = await actor_for("partner")
        made = await reward(by="partner", provider_unit=PARTNER_UNIT)
        company = await PartnerUnit.get(name=PARTNER_UNIT)
        assert (made.provider_kind, made.provider_account_id, made.partner_unit_id) == (
            ProviderKind.PARTNER_UNIT,
            partner.account_id,
            company.id,
        )
        with pytest.raises(InvalidInput):  # a partner names their unit
            await reward(by="partner")
        with pytest.raises(InvalidInput):  # and posts only in their unit's community
            await reward(
                by="partner", provider_unit=PARTNER_UNIT, area=await community(OTHER_COMMUNITY)
            )

    async def test_nobody_posts_in_another_units_name(self, db: Database) -> None:
        # given the property company's member and the merchant, another unit of the community
        before = await Reward.all().count()
        # when the member posts a reward in the merchant's name, then it is refused
        with pytest.raises(Forbidden):
            await reward(by="partner", provider_unit=MERCHANT_NAME)
        # and so is a unit that does not exist
        with pytest.raises(NotFound):
            await market.create_reward(
                actor=await actor_for("partner"),
                area_id=(await community()).id,
                stock=1,
                provider_unit_id=10**9,
                data=market.RewardInput(name="x", category=RewardCategory.GOODS, price_points=1),
            )
        assert await Reward.all().count() == before
        # while the community's admin posts for the merchant, whose members then hand it over
        for_merchant = await reward(provider_unit=MERCHANT_NAME)
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        assert (for_merchant.partner_unit_id, for_merchant.provider_name) == (
            merchant.id,
            MERCHANT_NAME,
        )
        assert await market.hands_over(await actor_for("merchant"), for_merchant)
        assert not await market.hands_over(await actor_for("partner"), for_merchant)

    async def test_a_pending_unit_gives_nothing_yet(self, db: Database) -> None:
        # given the demo's social organisation, still PENDING, and its own member
        pending = await PartnerUnit.get(status=PartnerUnitStatus.PENDING)
        before = await Reward.all().count()
        # when its member posts in its name, then it waits for the community's approval
        with pytest.raises(Conflict):
            await market.create_reward(
                actor=await actor_for("social_worker"),
                area_id=(await community()).id,
                stock=1,
                provider_unit_id=pending.id,
                data=market.RewardInput(name="x", category=RewardCategory.GOODS, price_points=1),
            )
        assert await Reward.all().count() == before

    @pytest.mark.parametrize("username", ["resident", "volunteer", "grid_leader"])
    async def test_others_may_not_post_rewards(self, db: Database, username: str) -> None:
        before = await Reward.all().count()
        with pytest.raises(Forbidden):
            await reward(by=username)
        assert await Reward.all().count() == before

    async def test_a_reward_needs_a_sane_price_stock_and_place(self, db: Database) -> None:
        before = await Reward.all().count()
        with pytest.raises(InvalidInput):
            await reward(price=0)
        with pytest.raises(InvalidInput):
            await reward(stock=-1)
        with pytest.raises(InvalidInput):  # rewards live in a community, not above it
            await reward(area=await Area.get(name="城西街道"))
        assert await Reward.all().count() == before


class TestUpdateReward:
    """Changing a reward."""

    async def test_an_update_changes_what_it_is_given(self, db: Database) -> None:
        # given a reward with a per-person limit and a window end
        until = clock.now() + timedelta(days=30)
        made = await reward(per_person_limit=2, available_until=until)
        # when a null limit, a null name and a new price are given
        changed = await market.update_reward(
            actor=await actor_for("community_admin"),
            reward_id=made.id,
            changes={"per_person_limit": None, "name": None, "price_points": 12},
        )
        # then the limit is cleared, the name kept, and the window end (left out) stays
        assert (changed.per_person_limit, changed.name, changed.price_points) == (
            None,
            made.name,
            12,
        )
        assert changed.available_until == until


class TestUpdateProvider:
    """Moving a reward to a partner unit (providerUnitId)."""

    async def test_an_admin_moves_a_reward_to_a_unit_and_back(self, db: Database) -> None:
        # given a reward the community gives
        made = await reward()
        admin = await actor_for("community_admin")
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        # when the admin gives it in the merchant's name
        moved = await market.update_reward(
            actor=admin, reward_id=made.id, changes={"provider_unit_id": merchant.id}
        )
        # then the merchant provides it, and its points go to the merchant's sink
        fresh = await Reward.get(id=made.id)
        sink = await PointsAccount.get(id=fresh.sink_account_id)
        assert (moved.provider_kind, fresh.partner_unit_id, sink.name) == (
            ProviderKind.PARTNER_UNIT,
            merchant.id,
            MERCHANT_NAME,
        )
        # and null gives it back to the community
        back = await market.update_reward(
            actor=admin, reward_id=made.id, changes={"provider_unit_id": None}
        )
        assert (back.provider_kind, back.partner_unit_id, back.provider_name) == (
            ProviderKind.COMMUNITY,
            None,
            DEMO_COMMUNITY,
        )

    async def test_a_member_cannot_move_their_reward_to_another_unit(self, db: Database) -> None:
        # given the property company's reward, posted by its member
        made = await reward(by="partner", provider_unit=PARTNER_UNIT)
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        # when the member moves it to the merchant or to the community, then both are refused
        for unit_id in (merchant.id, None):
            with pytest.raises(Forbidden):
                await market.update_reward(
                    actor=await actor_for("partner"),
                    reward_id=made.id,
                    changes={"provider_unit_id": unit_id, "name": "改名"},
                )
        fresh = await Reward.get(id=made.id)
        assert (fresh.partner_unit_id, fresh.name) == (made.partner_unit_id, made.name)


class TestRestockReward:
    """Restocking."""

    async def test_restocking_adds_once_per_key(self, funded: Database) -> None:
        item = await reward(stock=1)
        admin = await actor_for("community_admin")
        done = await market.restock_reward(
            actor=admin, reward_id=item.id, quantity=5, idempotency_key="s1"
        )
        again = await market.restock_reward(
            actor=admin, reward_id=item.id, quantity=5, idempotency_key="s1"
        )
        assert done.stock == again.stock == await stock_of(item) == 6
        with pytest.raises(IdempotencyConflict):
            await market.restock_reward(
                actor=admin, reward_id=item.id, quantity=4, idempotency_key="s1"
            )
        for quantity in (0, -3):
            with pytest.raises(InvalidInput):
                await market.restock_reward(
                    actor=admin, reward_id=item.id, quantity=quantity, idempotency_key=key()
                )
        assert await stock_of(item) == 6

    async def test_only_the_provider_or_an_admin_restocks(self, funded: Database) -> None:
        community_item = await reward()
        partner_item = await reward(by="partner", provider_unit=PARTNER_UNIT)
        partner = await actor_for("partner")
        for username in ("resident", "grid_leader"):
            with pytest.raises(Forbidden):
                await market.restock_reward(
                    actor=await actor_for(username),
                    reward_id=community_item.id,
                    quantity=1,
                    idempotency_key=key(),
                )
        with pytest.raises(Forbidden):
            await market.restock_reward(
                actor=partner, reward_id=community_item.id, quantity=1, idempotency_key=key()
            )
        done = await market.restock_reward(
            actor=partner, reward_id=partner_item.id, quantity=2, idempotency_key=key()
        )
        assert done.stock == 7
        assert await stock_of(community_item) == 5


class TestRestockFromResource:
    """A reward stocked from a unit's resource restocks from it."""

    async def _stocked(self) -> Reward:
        """The demo merchant's detergent, stocked with 20 of its 40 bags."""
        return await Reward.get(resource_id__not_isnull=True, name__startswith="洗衣粉")

    async def test_restocking_draws_from_the_resource(self, db: Database) -> None:
        # given the stocked reward and what its resource has left
        item = await self._stocked()
        assert item.resource_id is not None
        left = (await ResourceOffer.get(id=item.resource_id)).remaining
        # when its unit's manager restocks 5
        done = await market.restock_reward(
            actor=await actor_for("merchant"), reward_id=item.id, quantity=5, idempotency_key="r"
        )
        # then the reward has 5 more and the resource 5 fewer
        assert done.stock == item.stock + 5
        assert (await ResourceOffer.get(id=item.resource_id)).remaining == left - 5

    async def test_too_little_left_changes_nothing(self, db: Database) -> None:
        # given the stocked reward and what its resource has left
        item = await self._stocked()
        assert item.resource_id is not None
        left = (await ResourceOffer.get(id=item.resource_id)).remaining
        # when more than that is restocked, then OutOfStock, and neither side changed
        with pytest.raises(OutOfStock):
            await market.restock_reward(
                actor=await actor_for("merchant"),
                reward_id=item.id,
                quantity=left + 1,
                idempotency_key="r",
            )
        assert await stock_of(item) == item.stock
        assert (await ResourceOffer.get(id=item.resource_id)).remaining == left

    async def test_a_withdrawn_resource_restocks_nothing(self, db: Database) -> None:
        item = await self._stocked()
        assert item.resource_id is not None
        await ResourceOffer.filter(id=item.resource_id).update(status="WITHDRAWN")
        with pytest.raises(Conflict):
            await market.restock_reward(
                actor=await actor_for("merchant"),
                reward_id=item.id,
                quantity=1,
                idempotency_key="r",
            )
        assert await stock_of(item) == item.stock

    async def test_only_the_units_managers_draw_from_its_resource(self, db: Database) -> None:
        # given the stocked reward: the community's admin manages it, but not the unit's list
        item = await self._stocked()
        with pytest.raises(Forbidden):
            await market.restock_reward(
                actor=await actor_for("community_admin"),
                reward_id=item.id,
                quantity=1,
                idempotency_key="r",
            )
        assert await stock_of(item) == item.stock


class TestMigration:
    async def test_free_text_providers_are_linked_to_their_units(self, db: Database) -> None:
        # given rewards posted before providers were units: one named as the merchant is named,
        # one naming a shop that is no unit, and one named as a unit of another community
        voucher = await Reward.get(name="20 元购物券")
        await Reward.filter(id=voucher.id).update(partner_unit_id=None)
        shop = await reward(provider_unit=MERCHANT_NAME)
        await Reward.filter(id=shop.id).update(partner_unit_id=None, provider_name="颜山理发店")
        elsewhere = await reward(area=await community(OTHER_COMMUNITY), by="street_admin")
        await Reward.filter(id=elsewhere.id).update(
            provider_kind=ProviderKind.PARTNER_UNIT, provider_name=MERCHANT_NAME
        )
        # when migration 0025's data step runs
        step = import_module("services.migrations.0025_reward_providers_and_claim_kinds")
        for statement in step._STATEMENTS:
            await database.execute(statement, [])
        # then the voucher is the merchant's again, and the others keep their names only
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        assert (await Reward.get(id=voucher.id)).partner_unit_id == merchant.id
        unmatched = await Reward.get(id=shop.id)
        assert (unmatched.partner_unit_id, unmatched.provider_name) == (None, "颜山理发店")
        assert (await Reward.get(id=elsewhere.id)).partner_unit_id is None


class TestLeavingTheUnit:
    async def test_whoever_leaves_the_unit_stops_managing_its_rewards(self, db: Database) -> None:
        # given a reward the merchant's manager posted for the merchant
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        made = await reward(by="merchant", provider_unit=MERCHANT_NAME)
        manager, clerk = await actor_for("merchant"), await actor_for(CLERK[0])
        # when the manager leaves, the clerk succeeding them
        await partners.leave_unit(actor=manager, unit_id=merchant.id, successor_id=clerk.person_id)
        # then the former manager neither changes it nor hands it over; the clerk does
        former = await actor_for("merchant")
        with pytest.raises(Forbidden):
            await market.update_reward(actor=former, reward_id=made.id, changes={"name": "改名"})
        assert not await market.hands_over(former, made)
        changed = await market.update_reward(
            actor=await actor_for(CLERK[0]), reward_id=made.id, changes={"name": "改名"}
        )
        assert changed.name == "改名"
