"""Redemptions: held, fulfilled, cancelled and expired (services/market/redemptions.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import market, points
from services.enums import ExpiryKind, RedemptionStatus, TransactionKind
from services.errors import (
    Conflict,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidInput,
    LimitExceeded,
    NotFound,
    OutOfStock,
    RewardUnavailable,
)
from services.kit import clock
from services.models import PointsAccount, PointsTransaction, Redemption, RedemptionLot
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    OTHER_COMMUNITY,
    PARTNER_UNIT,
    Clock,
    assert_ledger_ok,
    award,
    community,
    counts,
    key,
    lots,
    redeem,
    reward,
    stock_of,
    summary,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestRedeem:
    """Redeeming a reward."""

    async def test_redeeming_holds_points_stock_and_lots(self, funded: Database) -> None:
        # given 100 points and a reward of 12 points with 5 in stock
        item = await reward(price=12, stock=5)
        # when the resident redeems 2
        made = await redeem("resident", item, 2)
        # then 24 points and 2 items are held under a pickup code, nothing posted yet
        assert (made.status, made.points_spent, made.quantity) == (RedemptionStatus.HELD, 24, 2)
        assert len(made.pickup_code) == 14
        assert ((s := await summary("resident")).balance, s.held, s.available) == (100, 24, 76)
        assert await stock_of(item) == 3
        assert sum(lot.remaining for lot in await lots("resident")) == 76
        assert await RedemptionLot.filter(redemption_id=made.id).count() == 1
        assert not await PointsTransaction.exists(kind=TransactionKind.REDEMPTION)
        await assert_ledger_ok()

    async def test_redeeming_more_than_available_is_refused(self, funded: Database) -> None:
        item = await reward(price=60, stock=5)
        await redeem("resident", item)  # 40 left available
        before = await counts()
        with pytest.raises(InsufficientPoints):
            await redeem("resident", item)
        with pytest.raises(InsufficientPoints):  # nobody redeems without points
            await redeem("rider", item)
        assert await counts() == before

    async def test_redeeming_more_than_the_stock_is_refused(self, funded: Database) -> None:
        item = await reward(price=1, stock=2)
        before = await counts()
        with pytest.raises(OutOfStock):
            await redeem("resident", item, 3)
        assert await counts() == before
        await redeem("resident", item, 2)
        with pytest.raises(OutOfStock):
            await redeem("volunteer", item)

    async def test_a_per_person_limit_counts_held_and_fulfilled_items(
        self, funded: Database
    ) -> None:
        item = await reward(price=1, stock=10, per_person_limit=2)
        first = await redeem("resident", item)
        held = await redeem("resident", item)
        await market.fulfil(actor=await actor_for("community_admin"), pickup_code=first.pickup_code)
        before = await counts()
        with pytest.raises(LimitExceeded):
            await redeem("resident", item)
        assert await counts() == before
        assert (await redeem("volunteer", item, 2)).quantity == 2  # the limit is per person
        # a cancelled redemption no longer counts
        await market.cancel(actor=await actor_for("resident"), redemption_id=held.id)
        await redeem("resident", item)

    async def test_an_inactive_or_out_of_window_reward_is_unavailable(
        self, funded: Database
    ) -> None:
        admin = await actor_for("community_admin")
        now = clock.now()
        inactive = await reward(active=False)
        empty_and_inactive = await reward(stock=0, active=False)
        later = await reward(available_from=now + timedelta(days=1))
        over = await reward(
            available_from=now - timedelta(days=2), available_until=now - timedelta(days=1)
        )
        before = await counts()
        for item in (inactive, empty_and_inactive, later, over):
            with pytest.raises(RewardUnavailable):
                await redeem("resident", item)
        assert await counts() == before
        # withdrawing a reward that was on offer makes it unavailable too
        on_offer = await reward()
        await redeem("resident", on_offer)
        await market.update_reward(actor=admin, reward_id=on_offer.id, changes={"active": False})
        before = await counts()
        with pytest.raises(RewardUnavailable):
            await redeem("resident", on_offer)
        assert await counts() == before

    async def test_an_unknown_reward_or_bad_quantity_is_refused(self, funded: Database) -> None:
        item = await reward()
        resident = await actor_for("resident")
        with pytest.raises(NotFound):
            await market.redeem(
                actor=resident, reward_id=999_999, quantity=1, idempotency_key=key()
            )
        for quantity in (0, -1):
            with pytest.raises(InvalidInput):
                await market.redeem(
                    actor=resident, reward_id=item.id, quantity=quantity, idempotency_key=key()
                )

    async def test_a_redemption_replays_by_its_key(self, funded: Database) -> None:
        item = await reward(price=10, stock=5)
        resident = await actor_for("resident")
        made = await market.redeem(
            actor=resident, reward_id=item.id, quantity=2, idempotency_key="r1"
        )
        before = await counts()
        again = await market.redeem(
            actor=resident, reward_id=item.id, quantity=2, idempotency_key="r1"
        )
        assert (again.id, again.pickup_code) == (made.id, made.pickup_code)
        assert await counts() == before
        with pytest.raises(IdempotencyConflict):
            await market.redeem(actor=resident, reward_id=item.id, quantity=1, idempotency_key="r1")
        assert await counts() == before
        assert ((await summary("resident")).held, await stock_of(item)) == (20, 3)


class TestFulfil:
    """Handing a redemption over by its pickup code."""

    @pytest.mark.parametrize("staff", ["community_admin", "grid_leader", "microgrid_leader"])
    async def test_admins_and_leaders_of_the_community_hand_rewards_over(
        self, funded: Database, staff: str
    ) -> None:
        # given a held redemption of 2 × 12 points
        item = await reward(price=12, stock=5)
        made = await redeem("resident", item, 2)
        sink = (await PointsAccount.get(id=item.sink_account_id)).balance
        # when staff of the community hand it over, twice
        done = await market.fulfil(
            actor=await actor_for(staff), pickup_code=made.pickup_code.lower()
        )
        before = await counts()
        again = await market.fulfil(actor=await actor_for(staff), pickup_code=made.pickup_code)
        # then the held points were captured into the provider's sink, once
        assert (done.status, again.status) == (
            RedemptionStatus.FULFILLED,
            RedemptionStatus.FULFILLED,
        )
        assert done.transaction_id == again.transaction_id is not None
        assert await counts() == before
        assert ((s := await summary("resident")).balance, s.held) == (76, 0)
        assert (await PointsAccount.get(id=item.sink_account_id)).balance == sink + 24
        assert await stock_of(item) == 3
        tx = await PointsTransaction.get(id=done.transaction_id)
        assert (tx.kind, tx.points, tx.redemption_id) == (TransactionKind.REDEMPTION, -24, made.id)
        await assert_ledger_ok()

    @pytest.mark.parametrize("username", ["resident", "volunteer", "rider", "partner"])
    async def test_others_cannot_find_a_pickup_code(self, funded: Database, username: str) -> None:
        made = await redeem("resident", await reward())
        before = await counts()
        with pytest.raises(NotFound):
            await market.fulfil(actor=await actor_for(username), pickup_code=made.pickup_code)
        with pytest.raises(NotFound):
            await market.fulfil(
                actor=await actor_for("community_admin"), pickup_code="NOPE-NOPE-NOPE"
            )
        assert await counts() == before
        assert (await Redemption.get(id=made.id)).status is RedemptionStatus.HELD

    async def test_only_the_redeemer_sees_the_pickup_code(self, funded: Database) -> None:
        made = await redeem("resident", await reward())
        assert market.shows_pickup_code(await actor_for("resident"), made.person_id)
        for username in ("volunteer", "community_admin", "partner"):
            assert not market.shows_pickup_code(await actor_for(username), made.person_id)
        assert not market.shows_pickup_code(None, made.person_id)

    async def test_leaders_hand_over_only_in_their_own_community(self, funded: Database) -> None:
        item = await reward(by="district_admin", area=await community(OTHER_COMMUNITY))
        made = await redeem("resident", item)
        with pytest.raises(NotFound):
            await market.fulfil(actor=await actor_for("grid_leader"), pickup_code=made.pickup_code)
        with pytest.raises(NotFound):
            await market.fulfil(
                actor=await actor_for("community_admin"), pickup_code=made.pickup_code
            )
        done = await market.fulfil(
            actor=await actor_for("street_admin"), pickup_code=made.pickup_code
        )
        assert done.status is RedemptionStatus.FULFILLED

    async def test_a_partner_hands_over_their_own_rewards(self, funded: Database) -> None:
        item = await reward(by="partner", provider_unit=PARTNER_UNIT)
        made = await redeem("resident", item)
        before = (await PointsAccount.get(id=item.sink_account_id)).balance
        done = await market.fulfil(actor=await actor_for("partner"), pickup_code=made.pickup_code)
        assert done.status is RedemptionStatus.FULFILLED
        sink = await PointsAccount.get(id=item.sink_account_id)
        assert (sink.name, sink.balance) == (PARTNER_UNIT, before + 10)

    async def test_a_hold_past_its_pickup_time_is_not_handed_over(
        self, funded: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        made = await redeem("resident", await reward())
        Clock(made.expires_at + timedelta(seconds=1))
        before = await counts()
        with pytest.raises(Conflict):
            await market.fulfil(
                actor=await actor_for("community_admin"), pickup_code=made.pickup_code
            )
        assert await counts() == before


class TestCancel:
    """Cancelling a held redemption."""

    @pytest.mark.parametrize("who", ["resident", "community_admin"])
    async def test_cancelling_releases_points_stock_and_lots(
        self, funded: Database, who: str
    ) -> None:
        # given a held redemption taking points from two lots
        await award("resident", quantity=1)
        item = await reward(price=55, stock=3)
        lots_before = [lot.remaining for lot in await lots("resident")]
        made = await redeem("resident", item, 2)
        assert await RedemptionLot.filter(redemption_id=made.id).count() == 2
        # when it is cancelled, twice
        done = await market.cancel(actor=await actor_for(who), redemption_id=made.id)
        before = await counts()
        again = await market.cancel(actor=await actor_for(who), redemption_id=made.id)
        # then points, items and lots are as they were, and nothing was posted
        assert (done.status, again.status) == (
            RedemptionStatus.CANCELLED,
            RedemptionStatus.CANCELLED,
        )
        assert await counts() == before
        assert ((s := await summary("resident")).balance, s.held) == (110, 0)
        assert await stock_of(item) == 3
        assert [lot.remaining for lot in await lots("resident")] == lots_before
        assert not await PointsTransaction.exists(kind=TransactionKind.REDEMPTION)
        await assert_ledger_ok()

    @pytest.mark.parametrize("username", ["volunteer", "grid_leader", "partner"])
    async def test_only_the_redeemer_or_a_manager_cancels(
        self, funded: Database, username: str
    ) -> None:
        made = await redeem("resident", await reward())
        before = await counts()
        with pytest.raises(NotFound):
            await market.cancel(actor=await actor_for(username), redemption_id=made.id)
        with pytest.raises(NotFound):
            await market.cancel(actor=await actor_for("resident"), redemption_id=999_999)
        assert await counts() == before

    async def test_a_handed_over_redemption_cannot_be_cancelled(self, funded: Database) -> None:
        made = await redeem("resident", await reward())
        await market.fulfil(actor=await actor_for("community_admin"), pickup_code=made.pickup_code)
        before = await counts()
        with pytest.raises(Conflict):
            await market.cancel(actor=await actor_for("resident"), redemption_id=made.id)
        assert await counts() == before
        cancelled = await redeem("resident", await reward())
        await market.cancel(actor=await actor_for("resident"), redemption_id=cancelled.id)
        with pytest.raises(Conflict):
            await market.fulfil(
                actor=await actor_for("community_admin"), pickup_code=cancelled.pickup_code
            )
        assert (await summary("resident")).balance == 90
        await assert_ledger_ok()


class TestExpireHolds:
    """Holds not picked up in time."""

    async def test_unclaimed_holds_expire_and_are_released_once(
        self, funded: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a month from now (the demo's own holds are past their pickup time and released)
        Clock(clock.now() + timedelta(days=30))
        await market.expire_holds()
        # and two held redemptions, one of them fulfilled
        item = await reward(price=30, stock=4)
        waiting = await redeem("resident", item, 2)
        fetched = await redeem("volunteer", item)
        await market.fulfil(
            actor=await actor_for("community_admin"), pickup_code=fetched.pickup_code
        )
        lots_after_redeem = sum(lot.remaining for lot in await lots("resident"))
        # then nothing expires before the pickup time
        assert await market.expire_holds(at=waiting.expires_at - timedelta(seconds=1)) == 0
        # when the job runs after it, twice
        assert await market.expire_holds(at=waiting.expires_at + timedelta(hours=1)) == 1
        before = await counts()
        assert await market.expire_holds(at=waiting.expires_at + timedelta(days=3)) == 0
        # then the unclaimed hold was released once: points, items and lots are back
        assert await counts() == before
        assert (await Redemption.get(id=waiting.id)).status is RedemptionStatus.EXPIRED
        assert (await Redemption.get(id=fetched.id)).status is RedemptionStatus.FULFILLED
        assert ((s := await summary("resident")).balance, s.held) == (100, 0)
        assert sum(lot.remaining for lot in await lots("resident")) == lots_after_redeem + 60
        assert await stock_of(item) == 3
        with pytest.raises(Conflict):
            await market.cancel(actor=await actor_for("resident"), redemption_id=waiting.id)
        await assert_ledger_ok()

    async def test_the_hold_lasts_as_the_policy_says(self, funded: Database) -> None:
        await points.set_policy(
            actor=await actor_for("community_admin"),
            area_id=(await community()).id,
            expiry=ExpiryKind.NONE,
            expiry_months=None,
            hold_days=2,
        )
        made = await redeem("resident", await reward())
        assert made.expires_at - made.created_at == timedelta(days=2)
