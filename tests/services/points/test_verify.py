"""Verifying the ledger (services/points/verify.py)."""

from __future__ import annotations

import pytest

from services import market, points
from services.enums import ExpiryKind
from services.models import PointsAward, PointsEntry
from services.points import ledger
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    FINE,
    Clock,
    award,
    batch,
    key,
    local,
    penalize,
    person_id,
    raw,
    redeem,
    reverse,
    reward,
    rule,
    set_policy,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestVerify:
    """The ledger check."""

    async def test_verify_is_ok_after_a_busy_day_and_finds_a_tampered_balance(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a day of awards, a review, penalties, redemptions, a reversal and expiry
        clock = Clock(local(2026, 3, 1, 9))
        await rule()
        await rule("T_REVIEWED", 7, requires_review=True)
        await rule(FINE, -15)
        await set_policy(ExpiryKind.MONTHS, 1)
        await batch(["resident", "volunteer", "central_household"], key(), quantity=4)
        pending = await award("volunteer", code="T_REVIEWED", by="grid_leader")
        await points.approve_award(actor=await actor_for("community_admin"), award_id=pending.id)
        await penalize("central_household", quantity=4)
        item = await reward(price=7, stock=10)
        first = await redeem("resident", item, 2)
        second = await redeem("volunteer", item, 3)
        await redeem("resident", item, 1)
        await market.fulfil(actor=await actor_for("grid_leader"), pickup_code=first.pickup_code)
        await market.cancel(actor=await actor_for("volunteer"), redemption_id=second.id)
        volunteer_award = await PointsAward.filter(
            person_id=await person_id("volunteer"), rule_id=pending.rule_id
        ).first()
        assert volunteer_award is not None and volunteer_award.transaction_id is not None
        await reverse(volunteer_award.transaction_id)
        clock.set(local(2026, 4, 2, 9))
        await points.expire_lots(at=local(2026, 4, 2, 9))
        await market.expire_holds(at=local(2026, 4, 2, 9))
        report = await points.verify()
        assert report.ok, report.lines()
        assert report.entries == await PointsEntry.all().count() > 0
        # when a cached balance is changed behind the ledger's back
        account = await ledger.person_account(await person_id("volunteer"))
        await raw(f"UPDATE points_account SET balance = balance + 5 WHERE id = {account.id}")
        # then verify reports the drift
        report = await points.verify()
        assert not report.ok
        assert report.balance_drift == [(account.id, account.balance + 5, account.balance)]
        assert [drift[0] for drift in report.lot_drift] == [account.id]
        assert any(line.startswith("DRIFT") for line in report.lines())
