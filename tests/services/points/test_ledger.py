"""The double-entry ledger: postings, lots, credit and the database guards (points/ledger.py)."""

from __future__ import annotations

import pytest
from tortoise.exceptions import IntegrityError

from services import market, points
from services.enums import AwardStatus, Dimension, ExpiryKind, TransactionKind
from services.models import PointsEntry, PointsTransaction, RedemptionLot
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    VOLUNTEER,
    Clock,
    assert_ledger_ok,
    award,
    community,
    counts,
    credit,
    local,
    lots,
    pool_balance,
    raw,
    redeem,
    reward,
    rule,
    set_policy,
    summary,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestPosting:
    """What one award posts: balanced legs, a lot, evaluation credit."""

    async def test_an_award_moves_points_from_the_pool_into_a_new_lot(self, db: Database) -> None:
        # given a district rule worth 10 points and no expiry policy
        await rule()
        await set_policy(ExpiryKind.NONE)
        pool = await pool_balance()
        # when the community admin awards 3 units to the resident
        made = await award("resident", quantity=3)
        # then one balanced transaction moved 30 points from the pool to the resident
        assert (made.status, made.points, made.quantity) == (AwardStatus.APPROVED, 30, 3)
        tx = await PointsTransaction.get(id=made.transaction_id)
        assert (tx.kind, tx.points, tx.credit, tx.dimension) == (
            TransactionKind.AWARD,
            30,
            30,
            VOLUNTEER,
        )
        legs = await PointsEntry.filter(transaction_id=tx.id).values("points")
        assert sorted(leg["points"] for leg in legs) == [-30, 30]
        assert (await summary("resident")).balance == 30
        assert await pool_balance() == pool - 30
        # and the points sit in one never-expiring lot
        (lot,) = await lots("resident")
        assert (lot.points, lot.remaining, lot.expires_at) == (30, 30, None)
        await assert_ledger_ok()

    async def test_evaluation_credit_is_kept_per_period_and_dimension(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given two rules in different dimensions
        clock = Clock(local(2026, 3, 31, 23, 0))  # Q1 locally, though 15:00 UTC
        await rule()
        await rule("T_REPORT", 5, dimension=Dimension.INFORMATION_REPORTING)
        # when the resident earns in Q1 and in Q2
        await award("resident", quantity=2)
        await award("resident", code="T_REPORT")
        clock.set(local(2026, 4, 1, 0, 30))
        await award("resident")
        # then the credit is split by local quarter and dimension
        assert await credit("resident") == {
            ("2026Q1", VOLUNTEER): 20,
            ("2026Q1", Dimension.INFORMATION_REPORTING): 5,
            ("2026Q2", VOLUNTEER): 10,
        }
        # and spending and expiry leave it alone
        item = await reward(price=15)
        held = await redeem("resident", item)
        await market.fulfil(actor=await actor_for("community_admin"), pickup_code=held.pickup_code)
        await points.set_policy(
            actor=await actor_for("community_admin"),
            area_id=(await community()).id,
            expiry=ExpiryKind.MONTHS,
            expiry_months=1,
            hold_days=7,
        )
        await award("resident", code="T_REPORT")
        assert await points.expire_lots(at=local(2026, 6, 1)) == 5
        assert await credit("resident") == {
            ("2026Q1", VOLUNTEER): 20,
            ("2026Q1", Dimension.INFORMATION_REPORTING): 5,
            ("2026Q2", VOLUNTEER): 10,
            ("2026Q2", Dimension.INFORMATION_REPORTING): 5,
        }
        assert (await summary("resident")).balance == 20
        await assert_ledger_ok()

    async def test_spending_takes_the_soonest_expiring_lots_first(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given lots expiring in 12 months, never, and in 1 month (awarded in that order)
        Clock(local(2026, 1, 15, 10))
        await rule()
        await set_policy(ExpiryKind.MONTHS, 12)
        await award("resident")
        await set_policy(ExpiryKind.NONE)
        await award("resident")
        await set_policy(ExpiryKind.MONTHS, 1)
        await award("resident")
        year, never, month = await lots("resident")
        # when 25 points are redeemed
        held = await redeem("resident", await reward(price=25))
        # then the 1-month lot went first, then the 12-month one, never-expiring ones last
        taken = await RedemptionLot.filter(redemption_id=held.id).values_list("lot_id", "points")
        assert sorted(taken) == sorted([(month.id, 10), (year.id, 10), (never.id, 5)])
        assert [lot.remaining for lot in await lots("resident")] == [0, 5, 0]
        await assert_ledger_ok()

    async def test_pools_run_negative(self, db: Database) -> None:
        await rule()
        before = await pool_balance()
        await award("resident", quantity=3)
        assert await pool_balance() == before - 30 < 0


class TestDatabaseGuards:
    """What the database refuses whatever the code does."""

    # Both backends raise tortoise's IntegrityError (a subclass of OperationalError): SQLite's
    # triggers RAISE(ABORT) a constraint error, PostgreSQL's CHECKs and the append-only trigger
    # (ERRCODE integrity_constraint_violation) are integrity violations.
    @pytest.mark.parametrize(
        "sql",
        [
            "UPDATE points_entry SET points = points + 1",
            "DELETE FROM points_entry",
            "UPDATE points_transaction SET points = 0",
            "DELETE FROM points_transaction",
        ],
    )
    async def test_the_ledger_is_append_only(self, db: Database, sql: str) -> None:
        await rule()
        await award("resident", quantity=3)
        before = await counts()
        with pytest.raises(IntegrityError, match="append-only"):
            await raw(sql)
        assert await counts() == before
        await assert_ledger_ok()

    @pytest.mark.parametrize(
        ("sql", "constraint"),
        [
            ("UPDATE points_account SET balance = -1 WHERE kind = 'PERSON'", "not_negative"),
            ("UPDATE points_account SET held = balance + 1 WHERE kind = 'PERSON'", "not_negative"),
            ("UPDATE points_account SET held = -1 WHERE kind = 'PERSON'", "not_negative"),
            ("UPDATE points_lot SET remaining = -1", "points_lot_remaining"),
            ("UPDATE points_lot SET remaining = points + 1", "points_lot_remaining"),
            ("UPDATE reward SET stock = -1", "reward_stock_and_price"),
        ],
    )
    async def test_balances_holds_lots_and_stock_never_go_negative(
        self, db: Database, sql: str, constraint: str
    ) -> None:
        await rule()
        await award("resident", quantity=3)
        await reward()
        before = await counts()
        with pytest.raises(IntegrityError, match=constraint):
            await raw(sql)
        assert await counts() == before
