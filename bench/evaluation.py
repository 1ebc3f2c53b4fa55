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
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from seed.bulk.evaluation import (
    HOLDER_SHARE,
    Built,
    Layout,
    build,
    quarters,
)
from services.kit import clock

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_evaluation"
TARGET_SECONDS = 10.0
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
    # The services' settings (an account is made): dev mode, a throwaway secret.
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secrets.token_urlsafe(48))
    started = clock.now()  # after the settings: the clock reads them
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
