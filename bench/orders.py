"""`python -m bench orders`: sustained order placement and dispatch through the HTTP API, with
live subscribers.

Issue 6 ("Proof"): orders/s on SQLite and PostgreSQL with 200 open subscriptions; dispatch must be
an indexed lookup.

1. **Build**: a fresh database (migrations, the demo district through the services, the bench
   admins: seed/bulk/district.py), then `--residents` residents bulk-inserted with raw SQL
   (seed/bulk/orders.py), each in a household of their own (3 in 4 in 颜山社区's micro-grids,
   the others spread over the rest of the district), each with an account, the RESIDENT role
   and a session. Every leader of 颜山社区 (community admins, grid and micro-grid leaders) gets
   an account if they have none and a session. Access tokens are minted in this process with
   the server's secret (the claims of services.accounts), so no password is hashed.
2. **Server**: the real one, `python -m api serve` (one worker: the broker is in-process,
   JOBS_INTERVAL_SECONDS=0), on a free loopback port.
3. **Runs** (httpx in this process, `--concurrency` requests in flight, residents in turn, the
   five request categories in turn): a warm-up, a baseline of `--orders` orders with no
   subscriber (unless `--no-baseline`), then `--subscribers` graphql-transport-ws WebSockets
   (`websockets`), each authenticated in `connection_init` and subscribed to
   `workOrderEvents(under:)` at the area of one of the leaders (round robin: the same person holds
   several connections), and `--orders` orders again. An order counts when the body holds
   `PlaceOrderSuccess`. Every event is timed as it arrives.
4. **Delivery**: each subscriber must receive exactly the dispatches into its subtree (an order
   dispatched to a micro-grid reaches the subscribers of the micro-grid, its grid and the
   community), once each; lag is the time from the HTTP response of an order to the arrival of
   its event (same process, same clock; negative when the event beats the response).
5. **Query plans**: the statements of one `placeOrder` request (authentication included, on the
   ASGI app in this process, counted on the `tortoise.db_client` logger) and of a subscriber's
   subscribe and read-back, each read explained on the bench database after the runs (SQLite
   `EXPLAIN QUERY PLAN`; PostgreSQL `EXPLAIN` after `ANALYZE`, and again with
   `enable_seqscan = off` for a table small enough that the planner prefers to read it whole).
   A full scan of a table fails the run.

Prints a markdown report and writes it to bench/results/orders-<timestamp>-<database>.md; the exit
code is 1 when a check fails (errors, deliveries missing or extra, a table scan).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.load import machine_busy_seconds, percentile, process_cpu_seconds
from bench.queries import global_id, parse_global_id
from bench.servers import CHILDREN, ROOT, Server, free_port
from seed.bulk.orders import COMMUNITY_SHARE, Follower, Resident, add_followers, add_residents
from services.kit import clock

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_orders"
CATEGORIES = ("WATER_ELECTRIC", "ELDERLY_CARE", "NEIGHBOUR_DISPUTE", "ERRAND", "POLICY_QUESTION")
WARMUP_ORDERS = 50
SETTLE_QUIET_SECONDS = 5.0  # no new event for this long after the last response: done
SETTLE_LIMIT_SECONDS = 120.0
DB_LOGGER = "tortoise.db_client"
PLACE_ORDER = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    __typename
    ... on PlaceOrderSuccess { workOrder { id status } }
    ... on Error { code message }
  }
}
"""
SUBSCRIPTION = """
subscription Follow($under: ID!) {
  workOrderEvents(under: $under) { action status workOrder { id status description acceptDue } }
}
"""
PROTOCOL = "graphql-transport-ws"
_GAUGE = re.compile(r'^gridpoints_live_subscriptions\{topic="WORK_ORDER"\} (\S+)$', re.M)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench orders",
        description="placeOrder orders/s and latency through the HTTP API with live subscribers; "
        "delivery counts and lag; query plans of dispatch.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--orders", type=int, default=2000, help="orders per run (2000)")
    parser.add_argument(
        "--duration",
        type=float,
        default=60.0,
        help="send no more orders after this many seconds of a run (60)",
    )
    parser.add_argument("--subscribers", type=int, default=200, help="WebSockets (200)")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight (16)")
    parser.add_argument("--residents", type=int, default=2000, help="residents placing (2000)")
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the run without subscribers"
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write .md")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file and server log")
    return parser


