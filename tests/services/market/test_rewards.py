"""Rewards: posted, changed and restocked (services/market/rewards.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from seed.demo import DEMO_COMMUNITY
from services import market
from services.enums import ProviderKind
from services.errors import Forbidden, IdempotencyConflict, InvalidInput
from services.kit import clock
from services.models import Area, PointsAccount, Reward
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
        assert (made.provider_kind, made.provider_account_id) == (
            ProviderKind.PARTNER_UNIT,
            partner.account_id,
        )
        with pytest.raises(InvalidInput):  # a partner names their unit
            await reward(by="partner")
        with pytest.raises(Forbidden):  # and posts only in their own community
            await reward(
                by="partner", provider_unit=PARTNER_UNIT, area=await community(OTHER_COMMUNITY)
            )

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
