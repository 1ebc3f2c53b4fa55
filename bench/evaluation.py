"""`python -m bench evaluation`: scoring and publishing a quarter for a large street.

Issue 4 ("Proof"): a street with 10,000 evaluated role holders (GRID_LEADER, MICRO_GRID_LEADER,
CENTRAL_HOUSEHOLD) and 1,000,000 ledger entries is scored and published through the real
services (`services.evaluation.open_period`, `start_scoring`, `publish_period`, as a street
admin), set-based; target: under 10 s on SQLite.

1. **Build** (bulk SQL, not the services): a fresh database with the migrations applied; one
   district, one street, `--holders / 500` communities of 8 grids of 8 micro-grids, households
   (central households live in their micro-grid and look after three neighbours each), one open
   role per holder, a few points rules, `--entries / 2` balanced transactions (awards, penalties,
   reversals; most in the benchmarked quarter, some in the two before; 90 % to the holders, the
   rest to other residents) with their entries (running balances), the accounts, lots and
   evaluation credit that `services.points.verify` expects, training sessions and attendance,
   and each community's detailed rules (through `services.evaluation.update_scheme`).
2. **Warm-up**: the previous quarter is opened, scored and published (so the benchmarked quarter
   has a published predecessor: dynamic exit runs for real); its figures are reported too.
3. **Measured**: the current quarter is opened, scored and published; wall time of each call,
   SQL statements issued (counted on the `tortoise.db_client` logger, as
   tests/schema/test_statement_count.py does; on SQLite cross-checked with sqlite3's trace
   callback), the peak RSS of the phase (VmHWM after a reset) and ru_maxrss; then plausibility
   checks (one result per holder, ranks 1..n in every community and role, ...) and `verify()`.
4. **Memory**: tracemalloc slows allocation-heavy Python several-fold, so its peak is taken in a
   second run of the same quarter on a copy of the database made before step 3.

Prints a markdown report and writes it to bench/results/evaluation-<timestamp>-<database>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from bench.points import _series
from services.kit import clock

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_evaluation"
TARGET_SECONDS = 10.0
GRIDS_PER_COMMUNITY = 8
MICRO_GRIDS_PER_GRID = 8
HOLDERS_PER_COMMUNITY = 500  # communities = holders / 500 (20 for the default 10,000)
CARED_PER_CENTRAL = 3  # neighbours each central household looks after, besides its own home
HOLDER_SHARE = 0.9  # of the transactions, to the evaluated holders (the rest to other people)
LEDGER_SOURCE = "BenchLedger"  # source_type of the bulk-loaded transactions
PENALTY_POINTS = -2
# Award rules (code, name, dimension, points a unit); quantities are 2..8 by person.
AWARD_RULES = (
    ("BENCH_POLICY", "政策宣传", "POLICY_COMMUNICATION", 6),
    ("BENCH_VISIT", "走访服务", "MANAGEMENT_SERVICE", 8),
    ("BENCH_REPORT", "信息上报", "INFORMATION_REPORTING", 4),
    ("BENCH_RESOLVE", "问题处置", "PROBLEM_HANDLING", 10),
    ("BENCH_VOLUNTEER", "志愿服务", "VOLUNTEER_SERVICE", 6),
)
PENALTY_RULE = ("BENCH_LATE", "迟报漏报", "INFORMATION_REPORTING", PENALTY_POINTS)
DB_LOGGER = "tortoise.db_client"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench evaluation",
        description="Time, memory and SQL statements of scoring and publishing a quarter.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--holders", type=int, default=None, help="evaluated role holders (10000; 1000 --quick)"
    )
    parser.add_argument(
        "--entries", type=int, default=None, help="ledger entries (1000000; 100000 --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 1,000 holders, 100k")
    parser.add_argument(
        "--no-memory-run",
        action="store_true",
        help="skip the second (tracemalloc) run on a copy of the database",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="give up after this many seconds (1800)"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write .md")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (prints where)")
    return parser


@dataclass
class Options:
    """The resolved command line."""

    database: str
    holders: int
    entries: int
    memory_run: bool
    timeout: float
    results_dir: Path
    keep: bool
    quick: bool

    @classmethod
    def parse(cls, argv: list[str]) -> Options:
        args = _parser().parse_args(argv)
        options = cls(
            database=args.database,
            holders=args.holders or (1000 if args.quick else 10_000),
            entries=args.entries or (100_000 if args.quick else 1_000_000),
            memory_run=not args.no_memory_run,
            timeout=args.timeout,
            results_dir=args.results_dir,
            keep=args.keep,
            quick=args.quick,
        )
        if not 200 <= options.holders <= 100_000:
            raise SystemExit("--holders must be 200..100,000")
        if not 2 * options.holders <= options.entries <= 20_000_000 or options.entries % 2:
            raise SystemExit("--entries must be even, at least 2 x --holders and at most 20M")
        if not 10 <= options.timeout <= 7200:
            raise SystemExit("--timeout must be 10..7200 seconds")
        return options


@dataclass(frozen=True)
class Layout:
    """The street's shape, derived from the number of holders."""

    holders: int
    entries: int

    @property
    def communities(self) -> int:
        return max(1, min(100, round(self.holders / HOLDERS_PER_COMMUNITY)))

    @property
    def grids(self) -> int:
        return self.communities * GRIDS_PER_COMMUNITY

    @property
    def micro_grids(self) -> int:
        return self.grids * MICRO_GRIDS_PER_GRID

    @property
    def centrals(self) -> int:
        return self.holders - self.grids - self.micro_grids

    @property
    def others(self) -> int:
        """Residents without an evaluated role who also get points."""
        return max(100, self.holders // 5)

    @property
    def transactions(self) -> int:
        return self.entries // 2

    @property
    def holder_transactions(self) -> int:
        return round(self.transactions * HOLDER_SHARE)

    @property
    def passes(self) -> int:
        """Rounds of one transaction per holder (the last one may be partial)."""
        return -(-self.holder_transactions // self.holders)


def quarters(now: datetime) -> tuple[str, str, str]:
    """(two quarters ago, the previous quarter, the current quarter)."""
    from services.evaluation.scoring import previous_quarter
    from services.kit.calendar import period_of

    current = period_of(now)
    previous = previous_quarter(current)
    return previous_quarter(previous), previous, current


# --- statement counting ---------------------------------------------------------------------


class _Handler(logging.Handler):
    """Counts the statements Tortoise logs ("%s: %s" at DEBUG right before running one)."""

    def __init__(self, sink: Phase) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s: %s" and isinstance(record.args, tuple) and record.args:
            self.sink.add(str(record.args[0]))


@dataclass
class Phase:
    """Statements issued during one service call."""

    statements: int = 0
    shapes: Counter[str] = field(default_factory=Counter)
    traced: int | None = None  # SQLite: what the engine ran (BEGIN/COMMIT/SAVEPOINT included)

    def add(self, sql: str) -> None:
        self.statements += 1
        self.shapes[_shape(sql)] += 1


def _shape(sql: str) -> str:
    """A statement's first words, enough to tell the statements of a phase apart."""
    flat = re.sub(r"\s+", " ", sql).strip()
    flat = re.sub(r"\(\?(, \?)*\)(, \(\?(, \?)*\))*", "(...)", flat)
    return flat[:90]


@asynccontextmanager
async def counting(sink: Phase, raw: Any | None) -> AsyncIterator[None]:
    """Count the statements issued inside the block into `sink` (and trace them on SQLite)."""
    logger = logging.getLogger(DB_LOGGER)
    handler = _Handler(sink)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    traced: list[str] = []
    lock = threading.Lock()
    if raw is not None:

        def trace(statement: str) -> None:
            if not statement.startswith("--"):  # trigger programs report as "-- TRIGGER ..."
                with lock:
                    traced.append(statement)

        # The sqlite3 connection is usable on aiosqlite's worker thread only.
        await raw._execute(raw._conn.set_trace_callback, trace)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        if raw is not None:
            await raw._execute(raw._conn.set_trace_callback, None)
            sink.traced = len(traced)


async def _sqlite_raw() -> Any | None:
    """aiosqlite's connection on SQLite (its sqlite3 connection takes a trace callback)."""
    from tortoise import connections

    from services.kit import db

    if db.dialect() != "sqlite":
        return None
    client = connections.get("default")
    await client.execute_query("SELECT 1")  # make sure the connection is open
    return client._connection


# --- memory ---------------------------------------------------------------------------------


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float | None:
    """VmHWM (peak RSS since start or the last reset), MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def maxrss_mib() -> float:
    """ru_maxrss of the process (kB on Linux), MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- build ----------------------------------------------------------------------------------


@dataclass
class Built:
    """What the build made."""

    street_id: int
    admin_account_id: int
    counts: dict[str, int]
    seconds: float
    engine: str
    steps: dict[str, float]  # seconds per step of the build


async def insert_rows(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs, under the parameter limits of SQLite (32,766) and asyncpg (32,767)."""
    from services.kit import db

    per = max(1, 30_000 // len(columns))
    row_marks = "(" + ", ".join("?" for _ in columns) + ")"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        await db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            + ", ".join(row_marks for _ in chunk),
            [value for row in chunk for value in row],
        )


@dataclass
class _Territory:
    """Rows of the street, in insert order (parents before children)."""

    areas: list[tuple[Any, ...]] = field(default_factory=list)
    households: list[tuple[Any, ...]] = field(default_factory=list)
    people: list[tuple[Any, ...]] = field(default_factory=list)
    roles: list[tuple[Any, ...]] = field(default_factory=list)
    care_links: list[tuple[Any, ...]] = field(default_factory=list)
    # bench_person rows: (grp, idx, person_id, community_id, community_path)
    ledger_people: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    street_id: int = 0
    community_ids: list[int] = field(default_factory=list)


def territory(layout: Layout, moment: datetime, since: datetime) -> _Territory:
    """One district, one street, its communities, grids, micro-grids, households, the holders
    (with their open roles) and other residents, with explicit ids (the database is empty)."""
    out = _Territory()
    ids = {"area": 0, "household": 0, "person": 0}
    indexes = [0, 0]  # next bench_person index of the holders (0) and the others (1)

    def next_id(kind: str) -> int:
        ids[kind] += 1
        return ids[kind]

    def area(level: str, name: str, parent: tuple[int, str] | None) -> tuple[int, str]:
        key = next_id("area")
        path = f"{parent[1] if parent else '/'}{key}/"
        out.areas.append(
            (key, name, level, "RESIDENTIAL", parent[0] if parent else None, path, moment)
        )
        return key, path

    def household(community: int, micro: tuple[int, str], n: int) -> int:
        key = next_id("household")
        out.households.append(
            (
                key,
                community,
                micro[0],
                micro[1],
                f"基准路{micro[0]}号",
                "1号楼",
                f"{n // 10 + 1}单元",
                f"{n % 10 + 1}01",
                n % 4 + 1,
                moment,
            )
        )
        return key

    def person(home: int | None, grp: int, community: tuple[int, str]) -> int:
        key = next_id("person")
        out.people.append((key, f"基准{key:06d}", f"139{key:08d}", key % 2 == 0, home, moment))
        out.ledger_people.append((grp, indexes[grp], key, community[0], community[1]))
        indexes[grp] += 1
        return key

    def role(person_id: int, name: str, where: tuple[int, str]) -> None:
        out.roles.append((person_id, name, where[0], where[1], since))

    district = area("DISTRICT", "基准区", None)
    street = area("STREET", "基准街道", district)
    out.street_id = street[0]
    centrals_left = layout.centrals
    micro_left = layout.micro_grids
    uncared_homes: list[int] = []
    for c in range(layout.communities):
        community = area("COMMUNITY", f"基准社区{c + 1}", street)
        out.community_ids.append(community[0])
        for g in range(GRIDS_PER_COMMUNITY):
            grid = area("GRID", f"基准网格{c + 1}-{g + 1}", community)
            grid_leader: int | None = None
            for m in range(MICRO_GRIDS_PER_GRID):
                micro = area("MICRO_GRID", f"基准微网格{c + 1}-{g + 1}-{m + 1}", grid)
                u = len(out.community_ids) * 1000 + g * 10 + m  # varies coverage by micro-grid
                uncared = [household(community[0], micro, n) for n in range(1 + u % 6)]
                uncared_homes += uncared
                if grid_leader is None:
                    grid_leader = person(uncared[-1], 0, community)
                    role(grid_leader, "GRID_LEADER", grid)
                role(person(uncared[0], 0, community), "MICRO_GRID_LEADER", micro)
                count = -(-centrals_left // micro_left)  # spread the rest evenly
                centrals_left -= count
                micro_left -= 1
                for k in range(count):
                    homes = [
                        household(community[0], micro, len(uncared) + k * 4 + n)
                        for n in range(1 + CARED_PER_CENTRAL)
                    ]
                    central = person(homes[0], 0, community)
                    role(central, "CENTRAL_HOUSEHOLD", micro)
                    out.care_links += [(central, home, moment) for home in homes]
    communities = {h[0]: h[1] for h in out.households}
    paths = {a[0]: a[5] for a in out.areas}
    for n in range(layout.others):
        home = uncared_homes[n % len(uncared_homes)]
        community_id = communities[home]
        person(home, 1, (community_id, paths[community_id]))
    return out


async def build(url: str, layout: Layout, now: datetime) -> Built:
    """Migrate an empty database and bulk-load the street, the ledger and the rest."""
    from tortoise import connections
    from tortoise.context import TortoiseContext
    from tortoise.transactions import in_transaction

    from services import accounts, evaluation
    from services.enums import AreaLevel, Dimension, Role
    from services.evaluation.scoring import quarter_bounds
    from services.kit import db
    from services.models import PointsRule, RoleAssignment, TrainingSession

    started = time.perf_counter()
    steps: dict[str, float] = {}
    mark = started

    def lap(step: str) -> None:
        nonlocal mark
        steps[step] = time.perf_counter() - mark
        mark = time.perf_counter()

    _, _, current = quarters(now)
    since = now - timedelta(days=800)
    made = territory(layout, now, since)
    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        await db.migrate()
        lap("migrations")
        dialect = db.dialect()
        stamp = "CAST(? AS TIMESTAMPTZ)" if dialect == "postgres" else "?"
        async with in_transaction() as conn:
            print(
                f"[evaluation] {layout.communities} communities, {layout.grids} grids, "
                f"{layout.micro_grids:,} micro-grids, {len(made.households):,} households, "
                f"{len(made.people):,} people ...",
                flush=True,
            )
            await insert_rows(
                "area",
                ("id", "name", "level", "kind", "parent_id", "path", "created_at"),
                made.areas,
            )
            await insert_rows(
                "household",
                (
                    "id",
                    "community_id",
                    "micro_grid_id",
                    "path",
                    "address",
                    "building",
                    "unit",
                    "room",
                    "member_count",
                    "created_at",
                ),
                made.households,
            )
            await insert_rows(
                "person",
                ("id", "name", "phone", "party_member", "household_id", "created_at"),
                made.people,
            )
            await insert_rows(
                "role_assignment",
                ("person_id", "role", "area_id", "area_path", "since"),
                made.roles,
            )
            await insert_rows(
                "care_link", ("central_id", "household_id", "created_at"), made.care_links
            )
            lap("territory (rows built in Python, multi-row INSERTs)")
            rules = []
            for code, name, dimension, points in (*AWARD_RULES, PENALTY_RULE):
                rules.append(
                    await PointsRule.create(
                        code=code, name=name, dimension=Dimension(dimension), points=points
                    )
                )
            penalty = rules[-1]
            # Helper tables for the set-based ledger load (dropped below).
            await conn.execute_script(
                "CREATE TABLE bench_person (grp INTEGER NOT NULL, idx INTEGER NOT NULL, "
                "person_id INTEGER NOT NULL, account_id INTEGER NOT NULL, "
                "community_id INTEGER NOT NULL, community_path VARCHAR(255) NOT NULL, "
                "pool_id INTEGER NOT NULL, PRIMARY KEY (grp, idx))"
            )
            await conn.execute_script(
                "CREATE TABLE bench_rule (idx INTEGER PRIMARY KEY, rule_id INTEGER NOT NULL, "
                "dimension VARCHAR(32) NOT NULL, points INTEGER NOT NULL)"
            )
            # Accounts: people 1..P in bench_person order, then one pool per community.
            people_count = len(made.ledger_people)
            pools = {cid: people_count + n + 1 for n, cid in enumerate(made.community_ids)}
            await insert_rows(
                "bench_person",
                (
                    "grp",
                    "idx",
                    "person_id",
                    "account_id",
                    "community_id",
                    "community_path",
                    "pool_id",
                ),
                [
                    (grp, idx, pid, n + 1, cid, cpath, pools[cid])
                    for n, (grp, idx, pid, cid, cpath) in enumerate(made.ledger_people)
                ],
            )
            await conn.execute_script(
                "CREATE INDEX bench_person_person ON bench_person (person_id)"
            )
            await insert_rows(
                "bench_rule",
                ("idx", "rule_id", "dimension", "points"),
                [(n, r.id, r.dimension.value, r.points) for n, r in enumerate(rules[:-1])],
            )
            print(
                f"[evaluation] ledger: {layout.transactions:,} transactions, "
                f"{layout.entries:,} entries ...",
                flush=True,
            )
            lap("rules and helper tables")
            await _load_ledger(layout, penalty.id, penalty.dimension.value, now, stamp, steps)
            await conn.execute_script("DROP TABLE bench_person")
            await conn.execute_script("DROP TABLE bench_rule")
            mark = time.perf_counter()
            # Training: per community one session this quarter and one earlier in the year,
            # and one for the whole street this quarter.
            year_start, start, _ = quarter_bounds(current)
            sessions = []
            for n, cid in enumerate(made.community_ids):
                path = next(a[5] for a in made.areas if a[0] == cid)
                for topic, at in (
                    ("quarter", start + timedelta(days=10)),
                    ("year", year_start + timedelta(days=20)),
                ):
                    sessions.append(
                        TrainingSession(
                            area_id=cid,
                            area_path=path,
                            level=AreaLevel.COMMUNITY,
                            topic=f"{topic} {n}",
                            place="社区活动室",
                            starts_at=min(at, now),
                        )
                    )
            street_path = next(a[5] for a in made.areas if a[0] == made.street_id)
            sessions.append(
                TrainingSession(
                    area_id=made.street_id,
                    area_path=street_path,
                    level=AreaLevel.STREET,
                    topic="street",
                    place="街道会议室",
                    starts_at=min(start + timedelta(days=30), now),
                )
            )
            await TrainingSession.bulk_create(sessions)
            rows = await db.fetch("SELECT id, area_id, topic FROM training_session", [])
            attendance: list[tuple[Any, ...]] = []
            holders = [p for p in made.ledger_people if p[0] == 0]
            for row in rows:
                topic = str(row["topic"]).split()[0]
                every = {"quarter": 4, "year": 3, "street": 10}[topic]
                attendance += [
                    (int(row["id"]), pid, now)
                    for _, idx, pid, cid, _ in holders
                    if idx % every == (1 if topic == "street" else 0)
                    and (topic == "street" or cid == int(row["area_id"]))
                ]
            await insert_rows(
                "training_attendance", ("session_id", "person_id", "recorded_at"), attendance
            )
            if dialect == "postgres":
                # Ids were given explicitly: move the sequences past them.
                for table in (
                    "area",
                    "household",
                    "person",
                    "points_account",
                    "points_transaction",
                    "points_entry",
                ):
                    await conn.execute_query(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
        lap("training, sequences, commit")
        # The street admin who runs the evaluation (bootstrapped like seed/demo.py's first
        # district admin: the one role written directly).
        account = await accounts.create_account(
            username="bench_street",
            password="gridpoints-bench-password",
            name="基准街道管理员",
            phone="13900000003",
        )
        await RoleAssignment.create(
            person_id=account.person_id,
            role=Role.STREET_ADMIN,
            area_id=made.street_id,
            area_path=street_path,
            since=since,
        )
        actor = await accounts.load_actor(account_id=account.id)
        assert actor is not None
        # Detailed rules of each community: volunteer service counted in management service
        # in every other community, policy communication capped at 40 in the others.
        for n, cid in enumerate(made.community_ids):
            links = (
                [evaluation.RuleLink("BENCH_VOLUNTEER", Dimension.MANAGEMENT_SERVICE, None)]
                if n % 2 == 0
                else [evaluation.RuleLink("BENCH_POLICY", None, 40)]
            )
            await evaluation.update_scheme(
                actor=actor,
                area_id=cid,
                data=evaluation.SchemeInput(
                    rule_links=links,
                    manual_items=[
                        evaluation.ManualItem(
                            "MONTHLY_MEETING", "月度例会", Dimension.MANAGEMENT_SERVICE, 5
                        )
                    ],
                ),
            )
        lap("street admin, detailed rules (services)")
        if dialect == "postgres":
            # Fresh bulk-loaded tables: give the planner statistics, as autovacuum would soon.
            await connections.get("default").execute_script("ANALYZE")
            lap("ANALYZE")
            version = (await db.fetch("SHOW server_version", []))[0]["server_version"]
            engine = f"PostgreSQL {version}"
        else:
            engine = f"SQLite {sqlite3.sqlite_version}"
        counts = {}
        for table in (
            "area",
            "household",
            "person",
            "role_assignment",
            "care_link",
            "points_transaction",
            "points_entry",
            "points_account",
            "points_lot",
            "evaluation_credit",
            "training_session",
            "training_attendance",
        ):
            counts[table] = int((await db.fetch(f"SELECT COUNT(*) AS n FROM {table}", []))[0]["n"])
        return Built(
            street_id=made.street_id,
            admin_account_id=account.id,
            counts=counts,
            seconds=time.perf_counter() - started,
            engine=engine,
            steps=steps,
        )


async def _load_ledger(
    layout: Layout,
    penalty_id: int,
    penalty_dimension: str,
    now: datetime,
    stamp: str,
    steps: dict[str, float],
) -> None:
    """The transactions, entries, accounts, lots and evaluation credit, in set-based SQL.

    Holder transaction j (0-based) goes to holder j % H in round k = j // H. Rounds are
    quarters, oldest first (10 % two quarters ago, 40 % the previous quarter, the rest the
    current one). Every round is an award by one of the award rules (rotating by round and
    person), quantity 2..8 by person (so scores spread), except: when (k + idx) % 10 = 5 a
    2-point penalty, = 7 the reversal of the person's award of the round before. An award
    precedes every penalty and reversal, so no balance goes below zero."""
    from services.evaluation.scoring import quarter_bounds
    from services.kit import db

    async def execute(step: str, sql: str, params: list[Any]) -> None:
        started = time.perf_counter()
        await db.execute(sql, params)
        steps[step] = steps.get(step, 0.0) + time.perf_counter() - started

    dialect = db.dialect()
    old, previous, current = quarters(now)
    times = [min(quarter_bounds(q)[1] + timedelta(days=1), now) for q in (old, previous, current)]
    holders, rules = layout.holders, len(AWARD_RULES)
    k1, k2 = layout.passes * 10 // 100, layout.passes * 50 // 100
    columns = (
        "id, kind, person_id, community_id, area_path, rule_id, dimension, points, credit, "
        "period, shortfall, reason, source_type, reverses_id, created_at"
    )
    # Holders: round k, person idx, effective round pk (a reversal's is its original's).
    amount = (
        f"CASE y.kind WHEN 'PENALTY' THEN {PENALTY_POINTS} WHEN 'REVERSAL' THEN -r.points * y.q "
        "ELSE r.points * y.q END"
    )
    await execute(
        "transactions (holders)",
        f"INSERT INTO points_transaction ({columns}) "
        "SELECT y.j + 1, y.kind, p.person_id, p.community_id, p.community_path, "
        f"CASE WHEN y.kind = 'PENALTY' THEN {penalty_id} ELSE r.rule_id END, "
        f"CASE WHEN y.kind = 'PENALTY' THEN '{penalty_dimension}' ELSE r.dimension END, "
        f"{amount}, {amount}, "
        f"CASE WHEN y.pk < {k1} THEN '{old}' WHEN y.pk < {k2} THEN '{previous}' "
        f"ELSE '{current}' END, 0, 'bench', '{LEDGER_SOURCE}', "
        f"CASE WHEN y.kind = 'REVERSAL' THEN y.j - {holders} + 1 END, "
        f"CASE WHEN y.k < {k1} THEN {stamp} WHEN y.k < {k2} THEN {stamp} ELSE {stamp} END "
        "FROM (SELECT x.j, x.idx, x.k, x.kind, 2 + x.idx % 5 * 3 / 2 AS q, "
        "CASE WHEN x.kind = 'REVERSAL' THEN x.k - 1 ELSE x.k END AS pk FROM ("
        f"SELECT s.i - 1 AS j, (s.i - 1) % {holders} AS idx, (s.i - 1) / {holders} AS k, "
        f"CASE WHEN (s.i - 1) / {holders} = 0 THEN 'AWARD' "
        f"WHEN ((s.i - 1) / {holders} + (s.i - 1) % {holders}) % 10 = 5 THEN 'PENALTY' "
        f"WHEN ((s.i - 1) / {holders} + (s.i - 1) % {holders}) % 10 = 7 THEN 'REVERSAL' "
        f"ELSE 'AWARD' END AS kind FROM {_series(layout.holder_transactions, dialect)}) x) y "
        "JOIN bench_person p ON p.grp = 0 AND p.idx = y.idx "
        f"JOIN bench_rule r ON r.idx = (y.pk + y.idx) % {rules}",
        times,
    )
    # Other residents: awards only, a fifth of them in the previous quarter.
    others = layout.others
    first = layout.holder_transactions
    await execute(
        "transactions (others)",
        f"INSERT INTO points_transaction ({columns}) "
        f"SELECT {first} + s.i, 'AWARD', p.person_id, p.community_id, p.community_path, "
        "r.rule_id, r.dimension, r.points, r.points, "
        f"CASE WHEN s.i % 5 = 0 THEN '{previous}' ELSE '{current}' END, 0, 'bench', "
        f"'{LEDGER_SOURCE}', NULL, CASE WHEN s.i % 5 = 0 THEN {stamp} ELSE {stamp} END "
        f"FROM {_series(layout.transactions - first, dialect)} "
        f"JOIN bench_person p ON p.grp = 1 AND p.idx = (s.i - 1) % {others} "
        f"JOIN bench_rule r ON r.idx = ((s.i - 1) / {others} + p.idx) % {rules}",
        times[1:],
    )
    # Entries: the person side (2 id - 1) and the pool side (2 id), running balances.
    entry_columns = (
        "id, transaction_id, account_id, points, balance_after, kind, rule_id, dimension, "
        "reason, source_type, created_at"
    )
    for offset, account, sign, partition in (
        (1, "p.account_id", "", "t.person_id"),
        (0, "p.pool_id", "-", "t.community_id"),
    ):
        await execute(
            "entries",
            f"INSERT INTO points_entry ({entry_columns}) "
            f"SELECT 2 * t.id - {offset}, t.id, {account}, {sign}t.points, "
            f"SUM({sign}t.points) OVER (PARTITION BY {partition} ORDER BY t.id "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), "
            "t.kind, t.rule_id, t.dimension, t.reason, t.source_type, t.created_at "
            "FROM points_transaction t JOIN bench_person p ON p.person_id = t.person_id",
            [],
        )
    at = [now]
    balance = "COALESCE((SELECT SUM(e.points) FROM points_entry e WHERE e.account_id = {}), 0)"
    await execute(
        "accounts",
        "INSERT INTO points_account (id, kind, person_id, area_id, name, balance, held, "
        f"created_at) SELECT p.account_id, 'PERSON', p.person_id, NULL, "
        f"'person:' || p.person_id, {balance.format('p.account_id')}, 0, {stamp} "
        "FROM bench_person p",
        at,
    )
    await execute(
        "accounts",
        "INSERT INTO points_account (id, kind, person_id, area_id, name, balance, held, "
        f"created_at) SELECT q.pool_id, 'POOL', NULL, q.community_id, 'pool', "
        f"{balance.format('q.pool_id')}, 0, {stamp} "
        "FROM (SELECT DISTINCT pool_id, community_id FROM bench_person) q",
        at,
    )
    # One never-expiring lot per person holding the whole balance (lots sum to balance - held).
    # A grouped join, not a correlated MIN(id): PostgreSQL would answer that by walking the
    # primary key until the person's first row, once per person.
    await execute(
        "lots",
        "INSERT INTO points_lot (account_id, transaction_id, points, remaining, expires_at, "
        "created_at) SELECT a.id, f.first_id, a.balance, a.balance, NULL, "
        f"{stamp} FROM points_account a JOIN (SELECT person_id, MIN(id) AS first_id "
        "FROM points_transaction GROUP BY person_id) f ON f.person_id = a.person_id "
        "WHERE a.kind = 'PERSON' AND a.balance > 0",
        at,
    )
    await execute(
        "evaluation credit",
        "INSERT INTO evaluation_credit (person_id, period, dimension, points) "
        "SELECT person_id, period, dimension, SUM(credit) FROM points_transaction "
        "WHERE dimension IS NOT NULL GROUP BY person_id, period, dimension",
        [],
    )


# --- the runs -------------------------------------------------------------------------------


@dataclass
class QuarterRun:
    """Figures of one quarter opened, scored and published."""

    quarter: str
    period_id: int = 0
    open_seconds: float = 0.0
    score_seconds: float = 0.0
    publish_seconds: float = 0.0
    open_phase: Phase = field(default_factory=Phase)
    score_phase: Phase = field(default_factory=Phase)
    publish_phase: Phase = field(default_factory=Phase)
    phase_peak_rss: float | None = None  # MiB, VmHWM over scoring + publishing
    tracemalloc_peak: float | None = None  # MiB
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return self.open_seconds + self.score_seconds + self.publish_seconds


async def run_quarter(
    built: Built, quarter: str, *, trace_memory: bool = False, reset_rss: bool = False
) -> QuarterRun:
    """Open, score and publish `quarter` for the street as its admin, through the services."""
    from services import accounts, evaluation

    actor = await accounts.load_actor(account_id=built.admin_account_id)
    assert actor is not None
    raw = await _sqlite_raw()
    run = QuarterRun(quarter)
    async with counting(run.open_phase, raw):
        started = time.perf_counter()
        period = await evaluation.open_period(actor=actor, area_id=built.street_id, quarter=quarter)
        run.open_seconds = time.perf_counter() - started
    run.period_id = period.id
    if reset_rss:
        reset_peak_rss()
    if trace_memory:
        tracemalloc.start()
    async with counting(run.score_phase, raw):
        started = time.perf_counter()
        await evaluation.start_scoring(actor=actor, period_id=period.id)
        run.score_seconds = time.perf_counter() - started
    async with counting(run.publish_phase, raw):
        started = time.perf_counter()
        published = await evaluation.publish_period(actor=actor, period_id=period.id)
        run.publish_seconds = time.perf_counter() - started
    if trace_memory:
        run.tracemalloc_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    if reset_rss:
        run.phase_peak_rss = peak_rss_mib()
    assert published.status.value == "PUBLISHED", published.status
    run.rows = await _row_counts(period.id)
    return run


async def _row_counts(period_id: int) -> dict[str, int]:
    from services.kit import db

    counts = {}
    for name, sql in (
        ("results", "SELECT COUNT(*) AS n FROM evaluation_result WHERE period_id = ?"),
        (
            "poor results",
            "SELECT COUNT(*) AS n FROM evaluation_result WHERE period_id = ? AND poor = TRUE",
        ),
        ("area evaluations", "SELECT COUNT(*) AS n FROM area_evaluation WHERE period_id = ?"),
        ("honours", "SELECT COUNT(*) AS n FROM evaluation_honour WHERE period_id = ?"),
        (
            "honour transactions",
            "SELECT COUNT(transaction_id) AS n FROM evaluation_honour WHERE period_id = ?",
        ),
        ("exit reviews", "SELECT COUNT(*) AS n FROM exit_review WHERE period_id = ?"),
    ):
        counts[name] = int((await db.fetch(sql, [period_id]))[0]["n"])
    return counts


async def checks(run: QuarterRun, layout: Layout) -> list[tuple[bool, str]]:
    """Are the figures plausible? (ok, what was checked)."""
    from services import points
    from services.kit import db

    period = run.period_id
    out: list[tuple[bool, str]] = []
    results = run.rows["results"]
    out.append((results == layout.holders, f"{results:,} results for {layout.holders:,} holders"))
    for scope in ("community", "street"):
        bad = await db.fetch(
            f"SELECT {scope}_id, role, COUNT(*) AS n, MIN({scope}_rank) AS lo, "
            f"MAX({scope}_rank) AS hi, COUNT(DISTINCT {scope}_rank) AS d FROM evaluation_result "
            f"WHERE period_id = ? GROUP BY {scope}_id, role",
            [period],
        )
        wrong = [r for r in bad if not (r["lo"] == 1 and r["hi"] == r["n"] == r["d"])]
        out.append(
            (
                not wrong and bool(bad),
                f"{scope} ranks are 1..n without gaps or ties in each of the {len(bad)} "
                f"({scope}, role) groups" + (f"; wrong: {wrong[:3]}" if wrong else ""),
            )
        )
    spread = (
        await db.fetch(
            "SELECT MIN(total) AS lo, MAX(total) AS hi, AVG(total) AS mean, "
            "SUM(CASE WHEN trained THEN 1 ELSE 0 END) AS trained "
            "FROM evaluation_result WHERE period_id = ?",
            [period],
        )
    )[0]
    lo, hi = int(spread["lo"]), int(spread["hi"])
    out.append(
        (
            0 <= lo < hi <= 10_000,
            f"totals spread over {lo / 100:.2f}..{hi / 100:.2f} (mean "
            f"{float(spread['mean']) / 100:.2f}) out of 100",
        )
    )
    trained = int(spread["trained"])
    out.append((0 < trained < results, f"{trained:,} holders trained this year"))
    areas = run.rows["area evaluations"]
    expected = layout.grids + layout.micro_grids
    out.append((areas == expected, f"{areas:,} area evaluations for {expected:,} areas"))
    honours, most = run.rows["honours"], layout.communities * 6
    out.append((0 < honours <= most, f"{honours} honours (at most {most}: 1+2+3 a community)"))
    paid = run.rows["honour transactions"]
    out.append((paid > 0, f"{paid} honour bonuses posted through the ledger"))
    started = time.perf_counter()
    report = await points.verify()
    out.append(
        (
            report.ok,
            f"services.points.verify() after publishing: {'ok' if report.ok else 'DRIFT'} "
            f"({report.entries:,} entries, {time.perf_counter() - started:.1f} s)"
            + ("" if report.ok else ": " + "; ".join(report.lines())),
        )
    )
    return out


async def in_context(url: str, work: Any) -> Any:
    """Run `work()` with Tortoise initialised on `url`."""
    from tortoise.context import TortoiseContext

    from services.kit import db

    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        return await work()


def copy_database(url: str, workdir: Path, dialect: str) -> str:
    """A copy of the (closed) database, for the tracemalloc run; its URL."""
    if dialect == "sqlite":
        source = Path(url.removeprefix("sqlite://"))
        target = workdir / "copy.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
        return f"sqlite://{target}"
    return asyncio.run(_copy_postgres(url))


async def _copy_postgres(url: str) -> str:
    import asyncpg  # type: ignore[import-untyped]

    from bench.prepare import _asyncpg_url, postgres_name

    name = postgres_name(url)
    copy = f"{name}_copy"
    conn = await asyncpg.connect(_asyncpg_url(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    finally:
        await conn.close()
    return url.rsplit("/", 1)[0] + f"/{copy}"


@dataclass
class Outcome:
    """Everything measured."""

    layout: Layout
    built: Built
    warmup: QuarterRun
    measured: QuarterRun
    memory: QuarterRun | None
    checks: list[tuple[bool, str]]
    maxrss: float


def run(options: Options, workdir: Path) -> Outcome:
    """Build, warm up, measure, check; drops the PostgreSQL databases at the end."""
    from bench.prepare import drop_postgres, recreate_postgres

    layout = Layout(options.holders, options.entries)
    now = clock.now()
    _, previous, current = quarters(now)
    urls: list[str] = []
    if options.database == "postgres":
        url = os.environ.get("BENCH_EVALUATION_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
        urls.append(url)
    else:
        url = f"sqlite://{workdir}/bench.sqlite3"
    try:
        print(f"[evaluation] building {options.database} ...", flush=True)
        built = asyncio.run(build(url, layout, now))
        print(
            f"[evaluation] built in {built.seconds:.1f} s ({built.engine}): "
            + ", ".join(f"{k} {v:,}" for k, v in built.counts.items()),
            flush=True,
        )
        print(
            "[evaluation] build steps: "
            + ", ".join(f"{k} {v:.1f} s" for k, v in built.steps.items()),
            flush=True,
        )

        def show(label: str, r: QuarterRun) -> None:
            print(
                f"[evaluation] {label} {r.quarter}: open {r.open_seconds:.2f} s, score "
                f"{r.score_seconds:.2f} s ({r.score_phase.statements} statements), publish "
                f"{r.publish_seconds:.2f} s ({r.publish_phase.statements} statements); "
                + ", ".join(f"{k} {v:,}" for k, v in r.rows.items()),
                flush=True,
            )

        warmup = asyncio.run(in_context(url, lambda: run_quarter(built, previous)))
        show("warm-up", warmup)
        copy = copy_database(url, workdir, options.database) if options.memory_run else None
        if copy is not None and options.database == "postgres":
            urls.append(copy)

        async def measure() -> tuple[QuarterRun, list[tuple[bool, str]]]:
            measured = await run_quarter(built, current, reset_rss=True)
            show("measured", measured)
            return measured, await checks(measured, layout)

        measured, found = asyncio.run(in_context(url, measure))
        for ok, text in found:
            print(f"[evaluation] {'ok' if ok else 'FAILED'}: {text}", flush=True)
        memory = None
        if copy is not None:
            memory = asyncio.run(
                in_context(copy, lambda: run_quarter(built, current, trace_memory=True))
            )
            print(
                f"[evaluation] tracemalloc run: peak {memory.tracemalloc_peak:.1f} MiB "
                f"(score {memory.score_seconds:.2f} s, publish {memory.publish_seconds:.2f} s "
                "under tracemalloc)",
                flush=True,
            )
        return Outcome(layout, built, warmup, measured, memory, found, maxrss_mib())
    finally:
        for each in urls:
            try:
                asyncio.run(drop_postgres(each))
            except Exception as exc:  # cleanup must not hide the real error
                print(f"[evaluation] could not drop {each}: {exc}", file=sys.stderr)


# --- report ---------------------------------------------------------------------------------


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f} MiB"


def report(outcome: Outcome, options: Options, started: datetime) -> str:
    """The markdown report."""
    layout, built, m = outcome.layout, outcome.built, outcome.measured
    score_publish = m.score_seconds + m.publish_seconds
    verdict = "met" if m.total_seconds < TARGET_SECONDS else "NOT met"
    counts = built.counts
    lines = [
        f"# Gridpoints evaluation benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}.",
        f"- Database: {built.engine}"
        + (
            " (WAL file in a temp dir, no ANALYZE)."
            if options.database == "sqlite"
            else " on loopback (ANALYZEd after the bulk load)."
        ),
        f"- Street: {layout.holders:,} evaluated role holders ({layout.grids} grid leaders, "
        f"{layout.micro_grids:,} micro-grid leaders, {layout.centrals:,} central households) "
        f"in {layout.communities} communities; {counts['household']:,} households, "
        f"{counts['person']:,} people.",
        f"- Ledger: {counts['points_entry']:,} entries, {counts['points_transaction']:,} "
        f"transactions (awards, penalties, reversals; {HOLDER_SHARE:.0%} to the holders), "
        f"{counts['evaluation_credit']:,} evaluation credit rows; "
        f"{counts['training_attendance']:,} training attendances. Built with bulk SQL in "
        f"{built.seconds:.1f} s.",
        f"- Run: as the street admin, through `services.evaluation`; the previous quarter "
        f"({outcome.warmup.quarter}) is opened, scored and published first (warm-up, and the "
        f"predecessor dynamic exit looks at), then {m.quarter} is measured.",
        "",
        "## Results",
        "",
        f"Target: open + score + publish under {TARGET_SECONDS:g} s on SQLite. "
        f"This run ({options.database}): **{m.total_seconds:.2f} s** ({verdict}).",
        "",
        "| quarter | open s | score s | publish s | total s | statements open / score / "
        "publish | results | area evaluations | honours | exit reviews |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for label, r in (("measured", m), ("warm-up", outcome.warmup)):
        lines.append(
            f"| {r.quarter} ({label}) | {r.open_seconds:.2f} | {r.score_seconds:.2f} "
            f"| {r.publish_seconds:.2f} | **{r.total_seconds:.2f}** "
            f"| {r.open_phase.statements} / {r.score_phase.statements} / "
            f"{r.publish_phase.statements} | {r.rows['results']:,} "
            f"| {r.rows['area evaluations']:,} | {r.rows['honours']} | {r.rows['exit reviews']:,} |"
        )
    memory = outcome.memory
    lines += [
        "",
        "## Memory",
        "",
        f"- Peak RSS during scoring + publishing (VmHWM reset before scoring): "
        f"{_mib(m.phase_peak_rss)}.",
        f"- ru_maxrss of the process (the build included): {_mib(outcome.maxrss)}.",
    ]
    if memory is not None:
        lines.append(
            f"- tracemalloc peak over scoring + publishing: **{_mib(memory.tracemalloc_peak)}** "
            f"(a second run of {memory.quarter} on a copy of the database made before the "
            f"measured run; under tracemalloc it took {memory.score_seconds:.2f} s + "
            f"{memory.publish_seconds:.2f} s, against {score_publish:.2f} s without)."
        )
    lines += ["", "## Statements", ""]
    for name, phase in (
        ("open", m.open_phase),
        ("score", m.score_phase),
        ("publish", m.publish_phase),
    ):
        traced = (
            f"; sqlite3 trace: {phase.traced} (engine level: BEGIN/COMMIT/SAVEPOINT and "
            "every row of an executemany included)"
            if phase.traced is not None
            else ""
        )
        lines += [f"**{name}**: {phase.statements} statements{traced}", ""]
        lines += ["| count | statement |", "|--:|---|"]
        lines += [
            f"| {n} | `{shape.replace('|', '¦')}` |" for shape, n in phase.shapes.most_common(12)
        ]
        if len(phase.shapes) > 12:
            lines.append(f"| … | {len(phase.shapes) - 12} more shapes |")
        lines.append("")
    lines += [
        "Counted on the `tortoise.db_client` logger (every statement Tortoise sends, raw SQL "
        "included), as tests/schema/test_statement_count.py does. Multi-row INSERTs of results "
        "are one statement per 400 rows.",
        "",
        "## Checks",
        "",
    ]
    lines += [f"- {'ok' if ok else '**FAILED**'}: {text}" for ok, text in outcome.checks]
    return "\n".join(lines) + "\n"


class _TimedOut(KeyboardInterrupt):
    """The --timeout alarm (a KeyboardInterrupt, so asyncio unwinds as on Ctrl-C)."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGALRM:
        raise _TimedOut
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    """Entry point of `python -m bench evaluation`."""
    options = Options.parse(argv)
    started = clock.now()
    # The services' settings (an account is made): dev mode, a throwaway secret.
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secrets.token_urlsafe(48))
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGALRM, _interrupt)
    signal.alarm(int(options.timeout))
    workdir = Path(tempfile.mkdtemp(prefix="gridpoints-bench-evaluation-"))
    try:
        outcome = run(options, workdir)
    except KeyboardInterrupt as exc:
        what = f"timed out after {options.timeout:g} s" if isinstance(exc, _TimedOut) else "stopped"
        print(f"\n[evaluation] {what}; cleaning up", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        if options.keep:
            print(f"[evaluation] kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(outcome, options, started)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"evaluation-{started:%Y%m%d-%H%M%S}-{options.database}.md"
    path.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {path}")
    failed = [text for ok, text in outcome.checks if not ok]
    return 1 if failed else 0
