"""Ledger verification: recompute everything from the entries and report any drift."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from services.enums import AreaLevel, ChainFault, CheckpointFault
from services.errors import Forbidden
from services.grids import get_area
from services.kit import db
from services.kit.auth import Actor, require_actor
from services.kit.paths import is_under
from services.models import LedgerCheckpoint
from services.points import chain, merkle, signing
from services.points.checkpoints import message

_FAULTS = {
    ChainFault.CONTENT_CHANGED: "its content no longer matches its hash (changed)",
    ChainFault.LINK_BROKEN: (
        "it does not follow the transaction before it (one deleted, reordered or inserted)"
    ),
    ChainFault.HEAD_MISMATCH: (
        "the chain's head names another last transaction (one deleted or appended at the end)"
    ),
}


_CHECKPOINT_FAULTS = {
    CheckpointFault.GAP: "it does not follow the checkpoint before it (sequence or length)",
    CheckpointFault.UNKNOWN_KEY: "it is signed by a key that is not known",
    CheckpointFault.SIGNATURE_INVALID: "its signature does not hold (the checkpoint was changed)",
    CheckpointFault.ROOT_MISMATCH: (
        "the transactions it covers no longer give its Merkle root (one changed, deleted, "
        "reordered or inserted, even with every hash recomputed)"
    ),
    CheckpointFault.HEAD_MISMATCH: "its last transaction no longer has its head hash",
}


LISTED_CHAIN_PROBLEMS = 100
"""Broken chains listed by the API (the first of each, lowest id first); all are counted."""


@dataclass(frozen=True)
class ChainProblem:
    """The first broken transaction of a community's chain."""

    community_id: int
    # The transaction (for HEAD_MISMATCH: the last one found, None when none is left).
    transaction_id: int | None
    fault: ChainFault

    @property
    def message(self) -> str:
        return (
            f"transaction {self.transaction_id} of community {self.community_id}: "
            + (_FAULTS[self.fault])
        )


@dataclass(frozen=True)
class CheckpointProblem:
    """The first bad checkpoint of a community."""

    community_id: int
    checkpoint_id: int
    sequence: int
    # The first transaction of the checkpoint's range.
    transaction_id: int
    fault: CheckpointFault

    @property
    def message(self) -> str:
        return (
            f"checkpoint {self.sequence} of community {self.community_id} (from transaction "
            f"{self.transaction_id}): " + _CHECKPOINT_FAULTS[self.fault]
        )


@dataclass
class Report:
    """What `verify` found; `ok` when every list is empty."""

    unbalanced_transactions: list[int] = field(default_factory=list)
    balance_drift: list[tuple[int, int, int]] = field(default_factory=list)
    negative_accounts: list[int] = field(default_factory=list)
    lot_drift: list[tuple[int, int, int]] = field(default_factory=list)
    held_drift: list[tuple[int, int, int]] = field(default_factory=list)
    negative_stock: list[int] = field(default_factory=list)
    credit_drift: list[tuple[int, str, str, int, int]] = field(default_factory=list)
    transaction_drift: list[int] = field(default_factory=list)
    # The first broken transaction of each broken chain, lowest id first.
    chain_problems: list[ChainProblem] = field(default_factory=list)
    # The first bad checkpoint of each community, lowest first transaction first.
    checkpoint_problems: list[CheckpointProblem] = field(default_factory=list)
    checkpoints: int = 0
    accounts: int = 0
    entries: int = 0
    chains: int = 0
    transactions: int = 0
    # False when the double-entry sums were not checked (asked below the district: they run
    # over the whole ledger); the sum lists and the account and entry counts are then empty.
    sums_checked: bool = True

    @property
    def first_chain_problem(self) -> ChainProblem | None:
        """The first broken transaction over all chains checked."""
        return self.chain_problems[0] if self.chain_problems else None

    @property
    def ok(self) -> bool:
        return not (
            self.unbalanced_transactions
            or self.balance_drift
            or self.negative_accounts
            or self.lot_drift
            or self.held_drift
            or self.negative_stock
            or self.credit_drift
            or self.transaction_drift
            or self.chain_problems
            or self.checkpoint_problems
        )

    def lines(self) -> list[str]:
        """A human-readable account of the findings."""
        out = [
            f"accounts: {self.accounts}, entries: {self.entries}, "
            f"chains: {self.chains}, transactions chained: {self.transactions}, "
            f"checkpoints: {self.checkpoints}"
        ]
        for title, found in self._sum_checks().items():
            out.append(
                f"{'DRIFT' if found else 'ok'}: {title}" + (f": {found[:20]}" if found else "")
            )
        if self.chain_problems:
            out.append("BROKEN: hash chains (first broken transaction of each)")
            out += [f"  {problem.message}" for problem in self.chain_problems[:20]]
        else:
            out.append("ok: hash chains")
        if self.checkpoint_problems:
            out.append("BROKEN: signed checkpoints (first bad checkpoint of each community)")
            out += [f"  {problem.message}" for problem in self.checkpoint_problems[:20]]
        else:
            out.append("ok: signed checkpoints")
        return out

    def failed_sum_checks(self) -> list[str]:
        """The titles of the double-entry checks that found drift."""
        return [title for title, found in self._sum_checks().items() if found]

    def _sum_checks(self) -> dict[str, list[Any]]:
        return {
            "transactions whose postings do not sum to zero": self.unbalanced_transactions,
            "accounts whose cached balance differs from their entries (id, cached, sum)": (
                self.balance_drift
            ),
            "person or sink accounts below zero, or held outside 0..balance": (
                self.negative_accounts
            ),
            "person accounts whose lots differ from balance - held (id, lots, expected)": (
                self.lot_drift
            ),
            "accounts whose held points differ from their HELD redemptions (id, held, sum)": (
                self.held_drift
            ),
            "rewards with negative stock": self.negative_stock,
            "evaluation credit differing from its transactions (person, period, dim, row, sum)": (
                self.credit_drift
            ),
            "transactions whose person-side points differ from their entries": (
                self.transaction_drift
            ),
        }


