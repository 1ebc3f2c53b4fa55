"""The points marketplace: rewards, redemptions held, fulfilled, cancelled and expired."""

from __future__ import annotations

from datetime import timedelta

import pytest

from seed.demo import DEMO_COMMUNITY
from services import market, points
from services.enums import ExpiryKind, ProviderKind, RedemptionStatus, TransactionKind
from services.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InsufficientPoints,
    InvalidInput,
    LimitExceeded,
    NotFound,
    OutOfStock,
    RewardUnavailable,
)
from services.kit import clock
from services.models import (
    Area,
    PointsAccount,
    PointsTransaction,
    Redemption,
    RedemptionLot,
    Reward,
)
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    OTHER_COMMUNITY,
    Clock,
    assert_ledger_ok,
    award,
    community,
    counts,
    key,
    lots,
    redeem,
    reward,
    rule,
    summary,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

PARTNER_UNIT = "博山颜山物业服务有限公司"


@pytest.fixture
async def funded(db: Database) -> Database:
    """The demo district with 100 points for the resident (who has none in the demo) and 50
    more for the volunteer."""
    await rule()
    await award("resident", quantity=10)
    await award("volunteer", quantity=5)
    return db


async def stock_of(item: Reward) -> int:
    return (await Reward.get(id=item.id)).stock


# --- posting rewards ------------------------------------------------------------------------


