"""`python -m bench points`: the points ledger and marketplace through the HTTP API, under load.

On a fresh demo database (SQLite or PostgreSQL) it measures, against the real server
(`api.app:create_app` under uvicorn, one worker, as the read benchmark runs it):

- awards/s: `awardPoints` by a community admin to volunteers in turn, each with its own
  idempotency key (every request is a new award);
- redemptions/s: `redeemReward` of a reward with a large stock, by many funded volunteers in
  turn, each with its own key (every request holds points and an item);
- `viewer { pointsAccount { balance } }` latency on a small ledger, and again after bulk-loading
  `--entries` ledger entries (default 1,000,000) onto that viewer's account with raw SQL (with
  their transactions, a lot and consistent cached balances).

A request counts only when its body holds the mutation's success type, so a typed refusal is an
error here. The ledger is verified (`services.points.verify`) after the writes and after the bulk
load. Prints a markdown report and writes it to bench/results/<timestamp>-points-<database>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench.servers import CHILDREN, Server, run_load_process, server_env
from seed.bulk.points import bulk_load
from services.kit import clock

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench"
FUND_RULE = "BENCH_FUND"  # 10,000 points a unit: funds the redeemers in setup
TASK_RULE = "BENCH_TASK"  # 1 point: what the awards run grants
# Requests prepared per write run, per second of it: above what one worker reaches.
REQUESTS_PER_SECOND = 1500

AWARD_MUTATION = """
mutation BenchAward($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess { award { id points } }
    ... on Error { code message }
  }
}
"""

REDEEM_MUTATION = """
mutation BenchRedeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RedeemRewardSuccess { redemption { id pointsSpent } }
    ... on Error { code message }
  }
}
"""

BALANCE_QUERY = "query BenchBalance { viewer { pointsAccount { balance } } }"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench points",
        description="Awards/s, redemptions/s and balance latency through the GraphQL API.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--duration", type=float, default=None, help="seconds per run (10)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before each run (2)")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop workers (32)")
    parser.add_argument("--people", type=int, default=50, help="funded volunteers (50)")
    parser.add_argument(
        "--entries",
        type=int,
        default=None,
        help="ledger entries bulk-loaded for the large-ledger read (1,000,000; 100,000 --quick)",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s runs, 100k entries")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write .md")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (prints where)")
    return parser


@dataclass
class Options:
    """The resolved command line."""

    database: str
    duration: float
    warmup: float
    concurrency: int
    people: int
    entries: int
    results_dir: Path
    keep: bool

    @classmethod
    def parse(cls, argv: list[str]) -> Options:
        args = _parser().parse_args(argv)
        options = cls(
            database=args.database,
            duration=args.duration or (2.0 if args.quick else 10.0),
            warmup=args.warmup if args.warmup is not None else (0.5 if args.quick else 2.0),
            concurrency=args.concurrency,
            people=args.people,
            entries=args.entries or (100_000 if args.quick else 1_000_000),
            results_dir=args.results_dir,
            keep=args.keep,
        )
        if not 1 <= options.concurrency <= 1024 or not 0 < options.duration <= 600:
            raise SystemExit("--concurrency must be 1..1024 and --duration 0..600 seconds")
        if not 1 <= options.people <= 1000:
            raise SystemExit("--people must be 1..1000")
        if not 2 <= options.entries <= 10_000_000 or options.entries % 2:
            raise SystemExit("--entries must be an even number from 2 to 10,000,000")
        return options


@dataclass(frozen=True)
class Setup:
    """What the load needs: who signs in, whom to award, what to redeem."""

    admin_token: str
    person_ids: list[int]
    tokens: list[str]  # of the people, in the same order
    reward_id: int
    seconds: float
    engine: str


def global_id(type_name: str, key: int) -> str:
    """A Relay global id as the schema writes it."""
    from bench.queries import global_id as encode

    return encode(type_name, key)


async def _sign_in(username: str, password: str) -> str:
    from services import accounts

    return (await accounts.login(username=username, password=password, client="bench")).access_token


async def setup(url: str, people: int) -> Setup:
    """Seed the demo district (seed/bulk/district.py), then through the services: the rules, a
    reward with a large stock, `people` volunteers of the community funded with 1,000,000 points
    each, and everyone's access token."""
    from tortoise.context import TortoiseContext

    from seed.bulk.district import BENCH_PASSWORD, BENCH_USER, prepare
    from services import accounts, market, points
    from services.enums import Dimension, RewardCategory, Role
    from services.kit import db
    from services.market.rewards import MAX_STOCK
    from services.models import UserAccount
    from services.people import assign_role

    prepared = await prepare(url, households=None)
    started = time.perf_counter()
    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        district = await accounts.load_actor(
            account_id=(await UserAccount.get(username="bench_district")).id
        )
        admin = await accounts.load_actor(
            account_id=(await UserAccount.get(username=BENCH_USER)).id
        )
        assert district is not None and admin is not None
        for code, each in ((FUND_RULE, 10_000), (TASK_RULE, 1)):
            await points.create_rule(
                actor=district,
                code=code,
                area_id=None,
                data=points.RuleInput(
                    name=f"{code} 基准", dimension=Dimension.VOLUNTEER_SERVICE, points=each
                ),
            )
        reward = await market.create_reward(
            actor=admin,
            area_id=prepared.community_id,
            stock=MAX_STOCK,
            provider_unit_id=None,
            data=market.RewardInput(name="基准奖品", category=RewardCategory.GOODS, price_points=1),
        )

        async def volunteer(i: int) -> tuple[int, str]:
            username = f"bench_volunteer_{i:04d}"
            account = await accounts.create_account(
                username=username, password=BENCH_PASSWORD, name=f"基准志愿者{i}", phone=None
            )
            await assign_role(
                actor=admin,
                person_id=account.person_id,
                role=Role.VOLUNTEER,
                area_id=prepared.community_id,
            )
            await points.award_points(
                actor=admin,
                person_id=account.person_id,
                rule_code=FUND_RULE,
                quantity=100,
                reason="基准预存",
                source=None,
                idempotency_key=uuid.uuid4().hex,
            )
            return account.person_id, await _sign_in(username, BENCH_PASSWORD)

        made: list[tuple[int, str]] = []
        for start in range(0, people, 8):  # argon2 runs in threads: a few at a time
            made += await asyncio.gather(
                *(volunteer(i) for i in range(start, min(start + 8, people)))
            )
        return Setup(
            admin_token=await _sign_in(BENCH_USER, BENCH_PASSWORD),
            person_ids=[p for p, _ in made],
            tokens=[t for _, t in made],
            reward_id=reward.id,
            seconds=time.perf_counter() - started,
            engine=prepared.engine,
        )


