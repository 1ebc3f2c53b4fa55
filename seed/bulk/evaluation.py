"""The evaluation benchmark's street (`python -m bench evaluation`), bulk-loaded with SQL.

One district, one street, `holders / 500` communities of 8 grids of 8 micro-grids, households
(central households live in their micro-grid and look after three neighbours each), one open
role per holder, a few points rules, `entries / 2` balanced transactions (awards, penalties,
reversals; most in the current quarter, some in the two before; 90 % to the holders, the rest
to other residents) with their entries (running balances), the accounts, lots and evaluation
credit that `services.points.verify` expects, training sessions and attendance, and each
community's detailed rules (through `services.evaluation.update_scheme`).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from seed.bulk.chain import seal_chains
from seed.bulk.sql import insert_rows, series

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


@dataclass
class Built:
    """What the build made."""

    street_id: int
    admin_account_id: int
    counts: dict[str, int]
    seconds: float
    engine: str
    steps: dict[str, float]  # seconds per step of the build


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
        f"ELSE 'AWARD' END AS kind FROM {series(layout.holder_transactions, dialect)}) x) y "
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
        f"FROM {series(layout.transactions - first, dialect)} "
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
    started = time.perf_counter()
    await seal_chains()
    steps["hash chains"] = steps.get("hash chains", 0.0) + time.perf_counter() - started