@dataclass
class Setup:
    """The built database: who places, who follows, and the sizes of the tables."""

    engine: str
    residents: list[Resident]
    followers: list[Follower]
    community_name: str
    micro_grids: int
    community_micro_grids: int
    seconds: float
    sizes: dict[str, int] = field(default_factory=dict)


@dataclass
class Run:
    """One run of orders: what was sent, what came back, what the subscribers received."""

    label: str
    subscribers: int
    sent: dict[str, float] = field(default_factory=dict)  # order id -> request sent
    answered: dict[str, float] = field(default_factory=dict)  # order id -> response read
    order_paths: dict[str, str] = field(default_factory=dict)  # order id -> micro-grid path
    latencies: list[float] = field(default_factory=list)  # ms, successful orders
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0  # last response
    settled: float = 0.0  # last event (or the last response without subscribers)
    server_cpu: float = 0.0
    bench_cpu: float = 0.0
    machine_cpu: float = 0.0
    # per subscriber: (order id, arrival) of each event received
    received: list[list[tuple[str, float]]] = field(default_factory=list)
    stream_errors: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])

    @property
    def orders(self) -> int:
        return len(self.answered)

    @property
    def rate(self) -> float:
        span = self.finished - self.started
        return self.orders / span if span > 0 else 0.0


# --- build -------------------------------------------------------------------------------------


async def _sizes() -> dict[str, int]:
    from services.kit import db

    sizes = {}
    for table in ("area", "household", "person", "user_account", "session", "role_assignment",
                  "work_order", "work_order_event", "work_order_category"):  # fmt: skip
        sizes[table] = int((await db.fetch(f"SELECT COUNT(*) AS n FROM {table}", []))[0]["n"])
    return sizes


async def build(url: str, options: argparse.Namespace) -> Setup:
    """The demo district, the residents and the leaders' sessions."""
    from tortoise import connections
    from tortoise.context import TortoiseContext

    from seed.bulk.district import prepare
    from services.kit import db
    from services.models import Area

    started = time.perf_counter()
    prepared = await prepare(url, households=None)
    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        community = await Area.get(id=prepared.community_id)
        residents = await add_residents(options.residents, community.path)
        followers = await add_followers(community.path)
        if db.dialect() == "postgres":
            await connections.get("default").execute_script("ANALYZE")
        sizes = await _sizes()
    return Setup(
        engine=prepared.engine,
        residents=residents,
        followers=followers,
        community_name=prepared.community_name,
        micro_grids=prepared.micro_grids,
        community_micro_grids=prepared.community_micro_grids,
        seconds=time.perf_counter() - started,
        sizes=sizes,
    )


# --- the server --------------------------------------------------------------------------------


