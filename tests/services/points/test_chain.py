"""The hash chain over the ledger (services/points/chain.py, checked by verify.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from services import points
from services.enums import TransactionKind
from services.kit import db
from services.kit import db as db_kit
from services.models import PointsAccount, PointsChainHead, PointsLot, PointsTransaction
from services.points import chain, ledger
from services.points.verify import ChainFault, ChainProblem
from tests.conftest import Database
from tests.services.points_support import (
    OTHER_COMMUNITY,
    award,
    community,
    key,
    penalize,
    raw,
    redeem,
    reward,
    rule,
)

FINE_RULE = "T_FINE"


async def _busy_ledger() -> None:
    """Awards, a penalty and a redemption on top of the demo's own points."""
    await rule()
    await rule(FINE_RULE, -3)
    for username in ("resident", "volunteer", "resident"):
        await award(username, quantity=3)
    await penalize("volunteer")
    await redeem("resident", await reward(price=7, stock=5), 1)


async def _lift_guards() -> None:
    """Drop the append-only triggers, as someone with database access could."""
    if db.dialect() == "postgres":
        for table in ("points_transaction", "points_entry"):
            await raw(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
    else:
        for table in ("points_transaction", "points_entry"):
            for event in ("update", "delete"):
                await raw(f"DROP TRIGGER {table}_no_{event}")


async def _last_award() -> PointsTransaction:
    tx = await PointsTransaction.filter(kind=TransactionKind.AWARD).order_by("-id").first()
    assert tx is not None
    return tx


async def _problem() -> ChainProblem | None:
    report = await points.verify()
    return report.first_chain_problem


class TestChain:
    """Every transaction is chained, and verify finds each kind of tampering."""

    async def test_the_chain_is_intact_and_heads_follow_it(self, db: Database) -> None:
        # given awards, a penalty and a redemption
        await _busy_ledger()
        # then every transaction carries its hash and link, and verify finds them intact
        report = await points.verify()
        assert report.ok, report.lines()
        assert report.transactions == await PointsTransaction.all().count() > 0
        assert await PointsTransaction.filter(content_hash=None).count() == 0
        tx = await _last_award()
        head = await PointsChainHead.get(community_id=tx.community_id)
        last = await PointsTransaction.filter(community_id=tx.community_id).order_by("-id").first()
        assert last is not None and head.head_hash == last.content_hash
        assert head.length == await PointsTransaction.filter(community_id=tx.community_id).count()
        assert "ok: hash chains" in report.lines()

    async def test_a_raised_award_with_consistent_balances_is_named(self, db: Database) -> None:
        # given a ledger whose sums all hold
        await _busy_ledger()
        tx = await _last_award()
        person = await ledger.person_account(tx.person_id or 0)
        pool = await PointsAccount.get(kind="POOL", area_id=tx.community_id)
        # when an award is raised by 100 with its entries, balances and lot made consistent
        await _lift_guards()
        await raw(f"UPDATE points_transaction SET points = points + 100 WHERE id = {tx.id}")
        await raw(
            f"UPDATE points_entry SET points = points + 100, balance_after = balance_after + 100 "
            f"WHERE transaction_id = {tx.id} AND account_id = {person.id}"
        )
        await raw(
            f"UPDATE points_entry SET points = points - 100, balance_after = balance_after - 100 "
            f"WHERE transaction_id = {tx.id} AND account_id = {pool.id}"
        )
        await raw(f"UPDATE points_account SET balance = balance + 100 WHERE id = {person.id}")
        await raw(f"UPDATE points_account SET balance = balance - 100 WHERE id = {pool.id}")
        lot = await PointsLot.get(transaction_id=tx.id)
        await raw(
            f"UPDATE points_lot SET points = points + 100, remaining = remaining + 100 "
            f"WHERE id = {lot.id}"
        )
        # then the sums still hold but verify names the changed transaction
        report = await points.verify()
        assert not report.ok
        assert report.balance_drift == [] and report.lot_drift == []
        assert report.transaction_drift == [] and report.unbalanced_transactions == []
        assert report.chain_problems == [
            ChainProblem(tx.community_id, tx.id, ChainFault.CONTENT_CHANGED)
        ]
        assert any(line.startswith("BROKEN: hash chains") for line in report.lines())

    async def test_a_deleted_transaction_breaks_the_next_link(self, db: Database) -> None:
        await _busy_ledger()
        rows = await PointsTransaction.filter(
            community_id=(await _last_award()).community_id
        ).order_by("id")
        gone, after = rows[-3], rows[-2]
        await _lift_guards()
        await raw(f"DELETE FROM points_entry WHERE transaction_id = {gone.id}")
        await raw(f"DELETE FROM points_transaction WHERE id = {gone.id}")
        assert await _problem() == ChainProblem(gone.community_id, after.id, ChainFault.LINK_BROKEN)

    async def test_deleting_the_last_transaction_is_seen_at_the_head(self, db: Database) -> None:
        await _busy_ledger()
        rows = await PointsTransaction.filter(
            community_id=(await _last_award()).community_id
        ).order_by("id")
        await _lift_guards()
        await raw(f"DELETE FROM points_entry WHERE transaction_id = {rows[-1].id}")
        await raw(f"DELETE FROM points_transaction WHERE id = {rows[-1].id}")
        assert await _problem() == ChainProblem(
            rows[-1].community_id, rows[-2].id, ChainFault.HEAD_MISMATCH
        )

    async def test_swapped_transactions_are_found(self, db: Database) -> None:
        await _busy_ledger()
        rows = await PointsTransaction.filter(
            community_id=(await _last_award()).community_id
        ).order_by("id")
        first, second = rows[-3], rows[-2]
        await _lift_guards()
        # when two transactions swap their ids (their entries follow them)
        spare = 2_000_000_000
        for old, new in ((first.id, spare), (second.id, first.id), (spare, second.id)):
            await raw(
                f"UPDATE points_entry SET transaction_id = {new} WHERE transaction_id = {old}"
            )
            await raw(f"UPDATE points_transaction SET id = {new} WHERE id = {old}")
        # then the first place holds a transaction that does not follow its predecessor
        assert await _problem() == ChainProblem(
            first.community_id, first.id, ChainFault.LINK_BROKEN
        )

    async def test_swapped_times_are_found(self, db: Database) -> None:
        await _busy_ledger()
        rows = await PointsTransaction.filter(
            community_id=(await _last_award()).community_id
        ).order_by("id")
        first, second = rows[-3], rows[-2]
        await _lift_guards()
        for tx, other in ((first, second), (second, first)):
            await raw(
                f"UPDATE points_transaction SET created_at = '{other.created_at.isoformat()}' "
                f"WHERE id = {tx.id}"
            )
        assert first.created_at != second.created_at
        assert await _problem() == ChainProblem(
            first.community_id, first.id, ChainFault.CONTENT_CHANGED
        )

    async def test_a_forged_transaction_with_a_correct_hash_is_found(self, db: Database) -> None:
        # given a forger who knows the encoding and appends a well-hashed award at the end
        await _busy_ledger()
        tx = await _last_award()
        head = await PointsChainHead.get(community_id=tx.community_id)
        forged = chain.Content(
            community_id=tx.community_id,
            kind="AWARD",
            person_id=tx.person_id,
            points=0,
            credit=0,
            period=None,
            shortfall=0,
            dimension=None,
            rule_id=None,
            rule_version=None,
            reason="forged",
            source_type=None,
            source_id=None,
            reverses_id=None,
            redemption_id=None,
            actor_account_id=None,
            created_at=tx.created_at,
            entries=(),
        )
        async with in_transaction():
            await PointsTransaction.create(
                kind=TransactionKind.AWARD,
                person_id=tx.person_id,
                community_id=tx.community_id,
                area_path=tx.area_path,
                reason="forged",
                created_at=tx.created_at,
                content_hash=chain.content_hash(forged, head.head_hash),
                previous_hash=head.head_hash,
            )
        # then the chain's head, which the forger did not move, gives it away
        problem = await _problem()
        assert problem is not None and problem.fault is ChainFault.HEAD_MISMATCH
        # and a forgery in the middle (an unknown hash) breaks its own content
        await raw(
            f"INSERT INTO points_transaction (kind, person_id, community_id, area_path, points, "
            f"credit, shortfall, reason, created_at, content_hash, previous_hash) VALUES "
            f"('AWARD', {tx.person_id}, {tx.community_id}, '{tx.area_path}', 50, 0, 0, 'x', "
            f"'{tx.created_at.isoformat()}', '{'a' * 64}', '{tx.content_hash}')"
        )
        report = await points.verify()
        assert report.chain_problems[0].fault in {
            ChainFault.CONTENT_CHANGED,
            ChainFault.HEAD_MISMATCH,
        }

    async def test_concurrent_awards_in_one_and_two_communities_keep_chains(
        self, db: Database
    ) -> None:
        # given two communities with pools
        await rule()
        home = await ledger.community_at((await community()).path)
        other = await ledger.community_at((await community(OTHER_COMMUNITY)).path)
        pools = {c.id: await ledger.pool_account(c) for c in (home, other)}

        async def move(where: ledger.Community, points_moved: int) -> None:
            async with in_transaction():
                await ledger.post(
                    ledger.Movement(kind=TransactionKind.AWARD, community=where, reason="t"),
                    [(pools[where.id].id, points_moved), (pools[where.id].id, -points_moved)],
                )

        # when awards and postings run at once in one community and in two
        await asyncio.gather(
            *(award(name, quantity=1, idempotency_key=key()) for name in ("resident", "volunteer")),
            *(move(home, n) for n in range(1, 4)),
            *(move(other, n) for n in range(1, 4)),
        )
        # then both chains are intact and their heads count every transaction
        report = await points.verify()
        assert report.ok, report.lines()
        for where in (home, other):
            head = await PointsChainHead.get(community_id=where.id)
            assert head.length == await PointsTransaction.filter(community_id=where.id).count()


class TestVerifyWhileAwarding:
    """The chain check while awards keep committing between its statements."""

    async def test_an_award_committing_between_the_reads_is_no_alarm(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a clean ledger, and an award that commits right after the check reads entries
        await _busy_ledger()
        real_fetch = db_kit.fetch
        fired: list[str] = []

        async def fetch(sql: str, params: list[Any]) -> list[dict[str, Any]]:
            rows = await real_fetch(sql, params)
            if "FROM points_entry e" in sql and not fired:
                fired.append(sql)
                await award("resident", quantity=1)
            return rows

        monkeypatch.setattr(db_kit, "fetch", fetch)
        # when the check runs
        report = await points.verify()
        # then the award committed between its reads raises no alarm
        assert fired
        assert report.chain_problems == [], report.lines()
        # and the next check covers it
        monkeypatch.setattr(db_kit, "fetch", real_fetch)
        again = await points.verify()
        assert again.ok, again.lines()
        assert again.transactions == report.transactions + 1

    async def test_a_transaction_appended_past_the_head_is_still_found(self, db: Database) -> None:
        # given a transaction inserted after the last one without moving the head
        await _busy_ledger()
        tx = await _last_award()
        await raw(
            f"INSERT INTO points_transaction (kind, person_id, community_id, area_path, points, "
            f"credit, shortfall, reason, created_at, content_hash, previous_hash) VALUES "
            f"('AWARD', {tx.person_id}, {tx.community_id}, '{tx.area_path}', 0, 0, 0, 'x', "
            f"'{tx.created_at.isoformat()}', '{'a' * 64}', '{tx.content_hash}')"
        )
        appended = await _last_award()
        # then the check names it at the head
        assert await _problem() == ChainProblem(
            tx.community_id, appended.id, ChainFault.HEAD_MISMATCH
        )