SUM_CHECKS = len(Report()._sum_checks())
"""How many double-entry checks there are (a list of their titles is no longer)."""


async def verify(*, under_path: str | None = None, sums: bool = True) -> Report:
    """Recompute balances, lots, holds and evaluation credit from the ledger and compare (unless
    `sums` is False), and recompute the hash chains (of the communities under `under_path`, or
    all).

    Each sum check is one statement, so it reads one consistent state of the ledger even while
    awards commit (a transaction's entries, balances, lots and credit commit together)."""
    report = Report(sums_checked=sums)
    await _verify_chains(report, under_path)
    if not sums:
        return report
    report.accounts = int((await db.fetch("SELECT COUNT(*) AS n FROM points_account", []))[0]["n"])
    report.entries = int((await db.fetch("SELECT COUNT(*) AS n FROM points_entry", []))[0]["n"])
    rows = await db.fetch(
        "SELECT transaction_id FROM points_entry GROUP BY transaction_id HAVING SUM(points) <> 0",
        [],
    )
    report.unbalanced_transactions = [int(r["transaction_id"]) for r in rows]
    rows = await db.fetch(
        "SELECT a.id, a.balance, COALESCE(SUM(e.points), 0) AS total FROM points_account a "
        "LEFT JOIN points_entry e ON e.account_id = a.id GROUP BY a.id, a.balance "
        "HAVING a.balance <> COALESCE(SUM(e.points), 0)",
        [],
    )
    report.balance_drift = [(int(r["id"]), int(r["balance"]), int(r["total"])) for r in rows]
    rows = await db.fetch(
        "SELECT id FROM points_account WHERE kind <> 'POOL' "
        "AND (balance < 0 OR held < 0 OR held > balance)",
        [],
    )
    report.negative_accounts = [int(r["id"]) for r in rows]
    rows = await db.fetch(
        "SELECT a.id, a.balance - a.held AS expected, COALESCE(SUM(l.remaining), 0) AS lots "
        "FROM points_account a LEFT JOIN points_lot l ON l.account_id = a.id "
        "WHERE a.kind = 'PERSON' GROUP BY a.id, a.balance, a.held "
        "HAVING a.balance - a.held <> COALESCE(SUM(l.remaining), 0)",
        [],
    )
    report.lot_drift = [(int(r["id"]), int(r["lots"]), int(r["expected"])) for r in rows]
    rows = await db.fetch(
        "SELECT a.id, a.held, COALESCE(SUM(d.points_spent), 0) AS total FROM points_account a "
        "LEFT JOIN redemption d ON d.account_id = a.id AND d.status = 'HELD' "
        "GROUP BY a.id, a.held HAVING a.held <> COALESCE(SUM(d.points_spent), 0)",
        [],
    )
    report.held_drift = [(int(r["id"]), int(r["held"]), int(r["total"])) for r in rows]
    rows = await db.fetch("SELECT id FROM reward WHERE stock < 0", [])
    report.negative_stock = [int(r["id"]) for r in rows]
    rows = await db.fetch(
        "SELECT c.person_id, c.period, c.dimension, c.points, COALESCE(t.total, 0) AS total "
        "FROM evaluation_credit c LEFT JOIN (SELECT person_id, period, dimension, "
        "SUM(credit) AS total FROM points_transaction WHERE dimension IS NOT NULL "
        "GROUP BY person_id, period, dimension) t ON t.person_id = c.person_id "
        "AND t.period = c.period AND t.dimension = c.dimension "
        "WHERE c.points <> COALESCE(t.total, 0)",
        [],
    )
    report.credit_drift = [
        (
            int(r["person_id"]),
            str(r["period"]),
            str(r["dimension"]),
            int(r["points"]),
            int(r["total"]),
        )
        for r in rows
    ]
    rows = await db.fetch(
        "SELECT t.person_id, t.period, t.dimension FROM points_transaction t "
        "LEFT JOIN evaluation_credit c ON c.person_id = t.person_id AND c.period = t.period "
        "AND c.dimension = t.dimension WHERE t.dimension IS NOT NULL AND t.credit <> 0 "
        "AND c.id IS NULL",
        [],
    )
    report.credit_drift += [
        (int(r["person_id"]), str(r["period"]), str(r["dimension"]), 0, -1) for r in rows
    ]
    rows = await db.fetch(
        "SELECT t.id FROM points_transaction t LEFT JOIN (SELECT e.transaction_id, "
        "SUM(e.points) AS total FROM points_entry e JOIN points_account a ON a.id = e.account_id "
        "WHERE a.kind = 'PERSON' GROUP BY e.transaction_id) p ON p.transaction_id = t.id "
        "WHERE t.points <> COALESCE(p.total, 0)",
        [],
    )
    report.transaction_drift = [int(r["id"]) for r in rows]
    return report


