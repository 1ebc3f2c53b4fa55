"""Ledger verification: recompute everything from the entries and report any drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.kit import db


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
    accounts: int = 0
    entries: int = 0

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
        )

    def lines(self) -> list[str]:
        """A human-readable account of the findings."""
        out = [f"accounts: {self.accounts}, entries: {self.entries}"]
        checks: dict[str, list[Any]] = {
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
        for title, found in checks.items():
            out.append(
                f"{'DRIFT' if found else 'ok'}: {title}" + (f": {found[:20]}" if found else "")
            )
        return out


async def verify() -> Report:
    """Recompute balances, lots, holds and evaluation credit from the ledger and compare."""
    report = Report()
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
