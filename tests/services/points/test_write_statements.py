"""The write path's statement counts (issue 18): awardPoints and redeemReward send a fixed,
small number of SQL statements, counted the way tests/schema/test_statement_count.py counts
them (every statement Tortoise sends; on SQLite cross-checked with sqlite3's own trace)."""

from __future__ import annotations

import pytest

from services import market, points
from tests.conftest import Database, actor_for
from tests.schema.test_statement_count import _count_statements
from tests.services.points_support import (
    HOUR,
    assert_ledger_ok,
    award,
    key,
    person_id,
    reward,
    rule,
)

# A new award (approved at once, no caps) and a new redemption (one lot), first calls; not
# counted: BEGIN and COMMIT.
AWARD_STATEMENTS = 19  # 24 before issue 18
REDEEM_STATEMENTS = 13  # 15 before issue 18


async def test_an_award_sends_a_fixed_number_of_statements(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await rule()
    await award("resident")  # accounts, pool and chain head exist: the steady state
    actor = await actor_for("community_admin")
    person = await person_id("resident")
    async with _count_statements(caplog, db.backend) as seen:
        await points.award_points(
            actor=actor,
            person_id=person,
            rule_code=HOUR,
            quantity=1,
            reason="社区清扫",
            source=None,
            idempotency_key=key(),
        )
    assert len(seen.logged) == AWARD_STATEMENTS
    await assert_ledger_ok()


async def test_a_redemption_sends_a_fixed_number_of_statements(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await rule()
    await award("resident", quantity=10)
    item = await reward(price=12, stock=5)
    actor = await actor_for("resident")
    await market.redeem(actor=actor, reward_id=item.id, quantity=1, idempotency_key=key())
    async with _count_statements(caplog, db.backend) as seen:
        await market.redeem(actor=actor, reward_id=item.id, quantity=1, idempotency_key=key())
    assert len(seen.logged) == REDEEM_STATEMENTS
    await assert_ledger_ok()