async def verify_ledger(*, actor: Actor | None, under_id: int) -> Report:
    """The ledger check for the admins of an area: the hash chains of the communities under the
    area (or of the one it lies in), and, asked at the district, every sum over the whole
    ledger. The sums are not checked below the district: accounts do not all belong to one
    community (a person's account follows the person), so they cannot be scoped to an area, and
    a street or community admin is not shown district-wide figures."""
    actor = require_actor(actor)
    area = await get_area(area_id=under_id)
    if not actor.administers(area.path):
        raise Forbidden("You may verify the ledger of the areas you administer.", field="under")
    return await verify(under_path=area.path, sums=area.level is AreaLevel.DISTRICT)


async def _verify_chains(report: Report, under_path: str | None) -> None:
    """Walk each community's chain in id order: recompute every hash and link, and compare the
    end with the chain's head. A transaction whose recomputed hash differs from its stored one
    was changed; one whose stored previous hash is not the hash before it (while its own hash
    holds) follows a deleted, reordered or inserted transaction.

    The check runs while awards keep committing, in separate statements. Each chain's head is
    read first and the chain is checked up to the head's transaction only: its transactions
    and entries were all committed by then (a transaction and its head advance commit
    together), and within a community ids follow the chain order (the head is locked before the
    row is inserted), so a transaction committed after the head was read has a larger id and is
    left for the next check instead of looking like a changed chain."""
    communities = sorted(
        {
            int(r["community_id"])
            for r in await db.fetch(
                "SELECT community_id FROM points_chain_head "
                "UNION SELECT community_id FROM points_transaction",
                [],
            )
        }
    )
    if under_path is not None:
        # The chains of the communities under `under_path`, or of the one it lies in.
        paths = {
            int(r["id"]): str(r["path"])
            for r in await db.fetch(
                "SELECT id, path FROM area WHERE id IN (SELECT community_id FROM "
                "points_chain_head UNION SELECT community_id FROM points_transaction)",
                [],
            )
        }
        communities = [
            c
            for c in communities
            if c in paths and (is_under(paths[c], under_path) or is_under(under_path, paths[c]))
        ]
    for community_id in communities:
        report.chains += 1
        problem = await _verify_chain(report, community_id)
        if problem is not None:
            report.chain_problems.append(problem)
        bad = await _verify_checkpoints(report, community_id)
        if bad is not None:
            report.checkpoint_problems.append(bad)
    report.chain_problems.sort(key=lambda p: (p.transaction_id or 0, p.community_id))
    report.checkpoint_problems.sort(key=lambda p: (p.transaction_id, p.community_id))


async def _head(community_id: int) -> tuple[str, int | None, int]:
    """The community's chain head: its hash, its transaction and the chain's length."""
    rows = await db.fetch(
        "SELECT head_hash, transaction_id, length FROM points_chain_head WHERE community_id = ?",
        [community_id],
    )
    if not rows:
        return chain.GENESIS, None, 0
    tx = rows[0]["transaction_id"]
    return str(rows[0]["head_hash"]), None if tx is None else int(tx), int(rows[0]["length"])