async def ledger_size(url: str) -> tuple[int, int]:
    """(entries, transactions) in the ledger."""
    from tortoise.context import TortoiseContext

    from services.kit import db

    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        entries = await db.fetch("SELECT COUNT(*) AS n FROM points_entry", [])
        transactions = await db.fetch("SELECT COUNT(*) AS n FROM points_transaction", [])
        return int(entries[0]["n"]), int(transactions[0]["n"])


async def verified(url: str) -> tuple[bool, list[str], float]:
    """services.points.verify on the database: (ok, its lines, seconds it took)."""
    from tortoise.context import TortoiseContext

    from services import points
    from services.kit import db

    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        started = time.perf_counter()
        report = await points.verify()
        return report.ok, report.lines(), time.perf_counter() - started


def _write_requests(path: Path, items: list[dict[str, Any]]) -> str:
    path.write_text(json.dumps(items), encoding="utf-8")
    return str(path)


def award_requests(path: Path, setup_: Setup, count: int) -> str:
    """`count` awardPoints requests by the admin, to the people in turn, each its own key."""
    items = [
        {
            "body": json.dumps(
                {
                    "query": AWARD_MUTATION,
                    "variables": {
                        "input": {
                            "personId": global_id(
                                "Person", setup_.person_ids[i % len(setup_.person_ids)]
                            ),
                            "ruleCode": TASK_RULE,
                            "quantity": 1,
                            "reason": "基准任务",
                            "idempotencyKey": f"bench-award-{i}-{uuid.uuid4().hex[:8]}",
                        }
                    },
                }
            ),
            "headers": {"Authorization": f"Bearer {setup_.admin_token}"},
        }
        for i in range(count)
    ]
    return _write_requests(path, items)


def redeem_requests(path: Path, setup_: Setup, count: int) -> str:
    """`count` redeemReward requests, by the people in turn, one item each, each its own key."""
    reward = global_id("Reward", setup_.reward_id)
    items = [
        {
            "body": json.dumps(
                {
                    "query": REDEEM_MUTATION,
                    "variables": {
                        "input": {
                            "rewardId": reward,
                            "quantity": 1,
                            "idempotencyKey": f"bench-redeem-{i}-{uuid.uuid4().hex[:8]}",
                        }
                    },
                }
            ),
            "headers": {"Authorization": f"Bearer {setup_.tokens[i % len(setup_.tokens)]}"},
        }
        for i in range(count)
    ]
    return _write_requests(path, items)