async def test_a_community_admin_posts_rewards_for_the_community_or_a_partner(
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
    for_partner = await reward(provider_name=PARTNER_UNIT)
    assert (for_partner.provider_kind, for_partner.provider_name) == (
        ProviderKind.PARTNER_UNIT,
        PARTNER_UNIT,
    )


async def test_a_partner_member_posts_for_their_own_unit_in_their_community(db: Database) -> None:
    partner = await actor_for("partner")
    made = await reward(by="partner", provider_name=PARTNER_UNIT)
    assert (made.provider_kind, made.provider_account_id) == (
        ProviderKind.PARTNER_UNIT,
        partner.account_id,
    )
    with pytest.raises(InvalidInput):  # a partner names their unit
        await reward(by="partner")
    with pytest.raises(Forbidden):  # and posts only in their own community
        await reward(
            by="partner", provider_name=PARTNER_UNIT, area=await community(OTHER_COMMUNITY)
        )


@pytest.mark.parametrize("username", ["resident", "volunteer", "grid_leader"])
async def test_others_may_not_post_rewards(db: Database, username: str) -> None:
    before = await Reward.all().count()
    with pytest.raises(Forbidden):
        await reward(by=username)
    assert await Reward.all().count() == before


async def test_a_reward_needs_a_sane_price_stock_and_place(db: Database) -> None:
    before = await Reward.all().count()
    with pytest.raises(InvalidInput):
        await reward(price=0)
    with pytest.raises(InvalidInput):
        await reward(stock=-1)
    with pytest.raises(InvalidInput):  # rewards live in a community, not above it
        await reward(area=await Area.get(name="城西街道"))
    assert await Reward.all().count() == before


# --- redeeming ------------------------------------------------------------------------------


async def test_redeeming_holds_points_stock_and_lots(funded: Database) -> None:
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


async def test_redeeming_more_than_available_is_refused(funded: Database) -> None:
    item = await reward(price=60, stock=5)
    await redeem("resident", item)  # 40 left available
    before = await counts()
    with pytest.raises(InsufficientPoints):
        await redeem("resident", item)
    with pytest.raises(InsufficientPoints):  # nobody redeems without points
        await redeem("rider", item)
    assert await counts() == before


async def test_redeeming_more_than_the_stock_is_refused(funded: Database) -> None:
    item = await reward(price=1, stock=2)
    before = await counts()
    with pytest.raises(OutOfStock):
        await redeem("resident", item, 3)
    assert await counts() == before
    await redeem("resident", item, 2)
    with pytest.raises(OutOfStock):
        await redeem("volunteer", item)


async def test_a_per_person_limit_counts_held_and_fulfilled_items(funded: Database) -> None:
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


async def test_an_inactive_or_out_of_window_reward_is_unavailable(funded: Database) -> None:
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


async def test_an_update_changes_what_it_is_given(db: Database) -> None:
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
    assert (changed.per_person_limit, changed.name, changed.price_points) == (None, made.name, 12)
    assert changed.available_until == until


async def test_an_unknown_reward_or_bad_quantity_is_refused(funded: Database) -> None:
    item = await reward()
    resident = await actor_for("resident")
    with pytest.raises(NotFound):
        await market.redeem(actor=resident, reward_id=999_999, quantity=1, idempotency_key=key())
    for quantity in (0, -1):
        with pytest.raises(InvalidInput):
            await market.redeem(
                actor=resident, reward_id=item.id, quantity=quantity, idempotency_key=key()
            )


async def test_a_redemption_replays_by_its_key(funded: Database) -> None:
    item = await reward(price=10, stock=5)
    resident = await actor_for("resident")
    made = await market.redeem(actor=resident, reward_id=item.id, quantity=2, idempotency_key="r1")
    before = await counts()
    again = await market.redeem(actor=resident, reward_id=item.id, quantity=2, idempotency_key="r1")
    assert (again.id, again.pickup_code) == (made.id, made.pickup_code)
    assert await counts() == before
    with pytest.raises(IdempotencyConflict):
        await market.redeem(actor=resident, reward_id=item.id, quantity=1, idempotency_key="r1")
    assert await counts() == before
    assert ((await summary("resident")).held, await stock_of(item)) == (20, 3)


# --- fulfilling -----------------------------------------------------------------------------


@pytest.mark.parametrize("staff", ["community_admin", "grid_leader", "microgrid_leader"])
async def test_admins_and_leaders_of_the_community_hand_rewards_over(
    funded: Database, staff: str
) -> None:
    # given a held redemption of 2 × 12 points
    item = await reward(price=12, stock=5)
    made = await redeem("resident", item, 2)
    sink = (await PointsAccount.get(id=item.sink_account_id)).balance
    # when staff of the community hand it over, twice
    done = await market.fulfil(actor=await actor_for(staff), pickup_code=made.pickup_code.lower())
    before = await counts()
    again = await market.fulfil(actor=await actor_for(staff), pickup_code=made.pickup_code)
    # then the held points were captured into the provider's sink, once
    assert (done.status, again.status) == (RedemptionStatus.FULFILLED, RedemptionStatus.FULFILLED)
    assert done.transaction_id == again.transaction_id is not None
    assert await counts() == before
    assert ((s := await summary("resident")).balance, s.held) == (76, 0)
    assert (await PointsAccount.get(id=item.sink_account_id)).balance == sink + 24
    assert await stock_of(item) == 3
    tx = await PointsTransaction.get(id=done.transaction_id)
    assert (tx.kind, tx.points, tx.redemption_id) == (TransactionKind.REDEMPTION, -24, made.id)
    await assert_ledger_ok()


@pytest.mark.parametrize("username", ["resident", "volunteer", "rider", "partner"])
async def test_others_cannot_find_a_pickup_code(funded: Database, username: str) -> None:
    made = await redeem("resident", await reward())
    before = await counts()
    with pytest.raises(NotFound):
        await market.fulfil(actor=await actor_for(username), pickup_code=made.pickup_code)
    with pytest.raises(NotFound):
        await market.fulfil(actor=await actor_for("community_admin"), pickup_code="NOPE-NOPE-NOPE")
    assert await counts() == before
    assert (await Redemption.get(id=made.id)).status is RedemptionStatus.HELD


async def test_only_the_redeemer_sees_the_pickup_code(funded: Database) -> None:
    made = await redeem("resident", await reward())
    assert market.shows_pickup_code(await actor_for("resident"), made.person_id)
    for username in ("volunteer", "community_admin", "partner"):
        assert not market.shows_pickup_code(await actor_for(username), made.person_id)
    assert not market.shows_pickup_code(None, made.person_id)


async def test_leaders_hand_over_only_in_their_own_community(funded: Database) -> None:
    item = await reward(by="district_admin", area=await community(OTHER_COMMUNITY))
    made = await redeem("resident", item)
    with pytest.raises(NotFound):
        await market.fulfil(actor=await actor_for("grid_leader"), pickup_code=made.pickup_code)
    with pytest.raises(NotFound):
        await market.fulfil(actor=await actor_for("community_admin"), pickup_code=made.pickup_code)
    done = await market.fulfil(actor=await actor_for("street_admin"), pickup_code=made.pickup_code)
    assert done.status is RedemptionStatus.FULFILLED


async def test_a_partner_hands_over_their_own_rewards(funded: Database) -> None:
    item = await reward(by="partner", provider_name=PARTNER_UNIT)
    made = await redeem("resident", item)
    before = (await PointsAccount.get(id=item.sink_account_id)).balance
    done = await market.fulfil(actor=await actor_for("partner"), pickup_code=made.pickup_code)
    assert done.status is RedemptionStatus.FULFILLED
    sink = await PointsAccount.get(id=item.sink_account_id)
    assert (sink.name, sink.balance) == (PARTNER_UNIT, before + 10)


async def test_a_hold_past_its_pickup_time_is_not_handed_over(
    funded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await redeem("resident", await reward())
    Clock(made.expires_at + timedelta(seconds=1))
    before = await counts()
    with pytest.raises(Conflict):
        await market.fulfil(actor=await actor_for("community_admin"), pickup_code=made.pickup_code)
    assert await counts() == before


# --- cancelling -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["resident", "community_admin"])
async def test_cancelling_releases_points_stock_and_lots(funded: Database, who: str) -> None:
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
    assert (done.status, again.status) == (RedemptionStatus.CANCELLED, RedemptionStatus.CANCELLED)
    assert await counts() == before
    assert ((s := await summary("resident")).balance, s.held) == (110, 0)
    assert await stock_of(item) == 3
    assert [lot.remaining for lot in await lots("resident")] == lots_before
    assert not await PointsTransaction.exists(kind=TransactionKind.REDEMPTION)
    await assert_ledger_ok()


@pytest.mark.parametrize("username", ["volunteer", "grid_leader", "partner"])
async def test_only_the_redeemer_or_a_manager_cancels(funded: Database, username: str) -> None:
    made = await redeem("resident", await reward())
    before = await counts()
    with pytest.raises(NotFound):
        await market.cancel(actor=await actor_for(username), redemption_id=made.id)
    with pytest.raises(NotFound):
        await market.cancel(actor=await actor_for("resident"), redemption_id=999_999)
    assert await counts() == before


async def test_a_handed_over_redemption_cannot_be_cancelled(funded: Database) -> None:
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


# --- expiring holds -------------------------------------------------------------------------


async def test_unclaimed_holds_expire_and_are_released_once(
    funded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a month from now (the demo's own holds are past their pickup time and released)
    Clock(clock.now() + timedelta(days=30))
    await market.expire_holds()
    # and two held redemptions, one of them fulfilled
    item = await reward(price=30, stock=4)
    waiting = await redeem("resident", item, 2)
    fetched = await redeem("volunteer", item)
    await market.fulfil(actor=await actor_for("community_admin"), pickup_code=fetched.pickup_code)
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


async def test_the_hold_lasts_as_the_policy_says(funded: Database) -> None:
    await points.set_policy(
        actor=await actor_for("community_admin"),
        area_id=(await community()).id,
        expiry=ExpiryKind.NONE,
        expiry_months=None,
        hold_days=2,
    )
    made = await redeem("resident", await reward())
    assert made.expires_at - made.created_at == timedelta(days=2)


# --- restocking -----------------------------------------------------------------------------


async def test_restocking_adds_once_per_key(funded: Database) -> None:
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


async def test_only_the_provider_or_an_admin_restocks(funded: Database) -> None:
    community_item = await reward()
    partner_item = await reward(by="partner", provider_name=PARTNER_UNIT)
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