async def _verify_chain(report: Report, community_id: int) -> ChainProblem | None:
    head_hash, head_tx, length = await _head(community_id)
    # Only the transactions up to the head read just now (see `_verify_chains`).
    bound = head_tx if head_tx is not None else 0
    entries: dict[int, list[tuple[int, int]]] = {}
    for r in await db.fetch(
        "SELECT e.transaction_id, e.account_id, e.points FROM points_entry e "
        "JOIN points_transaction t ON t.id = e.transaction_id "
        "WHERE t.community_id = ? AND t.id <= ?",
        [community_id, bound],
    ):
        entries.setdefault(int(r["transaction_id"]), []).append(
            (int(r["account_id"]), int(r["points"]))
        )
    rows = await db.fetch(
        f"SELECT {chain.TRANSACTION_COLUMNS} FROM points_transaction WHERE community_id = ? "
        "AND id <= ? ORDER BY id",
        [community_id, bound],
    )
    previous = chain.GENESIS
    last_id: int | None = None
    for row in rows:
        report.transactions += 1
        tx_id = int(row["id"])
        stored_previous = row["previous_hash"] or ""
        recomputed = chain.content_hash(
            chain.content_of(row, entries.get(tx_id, [])), stored_previous
        )
        if recomputed != row["content_hash"]:
            return ChainProblem(community_id, tx_id, ChainFault.CONTENT_CHANGED)
        if stored_previous != previous:
            return ChainProblem(community_id, tx_id, ChainFault.LINK_BROKEN)
        previous = str(row["content_hash"])
        last_id = tx_id
    if head_hash != previous or length != len(rows) or head_tx != last_id:
        return ChainProblem(community_id, last_id, ChainFault.HEAD_MISMATCH)
    # Transactions past the head: committed after it was read, unless one was appended without
    # moving the head. Every committed transaction has moved the head past itself, so a head
    # read after them that does not reach the last of them means one was appended behind the
    # ledger's back.
    later = await db.fetch(
        "SELECT MAX(id) AS last FROM points_transaction WHERE community_id = ? AND id > ?",
        [community_id, bound],
    )
    if later and later[0]["last"] is not None:
        beyond = int(later[0]["last"])
        _, now_tx, _ = await _head(community_id)
        if now_tx is None or now_tx < beyond:
            return ChainProblem(community_id, beyond, ChainFault.HEAD_MISMATCH)
    return None


async def _verify_checkpoints(report: Report, community_id: int) -> CheckpointProblem | None:
    """Walk the community's checkpoints by sequence: each follows the one before (sequence from
    1, `from_length` the previous `length`), is signed by a known key over `message`, and the
    transactions it covers (ids first..last in id order) are as many as it says, give its
    Merkle root from their stored hashes, and end at its head hash. A ledger re-chained after
    an edit (every hash recomputed, so the chain check passes) fails here."""
    checkpoints = await LedgerCheckpoint.filter(community_id=community_id).order_by("sequence")
    if not checkpoints:
        return None
    keys = signing.known_keys()
    hashes: dict[int, str] = {
        int(r["id"]): str(r["content_hash"] or "")
        for r in await db.fetch(
            "SELECT id, content_hash FROM points_transaction WHERE community_id = ? AND id <= ?",
            [community_id, max(c.last_transaction_id for c in checkpoints)],
        )
    }
    ids = sorted(hashes)
    sequence, length = 0, 0
    for cp in checkpoints:
        report.checkpoints += 1

        def problem(fault: CheckpointFault, cp: LedgerCheckpoint = cp) -> CheckpointProblem:
            return CheckpointProblem(
                community_id, cp.id, cp.sequence, cp.first_transaction_id, fault
            )

        if cp.sequence != sequence + 1 or cp.from_length != length:
            return problem(CheckpointFault.GAP)
        public = keys.get(cp.key_id)
        if public is None:
            return problem(CheckpointFault.UNKNOWN_KEY)
        if not signing.verify(public, message(cp), cp.signature):
            return problem(CheckpointFault.SIGNATURE_INVALID)
        start = bisect_left(ids, cp.first_transaction_id)
        covered = ids[start : bisect_right(ids, cp.last_transaction_id)]
        if (
            start != cp.from_length
            or len(covered) != cp.length - cp.from_length
            or not covered
            or covered[0] != cp.first_transaction_id
            or merkle.root([hashes[i] for i in covered]) != cp.merkle_root
        ):
            return problem(CheckpointFault.ROOT_MISMATCH)
        if covered[-1] != cp.last_transaction_id or hashes[covered[-1]] != cp.head_hash:
            return problem(CheckpointFault.HEAD_MISMATCH)
        sequence, length = cp.sequence, cp.length
    return None