def load(
    server: Server,
    options: Options,
    *,
    body: str = "",
    token: str = "",
    requests_file: str | None = None,
    expect: str,
) -> dict[str, Any]:
    """One closed-loop run of bench.load against the server; its figures."""
    assert server.proc is not None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return run_load_process(
        {
            "url": server.base + "/graphql",
            "method": "POST",
            "body": body,
            "headers": headers,
            "concurrency": options.concurrency,
            "duration": options.duration,
            "warmup": options.warmup,
            "client": "raw",
            "watch_pid": server.proc.pid,
            "requests_file": requests_file,
            "expect": expect,
        }
    )


@dataclass
class Row:
    """One measured line of the report."""

    name: str
    figure: dict[str, Any]
    note: str = ""


@dataclass
class Outcome:
    """Everything measured on one database."""

    setup: Setup
    rows: list[Row] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    bulk_seconds: float = 0.0


def _others(figure: dict[str, Any]) -> float:
    """CPU (cores) of everything but the server and the load generator in the window."""
    busy = float(figure["machine_cpu"]) - float(figure["server_cpu"]) - float(figure["client_cpu"])
    return max(0.0, busy)


def _print_figure(name: str, figure: dict[str, Any]) -> None:
    print(
        f"  {name}: {figure['rps']:.0f}/s, p50 {figure['p50_ms']:.1f} ms, "
        f"p99 {figure['p99_ms']:.1f} ms, {figure['errors']} errors"
        + (" (RAN OUT OF PREPARED REQUESTS)" if figure.get("exhausted") else "")
        + f", server CPU {figure['server_cpu']:.2f}, other processes {_others(figure):.2f}",
        flush=True,
    )
    for sample in figure["error_samples"][:2]:
        print(f"    error: {sample}", flush=True)


def run(options: Options, secret: str, workdir: Path) -> Outcome:
    """Build the database, run the scenarios, tear the server down."""
    from bench.prepare import drop_postgres, recreate_postgres

    if options.database == "postgres":
        url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
    else:
        url = f"sqlite://{workdir}/bench.sqlite3"
    server: Server | None = None
    try:
        print(
            f"[points] seeding {options.database} and {options.people} volunteers ...", flush=True
        )
        made = asyncio.run(setup(url, options.people))
        outcome = Outcome(made)
        print(f"[points] set up in {made.seconds:.1f} s ({made.engine})", flush=True)
        env = server_env(url, secret)
        per_run = int(REQUESTS_PER_SECOND * (options.warmup + options.duration)) + 1000

        def start() -> Server:
            fresh = Server("GraphQL", "api.app:create_app", env, workdir / "graphql.log")
            fresh.start()
            fresh.wait_healthy()
            return fresh

        balance_body = json.dumps({"query": BALANCE_QUERY, "variables": {}})
        viewer_token = made.tokens[0]
        server = start()
        entries, _ = asyncio.run(ledger_size(url))
        figure = load(server, options, body=balance_body, token=viewer_token, expect='"balance"')
        outcome.rows.append(Row("viewer balance, small ledger", figure, f"{entries:,} entries"))
        _print_figure(outcome.rows[-1].name, figure)

        requests = award_requests(workdir / "awards.json", made, per_run)
        figure = load(server, options, requests_file=requests, expect="AwardPointsSuccess")
        outcome.rows.append(Row("awardPoints", figure, "distinct keys, 1 point each"))
        _print_figure(outcome.rows[-1].name, figure)

        requests = redeem_requests(workdir / "redemptions.json", made, per_run)
        figure = load(server, options, requests_file=requests, expect="RedeemRewardSuccess")
        outcome.rows.append(Row("redeemReward", figure, f"{options.people} redeemers, 1 item each"))
        _print_figure(outcome.rows[-1].name, figure)
        server.stop()
        server = None

        ok, lines, seconds = asyncio.run(verified(url))
        outcome.checks.append(
            f"after the writes: verify() {'ok' if ok else 'FAILED'} ({seconds:.1f} s)"
            + ("" if ok else ": " + "; ".join(lines))
        )
        print(f"[points] {outcome.checks[-1]}", flush=True)

        print(f"[points] bulk-loading {options.entries:,} entries ...", flush=True)
        outcome.bulk_seconds = asyncio.run(bulk_load(url, made.person_ids[0], options.entries))
        entries, transactions = asyncio.run(ledger_size(url))
        print(
            f"[points] loaded in {outcome.bulk_seconds:.1f} s: {entries:,} entries, "
            f"{transactions:,} transactions",
            flush=True,
        )
        server = start()
        figure = load(server, options, body=balance_body, token=viewer_token, expect='"balance"')
        outcome.rows.append(
            Row(
                "viewer balance, large ledger",
                figure,
                f"{entries:,} entries, {options.entries // 2:,} of them on this account",
            )
        )
        _print_figure(outcome.rows[-1].name, figure)
        # The same read by another volunteer in the same server session: a small account in
        # the large database, a baseline measured under the same conditions.
        figure = load(server, options, body=balance_body, token=made.tokens[-1], expect='"balance"')
        outcome.rows.append(
            Row("viewer balance, large ledger, other account", figure, "a few entries on it")
        )
        _print_figure(outcome.rows[-1].name, figure)
        server.stop()
        server = None

        ok, lines, seconds = asyncio.run(verified(url))
        outcome.checks.append(
            f"after the bulk load: verify() {'ok' if ok else 'FAILED'} ({seconds:.1f} s)"
            + ("" if ok else ": " + "; ".join(lines))
        )
        print(f"[points] {outcome.checks[-1]}", flush=True)
        return outcome
    finally:
        if server is not None:
            server.stop()
        if options.database == "postgres":
            try:
                asyncio.run(drop_postgres(url))
            except Exception as exc:  # cleanup must not hide the real error
                print(f"[points] could not drop the database: {exc}", file=sys.stderr)