class ApiServer(Server):
    """`python -m api serve`: the command operators run (migrations are already applied)."""

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.proc = CHILDREN.start(
                [sys.executable, "-m", "api", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )


def api_env(url: str, secret: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UVICORN_", "WEB_"))}
    env.update(
        DATABASE_URL=url,
        ENVIRONMENT="dev",
        JWT_SECRET=secret,
        HOST="127.0.0.1",
        PORT=str(port),
        WORKERS="1",
        JOBS_INTERVAL_SECONDS="0",
        SEED_DEMO="false",
        LOG_LEVEL="WARNING",  # no access log line per request
        EVENTS_REDIS_URL="",
        # Load from one address: the per-client budget over time would refuse most of it (the
        # per-operation cost limits still apply).
        THROTTLE_ENABLED="false",
        PYTHONPATH=str(ROOT),
    )
    return env


# --- load --------------------------------------------------------------------------------------


async def _place(
    http: Any,
    residents: list[Resident],
    count: int,
    concurrency: int,
    run: Run,
    duration: float = float("inf"),
) -> None:
    """`count` orders by the residents in turn, `concurrency` in flight; none is sent after
    `duration` seconds."""
    issued = 0
    deadline = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal issued
        while issued < count and time.perf_counter() < deadline:
            n = issued
            issued += 1
            resident = residents[n % len(residents)]
            body = {
                "query": PLACE_ORDER,
                "variables": {
                    "input": {
                        "category": CATEGORIES[n % len(CATEGORIES)],
                        "description": f"基准工单 {run.label} {n}: 楼道灯不亮",
                    }
                },
            }
            sent = time.perf_counter()
            try:
                response = await http.post(
                    "/graphql", json=body, headers={"Authorization": f"Bearer {resident.token}"}
                )
            except Exception as exc:  # a connection failure is a failed order
                run.error(f"{type(exc).__name__}: {exc}")
                continue
            answered = time.perf_counter()
            try:
                data = response.json()
                result = data["data"]["placeOrder"]
                ok = response.status_code == 200 and result["__typename"] == "PlaceOrderSuccess"
            except (ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                run.error(f"HTTP {response.status_code} {response.text}")
                continue
            key = str(result["workOrder"]["id"])
            run.sent[key] = sent
            run.answered[key] = answered
            run.order_paths[key] = resident.path
            run.latencies.append((answered - sent) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


class Stream:
    """One WebSocket with one `workOrderEvents` subscription."""

    def __init__(self, base: str, follower: Follower, sink: list[tuple[str, float]]) -> None:
        self.url = base.replace("http://", "ws://", 1) + "/graphql"
        self.follower = follower
        self.sink = sink
        self.problem: str | None = None
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        from websockets.asyncio.client import connect

        try:
            async with connect(
                self.url,
                subprotocols=[PROTOCOL],  # type: ignore[list-item]
                open_timeout=60,
                max_queue=None,
                ping_interval=None,
            ) as ws:
                await ws.send(
                    json.dumps(
                        {
                            "type": "connection_init",
                            "payload": {"authorization": f"Bearer {self.follower.token}"},
                        }
                    )
                )
                ack = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if ack.get("type") != "connection_ack":
                    self.problem = f"no connection_ack: {ack}"
                    return
                under = global_id("Area", self.follower.area_id)
                await ws.send(
                    json.dumps(
                        {
                            "id": "1",
                            "type": "subscribe",
                            "payload": {"query": SUBSCRIPTION, "variables": {"under": under}},
                        }
                    )
                )
                self.ready.set()
                async for raw in ws:
                    arrived = time.perf_counter()
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "next" and not message["payload"].get("errors"):
                        update = message["payload"]["data"]["workOrderEvents"]
                        self.sink.append((str(update["workOrder"]["id"]), arrived))
                    elif kind == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif kind != "pong":
                        self.problem = f"{kind}: {json.dumps(message, ensure_ascii=False)[:300]}"
                        return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.problem = f"{type(exc).__name__}: {exc}"
        finally:
            self.ready.set()


async def _subscribed(http: Any) -> int:
    """Open WORK_ORDER subscriptions the server reports on /metrics."""
    text = (await http.get("/metrics")).text
    found = _GAUGE.search(text)
    return int(float(found.group(1))) if found else 0


async def _open_streams(
    http: Any, base: str, followers: list[Follower], count: int, run: Run
) -> list[Stream]:
    """`count` subscriptions over the followers in turn; returns once the server holds them all."""
    run.received = [[] for _ in range(count)]
    streams = [Stream(base, followers[k % len(followers)], run.received[k]) for k in range(count)]
    gate = asyncio.Semaphore(20)  # connect in waves, not in one burst

    async def start(stream: Stream) -> None:
        async with gate:
            stream.task = asyncio.create_task(stream.run())
            await stream.ready.wait()

    await asyncio.gather(*(start(s) for s in streams))
    deadline = time.monotonic() + 60
    while await _subscribed(http) < count:
        broken = [s.problem for s in streams if s.problem]
        if broken or time.monotonic() > deadline:
            raise SystemExit(f"subscriptions failed to open: {broken[:3] or 'timeout'}")
        await asyncio.sleep(0.1)  # waiting for the server to register them, not timing
    return streams


async def _settle(run: Run, expected: int) -> None:
    """Wait until every expected event arrived, or none arrived for a while."""
    deadline = time.perf_counter() + SETTLE_LIMIT_SECONDS
    last_total, last_change = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        total = sum(len(r) for r in run.received)
        if total >= expected:
            break
        if total != last_total:
            last_total, last_change = total, time.perf_counter()
        elif time.perf_counter() - last_change > SETTLE_QUIET_SECONDS:
            break
        await asyncio.sleep(0.05)
    arrivals = [t for r in run.received for _, t in r]
    run.settled = max(arrivals, default=run.finished)


def expected_pairs(run: Run, paths: list[str]) -> int:
    """Deliveries due: for each order, every subscriber whose area contains its micro-grid."""
    return sum(1 for p in run.order_paths.values() for s in paths if p.startswith(s))


async def _measure(
    label: str,
    http: Any,
    server: Server,
    setup: Setup,
    options: argparse.Namespace,
    subscribers: int,
) -> Run:
    run = Run(label=label, subscribers=subscribers)
    streams: list[Stream] = []
    if subscribers:
        print(f"[{label}] opening {subscribers} subscriptions ...", flush=True)
        streams = await _open_streams(http, server.base, setup.followers, subscribers, run)
    pid = server.proc.pid if server.proc else None
    cpu0, own0, busy0 = process_cpu_seconds(pid), time.process_time(), machine_busy_seconds()
    print(f"[{label}] placing {options.orders} orders ...", flush=True)
    run.started = time.perf_counter()
    await _place(http, setup.residents, options.orders, options.concurrency, run, options.duration)
    run.finished = max(run.answered.values(), default=time.perf_counter())
    if subscribers:
        paths = [s.follower.path for s in streams]
        await _settle(run, expected_pairs(run, paths))
        run.stream_errors = [f"{s.follower.label}: {s.problem}" for s in streams if s.problem]
        for stream in streams:
            if stream.task is not None:
                stream.task.cancel()
        await asyncio.gather(*(s.task for s in streams if s.task), return_exceptions=True)
    else:
        run.settled = run.finished
    run.server_cpu = process_cpu_seconds(pid) - cpu0
    run.bench_cpu = time.process_time() - own0
    run.machine_cpu = machine_busy_seconds() - busy0
    return run


async def load(server: Server, setup: Setup, options: argparse.Namespace) -> list[Run]:
    import httpx

    limits = httpx.Limits(
        max_connections=options.concurrency, max_keepalive_connections=options.concurrency
    )
    async with httpx.AsyncClient(base_url=server.base, timeout=60.0, limits=limits) as http:
        warm = Run(label="warm-up", subscribers=0)
        await _place(http, setup.residents, WARMUP_ORDERS, options.concurrency, warm)
        if warm.errors:
            raise SystemExit(f"the warm-up orders failed: {warm.error_samples}")
        runs = []
        if not options.no_baseline:
            runs.append(await _measure("no subscriber", http, server, setup, options, 0))
            _print_run(runs[-1], setup)
        runs.append(
            await _measure(
                f"{options.subscribers} subscribers",
                http,
                server,
                setup,
                options,
                options.subscribers,
            )
        )
        _print_run(runs[-1], setup)
        return runs


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What the subscribers received against what was due."""

    expected: int = 0
    delivered: int = 0
    missing: int = 0
    duplicates: int = 0
    strays: int = 0  # events for orders outside the subscriber's area or not of this run
    lag_ms: list[float] = field(default_factory=list)  # from the HTTP response
    end_to_end_ms: list[float] = field(default_factory=list)  # from the request


def delivery(run: Run, followers: list[Follower]) -> Delivery:
    out = Delivery()
    for k, events in enumerate(run.received):
        path = followers[k % len(followers)].path
        due = {o for o, p in run.order_paths.items() if p.startswith(path)}
        seen: Counter[str] = Counter()
        for order, arrived in events:
            seen[order] += 1
            if order not in due:
                out.strays += 1
                continue
            if seen[order] > 1:
                out.duplicates += 1
                continue
            out.lag_ms.append((arrived - run.answered[order]) * 1000)
            out.end_to_end_ms.append((arrived - run.sent[order]) * 1000)
        out.expected += len(due)
        out.delivered += len(due & set(seen))
        out.missing += len(due - set(seen))
    out.lag_ms.sort()
    out.end_to_end_ms.sort()
    return out


def _p(values: list[float], share: float) -> float:
    return percentile(sorted(values), share)


def _print_run(run: Run, setup: Setup) -> None:
    line = (
        f"[{run.label}] {run.orders} orders in {run.finished - run.started:.1f} s: "
        f"{run.rate:.0f} orders/s, p50 {_p(run.latencies, 0.5):.0f} ms, "
        f"p95 {_p(run.latencies, 0.95):.0f} ms, p99 {_p(run.latencies, 0.99):.0f} ms, "
        f"{run.errors} errors; server CPU {run.server_cpu:.1f} s"
    )
    if run.subscribers:
        d = delivery(run, setup.followers)
        line += (
            f"; events {d.delivered}/{d.expected} (missing {d.missing}, duplicates "
            f"{d.duplicates}, strays {d.strays}), lag p50 {_p(d.lag_ms, 0.5):.0f} ms p99 "
            f"{_p(d.lag_ms, 0.99):.0f} ms"
        )
    print(line, flush=True)
    for sample in run.error_samples[:2]:
        print(f"    error: {sample}", flush=True)
    for problem in run.stream_errors[:3]:
        print(f"    stream: {problem}", flush=True)


# --- query plans -------------------------------------------------------------------------------


@dataclass
class Plan:
    """One read of dispatch and how the database runs it."""

    step: str
    sql: str
    plan: str
    forced: str = ""  # PostgreSQL with enable_seqscan = off, when the plain plan scans
    scans: list[str] = field(default_factory=list)  # tables read whole (in the final plan)
    small_scans: list[str] = field(default_factory=list)  # PG: scanned only while small


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, list[Any]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "%s: %s" and isinstance(record.args, tuple) and len(record.args) == 2:
            sql, values = record.args
            params = list(values) if isinstance(values, list | tuple) else []
            self.statements.append((str(sql), params))


@contextlib.contextmanager
def _captured() -> Any:
    logger = logging.getLogger(DB_LOGGER)
    handler, level = _Capture(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler.statements
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
_COST = re.compile(r"\s*\(cost=[^)]*\)")


def _pg_plan(rows: list[dict[str, Any]]) -> str:
    """A PostgreSQL plan on one line, without the cost estimates."""
    return "; ".join(_COST.sub("", str(r["QUERY PLAN"])).strip(" ->") for r in rows)


_SQLITE_SCAN = re.compile(r"\bSCAN (\w+)")


async def _explain(step: str, sql: str, values: list[Any], sizes: dict[str, int]) -> Plan:
    from tortoise import connections

    from services.kit import db

    conn = connections.get("default")
    flat = _flat(sql)
    if db.dialect() == "sqlite":
        rows = await conn.execute_query_dict(f"EXPLAIN QUERY PLAN {sql}", values)
        plan = "; ".join(str(r["detail"]) for r in rows)
        return Plan(step, flat, plan, scans=_SQLITE_SCAN.findall(plan))
    rows = await conn.execute_query_dict(f"EXPLAIN {sql}", values)
    plan = _pg_plan(rows)
    found = Plan(step, flat, plan)
    scanned = _SEQ_SCAN.findall(plan)
    if scanned:
        # A table of a few pages is cheaper to read whole: show that an index serves it too.
        async with conn._in_transaction() as tx:
            await tx.execute_script("SET LOCAL enable_seqscan = off")
            rows = await tx.execute_query_dict(f"EXPLAIN {sql}", values)
        found.forced = _pg_plan(rows)
        found.scans = _SEQ_SCAN.findall(found.forced)
        found.small_scans = [t for t in scanned if t not in found.scans]
        # Only a table that is small may be read whole by choice.
        found.scans += [t for t in found.small_scans if sizes.get(t, 0) >= 1000]
    return found


def _flat(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def _is_read(sql: str) -> bool:
    return sql.lstrip().upper().startswith(("SELECT", "WITH"))


async def plans(url: str, setup: Setup) -> tuple[list[Plan], list[str], dict[str, int]]:
    """The reads of one placeOrder request and of a subscriber, explained on the bench data."""
    import httpx
    from tortoise import connections
    from tortoise.context import TortoiseContext

    from api.app import create_app
    from services import accounts, grids, workorders
    from services.kit import db
    from services.kit.events import Topic
    from services.kit.settings import get_settings

    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        if db.dialect() == "postgres":
            await connections.get("default").execute_script("ANALYZE")
        sizes = await _sizes()
        app = create_app(get_settings(), manage_database=False)
        resident = setup.residents[0]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            body = {
                "query": PLACE_ORDER,
                "variables": {"input": {"category": "ERRAND", "description": "查询计划"}},
            }
            headers = {"Authorization": f"Bearer {resident.token}"}
            await http.post("/graphql", json=body, headers=headers)  # warm caches
            with _captured() as placing:
                response = await http.post("/graphql", json=body, headers=headers)
        result = response.json()["data"]["placeOrder"]
        assert result["__typename"] == "PlaceOrderSuccess", result
        order_key = parse_global_id(result["workOrder"]["id"])[1]
        follower = next(f for f in setup.followers if resident.path.startswith(f.path))
        with _captured() as following:
            actor = await accounts.actor_from_token(follower.token)
            watch = await grids.area_watch(
                actor=actor, topic=Topic.WORK_ORDER, under_id=follower.area_id,
                may_watch=workorders.may_follow,
            )  # fmt: skip
            await watch.aclose()
            found = await workorders.orders_by_ids(actor=actor, work_order_ids=[order_key])
        assert found[0] is not None
        explained = []
        for step, statements in (("placeOrder", placing), ("subscriber", following)):
            for sql, values in statements:
                if _is_read(sql):
                    explained.append(await _explain(step, sql, values, sizes))
        writes = [
            f"{step}: {_flat(sql)[:120]}"
            for step, statements in (("placeOrder", placing), ("subscriber", following))
            for sql, _ in statements
            if not _is_read(sql)
        ]
    return explained, writes, sizes


# --- report ------------------------------------------------------------------------------------


def report(
    setup: Setup,
    runs: list[Run],
    explained: list[Plan],
    writes: list[str],
    sizes: dict[str, int],
    options: argparse.Namespace,
    started: datetime,
) -> tuple[str, list[str]]:
    """The markdown report and the failed checks."""
    failures = []
    holders = Counter(f.label.split(" ", 1)[0] for f in setup.followers)
    lines = [
        f"# orders benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Database: {setup.engine}; Python {platform.python_version()}, {os.cpu_count()} "
        f"cores; server `python -m api serve`, one worker, on loopback; the load generator and "
        "every WebSocket are one asyncio process (httpx, websockets).",
        f"- Data: the demo district ({setup.micro_grids} micro-grids, {setup.community_micro_grids}"
        f" in {setup.community_name}) and {options.residents:,} bench residents, each in a "
        f"household of their own ({COMMUNITY_SHARE:.0%} in {setup.community_name}); built in "
        f"{setup.seconds:.1f} s.",
        f"- Load: {options.orders} `placeOrder` per run (none sent after {options.duration:g} s), "
        f"{options.concurrency} in flight, the residents in turn; {WARMUP_ORDERS} warm-up "
        "orders first.",
        f"- Subscribers: {options.subscribers} WebSockets, one `workOrderEvents(under:)` each, "
        f"round robin over the {len(setup.followers)} leader roles of {setup.community_name} ("
        + ", ".join(f"{n} {role}" for role, n in sorted(holders.items()))
        + "), each at the area of the role.",
        "",
        "## Results",
        "",
        "| run | orders | orders/s | p50 ms | p95 ms | p99 ms | errors | events delivered / "
        "expected | missing | extra | lag p50 ms | lag p99 ms | all delivered after s "
        "| server CPU | server CPU ms per order | other CPU |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for run in runs:
        span = max(run.finished - run.started, 1e-9)
        server = run.server_cpu / max(run.settled - run.started, 1e-9)
        others = max(0.0, run.machine_cpu - run.server_cpu - run.bench_cpu) / max(
            run.settled - run.started, 1e-9
        )
        cells = [
            run.label,
            str(run.orders),
            f"{run.orders / span:.0f}",
            f"{_p(run.latencies, 0.5):.0f}",
            f"{_p(run.latencies, 0.95):.0f}",
            f"{_p(run.latencies, 0.99):.0f}",
            str(run.errors),
        ]
        if run.errors:
            failures.append(f"{run.label}: {run.errors} orders failed ({run.error_samples[:1]})")
        if run.subscribers:
            d = delivery(run, setup.followers)
            cells += [
                f"{d.delivered:,} / {d.expected:,}",
                str(d.missing),
                str(d.duplicates + d.strays),
                f"{_p(d.lag_ms, 0.5):.0f}",
                f"{_p(d.lag_ms, 0.99):.0f}",
                f"{run.settled - run.started:.1f}",
            ]
            if d.missing or d.duplicates or d.strays or run.stream_errors:
                failures.append(
                    f"{run.label}: {d.missing} events missing, {d.duplicates} duplicated, "
                    f"{d.strays} outside the subscriber's area; streams: {run.stream_errors[:3]}"
                )
        else:
            cells += ["", "", "", "", "", ""]
        per_order = run.server_cpu * 1000 / max(run.orders, 1)
        cells += [f"{server:.2f}", f"{per_order:.1f}", f"{others:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "orders/s: successful orders ÷ time from the first request to the last response. "
        "Latency: request sent to response read. Lag: response read to event read, per "
        "(subscriber, order) (negative when the event arrives first). *All delivered after*: "
        "first request to last event. CPU in cores over that time (1.00 = one core busy): the "
        "server process (with SQLite's thread), and the rest of the machine less the server "
        "and this process (PostgreSQL's backends, and other work on the machine). *Server CPU "
        "ms per order*: the server process's CPU time over the run (deliveries included) ÷ "
        "orders, steadier than orders/s when other work takes the cores.",
    ]
    for run in runs:
        if run.subscribers:
            d = delivery(run, setup.followers)
            lines += [
                "",
                f"With {run.subscribers} subscribers, end to end (request sent to event read) "
                f"p50 {_p(d.end_to_end_ms, 0.5):.0f} ms, p99 {_p(d.end_to_end_ms, 0.99):.0f} "
                f"ms, max {max(d.end_to_end_ms, default=0):.0f} ms; lag min "
                f"{min(d.lag_ms, default=0):.0f} ms, max {max(d.lag_ms, default=0):.0f} ms; "
                f"{d.expected / max(run.orders, 1):.1f} deliveries per order on average "
                f"({(d.delivered) / max(run.settled - run.started, 1e-9):.0f} events/s).",
            ]
    lines += ["", "## Dispatch reads and their query plans", ""]
    lines.append(
        "Every read of one `placeOrder` request (authentication included) and of a subscriber "
        "(its authentication, `subscribe`, and reading an order back for an event), explained "
        "on the bench database after the runs. Table sizes: "
        + ", ".join(f"{t} {n:,}" for t, n in sizes.items())
        + "."
    )
    lines += ["", "| step | statement | plan |", "|---|---|---|"]
    for p in explained:
        plan = p.plan
        if p.forced:
            plan += f" — with enable_seqscan = off: {p.forced}"
        sql = p.sql if len(p.sql) <= 240 else p.sql[:237] + "..."
        lines.append(f"| {p.step} | `{sql}` | {plan.replace('|', '/')} |")
        if p.scans:
            failures.append(f"a full scan of {', '.join(p.scans)}: {p.sql[:160]}")
    small = sorted({t for p in explained for t in p.small_scans})
    lines += ["", "Writes (no plan to read): " + "; ".join(f"`{w}`" for w in writes) + "."]
    if small:
        lines += [
            "",
            f"PostgreSQL reads the small table(s) {', '.join(small)} whole by choice (a page or "
            "two); with `enable_seqscan = off` the same statement runs on an index, shown above.",
        ]
    lines += ["", "## Checks", ""]
    lines += [f"- FAILED: {f}" for f in failures] or [
        "- every order succeeded; every subscriber received exactly the dispatches into its "
        "area, once each; no read of dispatch scans a table."
    ]
    return "\n".join(lines) + "\n", failures


# --- entry point -------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """Entry point of `python -m bench orders`."""
    options = _parser().parse_args(argv)
    if not 1 <= options.orders <= 1_000_000 or not 0 <= options.subscribers <= 5000:
        raise SystemExit("--orders must be 1..1,000,000 and --subscribers 0..5000")
    if not 0 < options.duration <= 3600:
        raise SystemExit("--duration must be 0..3600 seconds")
    if not 1 <= options.concurrency <= 512 or not 1 <= options.residents <= 1_000_000:
        raise SystemExit("--concurrency must be 1..512 and --residents 1..1,000,000")
    secret = secrets.token_urlsafe(48)
    # Tokens are minted here: the server's settings, before any are read (the clock reads
    # them too, so it comes after).
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secret)
    started = clock.now()
    workdir = Path(tempfile.mkdtemp(prefix="gridpoints-bench-orders-"))
    if options.database == "postgres":
        from bench.prepare import recreate_postgres

        url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
    else:
        url = f"sqlite://{workdir / 'bench.sqlite3'}"
    server: Server | None = None
    try:
        print(f"building on {options.database} ...", flush=True)
        setup = asyncio.run(build(url, options))
        print(
            f"{len(setup.residents):,} residents, {len(setup.followers)} leader roles to follow; "
            f"built in {setup.seconds:.1f} s",
            flush=True,
        )
        port = free_port()
        server = ApiServer("api", "", api_env(url, secret, port), workdir / "server.log", port=port)
        server.start()
        server.wait_healthy()
        runs = asyncio.run(load(server, setup, options))
        server.stop()
        explained, writes, sizes = asyncio.run(plans(url, setup))
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the server", file=sys.stderr)
        return 130
    finally:
        if server is not None:
            server.stop()
        CHILDREN.stop_all()
        if options.database == "postgres":
            from bench.prepare import drop_postgres

            try:
                asyncio.run(drop_postgres(url))
            except Exception as exc:  # cleanup must not hide the real error
                print(f"could not drop the database: {exc}", file=sys.stderr)
        if options.keep:
            print(f"kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    text, failures = report(setup, runs, explained, writes, sizes, options, started)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"orders-{started:%Y%m%d-%H%M%S}-{options.database}.md"
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {path}")
    return 1 if failures else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
