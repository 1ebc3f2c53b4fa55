"""Signed ledger checkpoints (services/points/checkpoints.py, checked by verify.py)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from services import points
from services.enums import CheckpointFault, LedgerCheckpointKind, TransactionKind
from services.errors import Forbidden
from services.kit import clock, db
from services.models import LedgerCheckpoint, PointsTransaction
from services.points import chain, checkpoints, merkle, signing
from services.points.checkpoints import BrokenChain, day_end, local_day
from tests.conftest import Database, actor_for
from tests.services.points.test_chain import _busy_ledger, _lift_guards
from tests.services.points_support import award, community, raw, rule


async def _cut() -> LedgerCheckpoint:
    area = await community()
    return await points.create_checkpoint(
        actor=await actor_for("community_admin"), community_id=area.id
    )


async def _rows(community_id: int) -> list[PointsTransaction]:
    return await PointsTransaction.filter(community_id=community_id).order_by("id")


async def _rechain(community_id: int) -> None:
    """Recompute every hash of the community's chain and its head, as a forger with database
    access and the encoding would after an edit: the chain itself then checks out."""
    rows = await db.fetch(
        f"SELECT {chain.TRANSACTION_COLUMNS} FROM points_transaction WHERE community_id = ? "
        "ORDER BY id",
        [community_id],
    )
    previous, last = chain.GENESIS, None
    for row in rows:
        entries = [
            (int(e["account_id"]), int(e["points"]))
            for e in await db.fetch(
                "SELECT account_id, points FROM points_entry WHERE transaction_id = ?", [row["id"]]
            )
        ]
        digest = chain.content_hash(chain.content_of(row, entries), previous)
        await raw(
            f"UPDATE points_transaction SET content_hash = '{digest}', "
            f"previous_hash = '{previous}' WHERE id = {row['id']}"
        )
        previous, last = digest, int(row["id"])
    await raw(
        f"UPDATE points_chain_head SET head_hash = '{previous}', transaction_id = {last}, "
        f"length = {len(rows)} WHERE community_id = {community_id}"
    )


class TestCut:
    async def test_on_demand_covers_the_chain_signed_and_verified(self, db: Database) -> None:
        # given a busy ledger
        await _busy_ledger()
        area = await community()
        rows = await _rows(area.id)
        # when an admin cuts a checkpoint
        cp = await _cut()
        # then it covers the whole chain, signed over its message
        assert cp.sequence == 1 and cp.kind == LedgerCheckpointKind.ON_DEMAND
        assert (cp.from_length, cp.length) == (0, len(rows))
        assert (cp.first_transaction_id, cp.last_transaction_id) == (rows[0].id, rows[-1].id)
        assert cp.head_hash == rows[-1].content_hash
        assert cp.merkle_root == merkle.root([r.content_hash or "" for r in rows])
        assert cp.day == clock.today() and cp.created_by_id is not None
        public = signing.known_keys()[cp.key_id]
        assert signing.verify(public, checkpoints.message(cp), cp.signature)
        report = await points.verify()
        assert report.ok, report.lines()
        assert report.checkpoints >= 1 and "ok: signed checkpoints" in report.lines()
        # and asking again with nothing new returns the same checkpoint, no new row
        again = await _cut()
        assert again.id == cp.id
        assert await LedgerCheckpoint.filter(community_id=area.id).count() == 1
        # and after another award the next one starts where this one ended
        await award("resident")
        second = await _cut()
        assert (second.sequence, second.from_length) == (2, cp.length)
        assert second.length == cp.length + 1 == len(await _rows(area.id))
        assert second.first_transaction_id == second.last_transaction_id
        assert (await points.verify()).ok

    async def test_only_admins_of_the_community_cut(self, db: Database) -> None:
        await _busy_ledger()
        with pytest.raises(Forbidden):
            await points.create_checkpoint(
                actor=await actor_for("resident"), community_id=(await community()).id
            )
        assert await LedgerCheckpoint.all().count() == 0

    async def test_two_concurrent_cuts_make_one_checkpoint(self, db: Database) -> None:
        await _busy_ledger()
        area = await community()
        admin = await actor_for("community_admin")
        first, second = await asyncio.gather(
            points.create_checkpoint(actor=admin, community_id=area.id),
            points.create_checkpoint(actor=admin, community_id=area.id),
        )
        assert first.id == second.id
        assert await LedgerCheckpoint.filter(community_id=area.id).count() == 1
        assert (await points.verify()).ok

    async def test_a_broken_chain_is_never_signed(
        self, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        await _busy_ledger()
        area = await community()
        gone = (await _rows(area.id))[-3]
        await _lift_guards()
        await raw(f"DELETE FROM points_entry WHERE transaction_id = {gone.id}")
        await raw(f"DELETE FROM points_transaction WHERE id = {gone.id}")
        with pytest.raises(BrokenChain):
            await _cut()
        # the daily job logs and skips the community
        clock.start_at(clock.now() + timedelta(days=1))
        with caplog.at_level(logging.ERROR):
            await points.daily_checkpoints()
        assert "ledger checkpoint skipped" in caplog.text
        assert await LedgerCheckpoint.filter(community_id=area.id).count() == 0


@pytest.mark.calendar
class TestDaily:
    async def test_past_days_oldest_first_idempotent_and_catching_up(self, db: Database) -> None:
        # given awards on three local days, today being the third
        await rule()
        start = clock.now()
        await award("resident")
        clock.start_at(start + timedelta(days=1))
        await award("volunteer")
        await award("resident")
        clock.start_at(start + timedelta(days=2))
        await award("volunteer")
        area = await community()
        # when the job runs (after a downtime: two past days at once)
        made = await points.daily_checkpoints()
        assert made >= 2
        cps = await LedgerCheckpoint.filter(community_id=area.id).order_by("sequence")
        # then each past day with transactions has one DAILY checkpoint, oldest first, ending at
        # the day's local midnight, and today's transaction is left for tomorrow
        today = clock.today()
        assert all(cp.kind == LedgerCheckpointKind.DAILY for cp in cps)
        assert [cp.day for cp in cps] == sorted({cp.day for cp in cps})
        assert cps[-1].day == today - timedelta(days=1)
        rows = await _rows(area.id)
        for cp in cps:
            assert cp.covers_until == day_end(cp.day)
            covered = [r for r in rows if cp.first_transaction_id <= r.id <= cp.last_transaction_id]
            assert all(local_day(r.created_at) <= cp.day for r in covered)
        assert cps[-1].length == len([r for r in rows if local_day(r.created_at) < today])
        assert (await points.verify()).ok
        # and running it again makes none
        assert await points.daily_checkpoints() == 0
        # and an on-demand cut today, then the daily job tomorrow covers the rest of today
        cp = await _cut()
        assert cp.length == len(rows)
        await award("resident")
        clock.start_at(clock.now() + timedelta(days=1))
        await points.daily_checkpoints()
        last = await checkpoints.last_checkpoint(area.id)
        assert last is not None and last.kind == LedgerCheckpointKind.DAILY
        assert last.day == today and last.length == len(await _rows(area.id))
        assert (await points.verify()).ok


async def _first_checkpoint_problem() -> tuple[list[object], object]:
    report = await points.verify()
    return list(report.chain_problems), (
        report.checkpoint_problems[0] if report.checkpoint_problems else None
    )


class TestVerify:
    @pytest.mark.parametrize("tamper", ["change", "delete", "reorder", "insert"])
    async def test_a_rechained_ledger_is_found_by_its_checkpoint(
        self, db: Database, tamper: str
    ) -> None:
        # given a checkpointed ledger
        await _busy_ledger()
        area = await community()
        cp = await _cut()
        rows = await _rows(area.id)
        award_tx = next(r for r in reversed(rows) if r.kind == TransactionKind.AWARD)
        # when someone edits it and recomputes every hash after the edit and the head
        await _lift_guards()
        if tamper == "change":
            await raw(
                f"UPDATE points_transaction SET points = points + 100 WHERE id = {award_tx.id}"
            )
        elif tamper == "delete":
            await raw(f"DELETE FROM points_entry WHERE transaction_id = {award_tx.id}")
            await raw(f"DELETE FROM points_transaction WHERE id = {award_tx.id}")
        elif tamper == "reorder":
            first, second = rows[-3], rows[-2]
            spare = 2_000_000_000
            for old, new in ((first.id, spare), (second.id, first.id), (spare, second.id)):
                await raw(
                    f"UPDATE points_entry SET transaction_id = {new} WHERE transaction_id = {old}"
                )
                await raw(f"UPDATE points_transaction SET id = {new} WHERE id = {old}")
        else:
            # a transaction slipped in between two covered ones (an id made free first)
            moved = rows[-1]
            spare = 2_000_000_000
            await raw(
                f"UPDATE points_entry SET transaction_id = {spare} "
                f"WHERE transaction_id = {moved.id}"
            )
            await raw(f"UPDATE points_transaction SET id = {spare} WHERE id = {moved.id}")
            await raw(
                f"INSERT INTO points_transaction (id, kind, person_id, community_id, area_path, "
                f"points, credit, shortfall, reason, created_at, content_hash, previous_hash) "
                f"VALUES ({moved.id}, 'AWARD', {award_tx.person_id}, {area.id}, "
                f"'{award_tx.area_path}', 0, 0, 0, 'x', '{award_tx.created_at.isoformat()}', "
                f"'{'a' * 64}', '{'a' * 64}')"
            )
        await _rechain(area.id)
        # then the chain checks out, but its checkpoint does not
        chain_problems, problem = await _first_checkpoint_problem()
        assert chain_problems == []
        assert problem is not None
        assert problem.fault in {CheckpointFault.ROOT_MISMATCH, CheckpointFault.HEAD_MISMATCH}
        assert (problem.community_id, problem.sequence) == (area.id, cp.sequence)
        report = await points.verify()
        assert not report.ok
        assert any(line.startswith("BROKEN: signed checkpoints") for line in report.lines())

    async def test_a_changed_checkpoint_is_found(self, db: Database) -> None:
        await _busy_ledger()
        cp = await _cut()
        await award("resident")
        second = await _cut()
        # a root changed: the signature no longer holds
        await raw(f"UPDATE ledger_checkpoint SET merkle_root = '{'b' * 64}' WHERE id = {cp.id}")
        _, problem = await _first_checkpoint_problem()
        assert problem is not None and problem.fault is CheckpointFault.SIGNATURE_INVALID
        assert problem.transaction_id == cp.first_transaction_id
        await raw(
            f"UPDATE ledger_checkpoint SET merkle_root = '{cp.merkle_root}' WHERE id = {cp.id}"
        )
        assert (await points.verify()).ok
        # a signature changed
        forged = ("0" if cp.signature[0] != "0" else "1") + cp.signature[1:]
        await raw(f"UPDATE ledger_checkpoint SET signature = '{forged}' WHERE id = {cp.id}")
        _, problem = await _first_checkpoint_problem()
        assert problem is not None and problem.fault is CheckpointFault.SIGNATURE_INVALID
        await raw(f"UPDATE ledger_checkpoint SET signature = '{cp.signature}' WHERE id = {cp.id}")
        # an unknown key
        await raw(f"UPDATE ledger_checkpoint SET key_id = '{'c' * 16}' WHERE id = {cp.id}")
        _, problem = await _first_checkpoint_problem()
        assert problem is not None and problem.fault is CheckpointFault.UNKNOWN_KEY
        await raw(f"UPDATE ledger_checkpoint SET key_id = '{cp.key_id}' WHERE id = {cp.id}")
        # a checkpoint deleted: the next one no longer follows
        await raw(f"DELETE FROM ledger_checkpoint WHERE id = {cp.id}")
        _, problem = await _first_checkpoint_problem()
        assert problem is not None and problem.fault is CheckpointFault.GAP
        assert problem.sequence == second.sequence