def report(outcome: Outcome, options: Options, started: datetime) -> str:
    """The markdown report."""
    lines = [
        f"# Gridpoints points benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}.",
        f"- Database: {outcome.setup.engine}"
        + (" (WAL file in a temp dir)." if options.database == "sqlite" else " on loopback."),
        "- Server: `python -m uvicorn --factory api.app:create_app`, one worker, on 127.0.0.1.",
        f"- Load: closed loop, {options.concurrency} connections (`bench.load`, raw client), "
        f"{options.warmup:g} s warm-up then {options.duration:g} s measured per run. A write "
        "counts only when its body holds the success type (a typed refusal is an error).",
        f"- Data: the demo district, {options.people} volunteers of 颜山社区 funded with "
        "1,000,000 points each (set up in "
        f"{outcome.setup.seconds:.1f} s); the large ledger adds {options.entries:,} entries "
        f"with raw SQL in {outcome.bulk_seconds:.1f} s.",
        "",
        "| operation | per second | p50 ms | p99 ms | errors | server CPU | per server CPU-s "
        "| other CPU | notes |",
        "|---|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in outcome.rows:
        f = row.figure
        note = row.note + ("; ran out of prepared requests" if f.get("exhausted") else "")
        cpu = float(f["server_cpu"])
        per_cpu = f"{float(f['rps']) / cpu:.0f}" if cpu > 0 else "n/a"
        lines.append(
            f"| {row.name} | {f['rps']:.0f} | {f['p50_ms']:.1f} | {f['p99_ms']:.1f} "
            f"| {f['errors']} | {f['server_cpu']:.2f} | {per_cpu} | {_others(f):.2f} | {note} |"
        )
    lines += [
        "",
        "CPU in cores (1.00 = one core busy): the server process, and every other process but the "
        "load generator (a PostgreSQL server's own work is there, and anything else running). "
        "*Per server CPU-s*: operations per CPU-second of the server process, steadier than "
        "the rate when other processes compete for the cores.",
        "",
        "## Checks",
        "",
    ] + [f"- {check}" for check in outcome.checks]
    return "\n".join(lines) + "\n"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    """Entry point of `python -m bench points`."""
    options = Options.parse(argv)
    secret = secrets.token_urlsafe(48)
    # Tokens are minted in this process: the servers' settings, before any are read (the
    # clock reads them too, so it comes after).
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secret, ACCESS_TOKEN_TTL_SECONDS="7200")
    started = clock.now()
    signal.signal(signal.SIGTERM, _interrupt)
    workdir = Path(tempfile.mkdtemp(prefix="gridpoints-bench-points-"))
    try:
        outcome = run(options, secret, workdir)
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the server", file=sys.stderr)
        return 130
    finally:
        CHILDREN.stop_all()
        if options.keep:
            print(f"[points] kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report(outcome, options, started)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"{started:%Y%m%d-%H%M%S}-points-{options.database}.md"
    path.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {path}")
    return 0
