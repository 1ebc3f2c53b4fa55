"""After a load-mix run, with the server stopped: does the database hold what the users were told?

- The ledger: `python -m api verify-ledger` (what `make verify-ledger` runs) on the run's
  database: every balance, lot, hold and credit recomputed from the entries, zero drift.
- Every acknowledged write (bench/loadmix/locustfile.py appends the record id of each success
  to a JSONL file) is in the database: awards APPROVED with their posted transaction,
  redemptions HELD, orders placed, orders accepted, once each; no order was accepted twice.
- Counts: the records created during the run equal the acknowledged ones; any surplus is a write
  that committed after its client gave up (a timeout), allowed only up to the number of failed
  requests of that operation (the locust users log those too: their outcome is unknown).
- Stock: each reward's stock fell by exactly the items of the redemptions made during the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.queries import parse_global_id
from bench.servers import ROOT

OPERATIONS = ("awardPoints", "redeemReward", "placeOrder", "acceptWorkOrder")


@dataclass
class Check:
    """One operation's acknowledged writes against the database."""

    operation: str
    acknowledged: int = 0
    in_database: int = 0  # records created during the run
    missing: int = 0  # acknowledged, not in the database (or not in the state acknowledged)
    duplicates: int = 0  # the same record acknowledged twice
    unacknowledged: int = 0  # in the database, never acknowledged
    allowed_unacknowledged: int = 0  # failed requests of the operation (timeouts)

    @property
    def ok(self) -> bool:
        return (
            self.missing == 0
            and self.duplicates == 0
            and self.unacknowledged <= self.allowed_unacknowledged
        )


@dataclass
class Reconciliation:
    """The verdict on one run's database."""

    ledger_ok: bool
    ledger_output: str
    checks: list[Check] = field(default_factory=list)
    stock_problems: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.ledger_ok
            and not self.stock_problems
            and not self.problems
            and all(c.ok for c in self.checks)
        )


def read_acks(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """The acknowledged writes of every locust process, by operation."""
    acks: dict[str, list[dict[str, Any]]] = {op: [] for op in OPERATIONS}
    for path in sorted(directory.glob("acks-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                acks.setdefault(str(record["op"]), []).append(record)
    return acks


def verify_ledger(env: dict[str, str]) -> tuple[bool, str]:
    """`python -m api verify-ledger` on the run's database: (no drift, its output)."""
    proc = subprocess.run(
        [sys.executable, "-m", "api", "verify-ledger"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def _keys(records: list[dict[str, Any]]) -> list[int]:
    return [parse_global_id(str(r["id"]))[1] for r in records]


def _check(operation: str, acked: list[int], rows: dict[int, bool], allowed: int) -> Check:
    """`rows`: id -> in the acknowledged state, for the records created during the run."""
    counts = Counter(acked)
    return Check(
        operation=operation,
        acknowledged=len(acked),
        in_database=len(rows),
        missing=sum(1 for key in counts if not rows.get(key, False)),
        duplicates=sum(n - 1 for n in counts.values() if n > 1),
        unacknowledged=len(set(rows) - set(counts)),
        allowed_unacknowledged=allowed,
    )


async def _database_checks(
    url: str,
    acks: dict[str, list[dict[str, Any]]],
    baselines: dict[str, int],
    stock: dict[int, int],
    failures: dict[str, int],
) -> tuple[list[Check], list[str], list[str]]:
    from tortoise.context import TortoiseContext

    from services.kit import db

    checks: list[Check] = []
    stock_problems: list[str] = []
    problems: list[str] = []
    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        awards = await db.fetch(
            "SELECT a.id, a.status, a.transaction_id, t.id AS tx FROM points_award a "
            "LEFT JOIN points_transaction t ON t.id = a.transaction_id WHERE a.id > ?",
            [baselines["points_award"]],
        )
        checks.append(
            _check(
                "awardPoints",
                _keys(acks["awardPoints"]),
                {int(r["id"]): r["status"] == "APPROVED" and r["tx"] is not None for r in awards},
                failures.get("awardPoints", 0),
            )
        )
        redemptions = await db.fetch(
            "SELECT id, reward_id, quantity, status FROM redemption WHERE id > ?",
            [baselines["redemption"]],
        )
        checks.append(
            _check(
                "redeemReward",
                _keys(acks["redeemReward"]),
                {int(r["id"]): r["status"] == "HELD" for r in redemptions},
                failures.get("redeemReward", 0),
            )
        )
        orders = await db.fetch("SELECT id FROM work_order WHERE id > ?", [baselines["work_order"]])
        checks.append(
            _check(
                "placeOrder",
                _keys(acks["placeOrder"]),
                {int(r["id"]): True for r in orders},
                failures.get("placeOrder", 0),
            )
        )
        accepts = await db.fetch(
            "SELECT e.work_order_id, w.status FROM work_order_event e "
            "JOIN work_order w ON w.id = e.work_order_id WHERE e.id > ? AND e.action = 'ACCEPT'",
            [baselines["work_order_event"]],
        )
        twice = [k for k, n in Counter(int(r["work_order_id"]) for r in accepts).items() if n > 1]
        if twice:
            problems.append(f"orders accepted twice: {twice[:10]}")
        checks.append(
            _check(
                "acceptWorkOrder",
                _keys(acks["acceptWorkOrder"]),
                {int(r["work_order_id"]): r["status"] == "ACCEPTED" for r in accepts},
                failures.get("acceptWorkOrder", 0),
            )
        )
        taken: Counter[int] = Counter()
        for r in redemptions:
            taken[int(r["reward_id"])] += int(r["quantity"])
        for r in await db.fetch("SELECT id, stock FROM reward", []):
            key, now = int(r["id"]), int(r["stock"])
            before = stock.get(key)
            if before is None:
                stock_problems.append(f"reward {key} appeared during the run")
            elif before - now != taken[key]:
                stock_problems.append(
                    f"reward {key}: stock {before} → {now}, but {taken[key]} items redeemed"
                )
    return checks, stock_problems, problems


async def reconcile(
    url: str,
    env: dict[str, str],
    acks_dir: Path,
    baselines: dict[str, int],
    stock: dict[int, int],
) -> Reconciliation:
    """Ledger verification, then the acknowledged writes against the database."""
    ledger_ok, output = verify_ledger({**os.environ, **env})
    acks = read_acks(acks_dir)
    failures = dict(Counter(str(r["operation"]) for r in acks.get("failed", [])))
    checks, stock_problems, problems = await _database_checks(url, acks, baselines, stock, failures)
    return Reconciliation(ledger_ok, output, checks, stock_problems, problems)
