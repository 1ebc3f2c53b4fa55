"""Expiring lots back to the pools (services/points/expiry.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from services import market, points
from services.enums import ExpiryKind, RedemptionStatus, TransactionKind
from services.kit import clock
from services.models import PointsTransaction, Redemption
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    Clock,
    assert_ledger_ok,
    award,
    counts,
    local,
    lots,
    pool_balance,
    redeem,
    reward,
    rule,
    set_policy,
    summary,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestExpireLots:
    """The expiry job."""

    async def test_expired_remainders_return_to_the_pool_once(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given 30 points expiring in a month, 12 of them spent
        Clock(clock.now())
        await rule()
        await set_policy(ExpiryKind.MONTHS, 1)
        await award("resident", quantity=3)
        held = await redeem("resident", await reward(price=12))
        await market.fulfil(actor=await actor_for("community_admin"), pickup_code=held.pickup_code)
        (lot,) = await lots("resident")
        assert lot.expires_at is not None
        # then they are listed as expiring soon, and not expired yet
        soon = await points.expiring_soon(account_id=lot.account_id, days=40)
        assert [(e.points, e.expires_at) for e in soon] == [(18, lot.expires_at)]
        assert await points.expiring_soon(account_id=lot.account_id, days=10) == []
        assert await points.expire_lots(at=lot.expires_at - timedelta(seconds=1)) == 0
        # when the expiry job runs after they expire, twice
        pool_before = await pool_balance()
        assert await points.expire_lots(at=lot.expires_at + timedelta(days=1)) == 18
        before = await counts()
        assert await points.expire_lots(at=lot.expires_at + timedelta(days=2)) == 0
        # then the remainder went back to the pool once
        assert await counts() == before
        assert (await summary("resident")).balance == 0
        assert await pool_balance() == pool_before + 18
        expiry = await PointsTransaction.get(kind=TransactionKind.EXPIRY)
        assert (expiry.points, expiry.credit) == (-18, 0)
        assert await points.expiring_soon(account_id=lot.account_id, days=40) == []
        await assert_ledger_ok()

    async def test_held_points_do_not_expire_until_released(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given 30 points expiring in a month, 12 held by a redemption
        clock = Clock(local(2026, 1, 10, 10))
        await rule()
        await set_policy(ExpiryKind.MONTHS, 1)
        await award("resident", quantity=3)
        held = await redeem("resident", await reward(price=12))
        # when the lot expires, the free 18 go, the held 12 stay
        assert await points.expire_lots(at=local(2026, 2, 11)) == 18
        assert ((s := await summary("resident")).balance, s.held) == (12, 12)
        await assert_ledger_ok()
        # and once the hold is cancelled they return to the (expired) lot and expire next run
        clock.set(local(2026, 2, 12))
        await market.cancel(actor=await actor_for("resident"), redemption_id=held.id)
        assert await points.expire_lots(at=local(2026, 2, 12)) == 12
        assert ((s := await summary("resident")).balance, s.held) == (0, 0)
        await assert_ledger_ok()

    async def test_two_instances_expiring_at_once_expire_each_lot_once(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given several people's points expiring, and a hold past its pickup time
        Clock(clock.now())
        await rule()
        await set_policy(ExpiryKind.MONTHS, 1)
        for username in ("resident", "volunteer", "central_household"):
            await award(username, quantity=2)
        held = await redeem("resident", await reward(price=5))
        (lot, *_) = await lots("resident")
        assert lot.expires_at is not None
        later = lot.expires_at + timedelta(days=40)
        due = await Redemption.filter(status=RedemptionStatus.HELD, expires_at__lte=later).count()
        # when two job runs race (separate connections on PostgreSQL)
        expired = await asyncio.gather(*(points.expire_lots(at=later) for _ in range(2)))
        released = await asyncio.gather(*(market.expire_holds(at=later) for _ in range(2)))
        # then every unheld point expired once (60 awarded, 5 held) and the hold was released once
        assert sum(expired) == 55
        assert sum(released) == due  # ours and the demo's pending one
        assert (await Redemption.get(id=held.id)).status is RedemptionStatus.EXPIRED
        assert await market.expire_holds(at=later) == 0
        # and the released 5 (back in their expired lot) expire on the next run, once
        assert await points.expire_lots(at=later) == 5
        assert await points.expire_lots(at=later) == 0
        await assert_ledger_ok()
