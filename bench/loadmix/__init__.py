"""`python -m bench loadmix`: a bounded locust load test of a realistic mix, then reconciliation.

Issue 7 §5. For each configuration (default: PostgreSQL with 4 workers, then SQLite with 1):

1. **Build** a fresh database (bench/loadmix/build.py: the demo district, `--residents` bulk
   residents with sessions, volunteers with points, plentiful and scarce rewards; the access
   tokens are minted with the server's secret) and write the users' data file.
2. **Serve**: the real server, `python -m api serve`, with WORKERS=N on a free port of 127.0.0.1
   (JOBS_INTERVAL_SECONDS=0, LOG_LEVEL=WARNING, no Redis: the mix holds no subscription).
3. **Load**: locust, headless, in a subprocess, against that loopback address only: `--users`
   users spawned at `--spawn-rate` per second for `--duration` (bench/loadmix/locustfile.py:
   residents browsing the marketplace, checking their points and placing orders; volunteers
   redeeming; micro-grid leaders accepting dispatched orders; community admins awarding).
   Statistics are reset once every user is running (`--reset-stats`): the figures are those of
   the full load. Server CPU (all its processes), locust's and the machine's are measured.
4. **Reconcile** with the server stopped (bench/loadmix/reconcile.py): the ledger verification
   of `make verify-ledger` (zero drift), every acknowledged award, redemption, order and
   acceptance in the database in its state, counts equal, stock consistent.

A markdown report of both configurations side by side (per operation: requests, p50/p95/p99,
failures, error rate, requests/s; the reconciliation) is printed and written to
bench/results/loadmix-<timestamp>.md. Exit code 1 when a failure was counted or a check failed.
Every child process is ended on any exit path; PostgreSQL databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.load import machine_busy_seconds, process_cpu_seconds
from bench.loadmix.build import Built, build
from bench.loadmix.reconcile import Reconciliation, reconcile
from bench.servers import CHILDREN, ROOT, free_port
from services.kit import clock

RESULTS = ROOT / "bench" / "results"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_loadmix"
# Rows of the report, in this order; refusal rows ("op → Type") follow their operation.
OPERATIONS = (
    "rewards",
    "viewer.pointsAccount",
    "placeOrder",
    "workOrders",
    "acceptWorkOrder",
    "awardPoints",
    "awardPoints (same key again)",
    "redeemReward",
    "redeemReward (same key again)",
)
LABELS = {"postgres": "PostgreSQL", "sqlite": "SQLite"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench loadmix",
        description="A bounded locust load test of a realistic mix of reads and writes, on "
        "loopback, then a reconciliation of the acknowledged writes and the ledger.",
    )
    parser.add_argument(
        "--database",
        default="postgres,sqlite",
        help="comma-separated runs: postgres, sqlite (default postgres,sqlite)",
    )
    parser.add_argument(
        "--workers",
        default="4,1",
        help="server workers of each run, comma-separated like --database (default 4,1)",
    )
    parser.add_argument("--users", type=int, default=200, help="simulated users (200)")
    parser.add_argument("--spawn-rate", type=float, default=20.0, help="users started per s (20)")
    parser.add_argument(
        "--duration", default="60s", help="locust run time per configuration (60s; 90s, 2m)"
    )
    parser.add_argument("--residents", type=int, default=2000, help="bench residents (2000)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write .md")
    parser.add_argument("--keep", action="store_true", help="keep the work directories")
    return parser


def _seconds(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    text = text.strip().lower()
    if text[-1:] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(float(text))


@dataclass(frozen=True)
class Options:
    """The resolved command line."""

    runs: list[tuple[str, int]]  # (database, workers)
    users: int
    spawn_rate: float
    duration: int
    residents: int
    results_dir: Path
    keep: bool

    @classmethod
    def parse(cls, argv: list[str]) -> Options:
        args = _parser().parse_args(argv)
        databases = [d.strip() for d in args.database.split(",") if d.strip()]
        workers = [int(w) for w in str(args.workers).split(",") if w.strip()]
        if not databases or set(databases) - set(LABELS):
            raise SystemExit("--database takes postgres, sqlite or both (comma-separated)")
        if len(workers) == 1:
            workers *= len(databases)
        if len(workers) != len(databases) or not all(1 <= w <= 16 for w in workers):
            raise SystemExit("--workers: one count (1..16) per database")
        options = cls(
            runs=list(zip(databases, workers, strict=True)),
            users=args.users,
            spawn_rate=args.spawn_rate,
            duration=_seconds(args.duration),
            residents=args.residents,
            results_dir=args.results_dir,
            keep=args.keep,
        )
        if not 1 <= options.users <= 2000 or not 0 < options.spawn_rate <= 1000:
            raise SystemExit("--users must be 1..2000 and --spawn-rate 0..1000")
        if not 5 <= options.duration <= 900:
            raise SystemExit("--duration must be 5 s .. 15 min")
        if not 100 <= options.residents <= 100_000:
            raise SystemExit("--residents must be 100..100,000")
        return options


@dataclass
class Row:
    """One line of locust's stats CSV."""

    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    maximum: float

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass
class Run:
    """One configuration: its database, the load's figures and the reconciliation."""

    database: str
    workers: int
    built: Built | None = None
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    failure_samples: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the locust run
    server_cpu: float = 0.0
    locust_cpu: float = 0.0
    machine_cpu: float = 0.0
    reconciliation: Reconciliation | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        workers = f"{self.workers} worker" + ("s" if self.workers > 1 else "")
        return f"{LABELS[self.database]} × {workers}"


# --- processes ---------------------------------------------------------------------------------


def session_cpu_seconds(session_id: int) -> float:
    """CPU seconds of every live process of a session (the server and its workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session_id:  # fields after the name: state, ppid, pgrp, session
            total += process_cpu_seconds(int(entry.name))
    return total


def _server_env(url: str, secret: str, port: int, workers: int) -> dict[str, str]:
    from bench.orders import api_env

    env = api_env(url, secret, port)
    env["WORKERS"] = str(workers)
    env.pop("EVENTS_REDIS_URL", None)
    return env


def _locust(run: Run, base: str, workdir: Path, options: Options, data: Path) -> None:
    """locust headless against `base` (loopback); fills the run's CPU and wall figures."""
    if not base.startswith("http://127.0.0.1:"):
        raise SystemExit(f"refusing to load {base}: loopback only")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    env.update(LOADMIX_DATA=str(data), LOADMIX_ACKS=str(workdir / "acks"), PYTHONPATH=str(ROOT))
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(options.users), "-r", f"{options.spawn_rate:g}", "-t", f"{options.duration}s",
        "--host", base, "--csv", str(workdir / "locust"), "--reset-stats", "--only-summary",
        "--stop-timeout", "10", "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    log = workdir / "locust.log"
    busy0, started = machine_busy_seconds(), time.perf_counter()
    with log.open("wb") as out:
        proc = CHILDREN.start(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            proc.wait(options.duration + 180)
        except subprocess.TimeoutExpired:
            CHILDREN.stop(proc)
            raise SystemExit("locust overran its time limit") from None
    run.seconds = time.perf_counter() - started
    run.machine_cpu = machine_busy_seconds() - busy0
    CHILDREN.stop(proc)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise SystemExit(f"locust failed ({proc.returncode}):\n{tail}")


def _locust_cpu_seconds() -> float:
    """CPU seconds of the waited-for children of this process (locust, once it has exited)."""
    usage = os.times()
    return usage.children_user + usage.children_system


def _read_stats(run: Run, workdir: Path) -> None:
    def number(value: str) -> float:
        return float(value) if value not in ("", "N/A") else 0.0

    with (workdir / "locust_stats.csv").open(encoding="utf-8") as stats:
        for line in csv.DictReader(stats):
            row = Row(
                name=line["Name"],
                requests=int(line["Request Count"]),
                failures=int(line["Failure Count"]),
                rps=number(line["Requests/s"]),
                p50=number(line["50%"]),
                p95=number(line["95%"]),
                p99=number(line["99%"]),
                maximum=number(line["Max Response Time"]),
            )
            if line["Name"] == "Aggregated":
                run.total = row
            else:
                run.rows.append(row)
    failures = workdir / "locust_failures.csv"
    if failures.exists():
        with failures.open(encoding="utf-8") as found:
            for line in csv.DictReader(found):
                run.failure_samples.append(
                    f"{line['Name']}: {line['Occurrences']}× {line['Error'][:300]}"
                )


def run_configuration(database: str, workers: int, options: Options, secret: str) -> Run:
    """Build, serve, load, stop, reconcile one configuration."""
    from bench.orders import ApiServer

    run = Run(database, workers)
    workdir = Path(tempfile.mkdtemp(prefix=f"gridpoints-loadmix-{database}-"))
    if database == "postgres":
        from bench.prepare import recreate_postgres

        url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
    else:
        url = f"sqlite://{workdir / 'bench.sqlite3'}"
    server: ApiServer | None = None
    tag = f"[{run.label}]"
    try:
        print(f"{tag} building ...", flush=True)
        run.built, data = asyncio.run(build(url, options.residents))
        (workdir / "data.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
        print(f"{tag} built in {run.built.seconds:.1f} s", flush=True)
        port = free_port()
        env = _server_env(url, secret, port, workers)
        server = ApiServer("api", "", env, workdir / "server.log", port=port)
        server.start()
        server.wait_healthy()
        assert server.proc is not None
        sid = server.proc.pid
        print(
            f"{tag} locust: {options.users} users, {options.spawn_rate:g}/s, "
            f"{options.duration} s ...",
            flush=True,
        )
        cpu0, locust0 = session_cpu_seconds(sid), _locust_cpu_seconds()
        _locust(run, server.base, workdir, options, workdir / "data.json")
        run.server_cpu = session_cpu_seconds(sid) - cpu0
        run.locust_cpu = _locust_cpu_seconds() - locust0
        server.stop()
        _read_stats(run, workdir)
        print(f"{tag} reconciling ...", flush=True)
        run.reconciliation = asyncio.run(
            reconcile(url, env, workdir / "acks", run.built.baselines, run.built.stock)
        )
        _print_run(run)
        return run
    finally:
        if server is not None:
            server.stop()
        CHILDREN.stop_all()
        if database == "postgres" and not options.keep:
            from bench.prepare import drop_postgres

            try:
                asyncio.run(drop_postgres(url))
            except Exception as exc:  # cleanup must not hide the real error
                print(f"could not drop the database: {exc}", file=sys.stderr)
        if options.keep:
            print(f"{tag} kept {workdir}" + (f" and {url}" if database == "postgres" else ""))
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _print_run(run: Run) -> None:
    total = run.total
    if total is not None:
        print(
            f"[{run.label}] {total.requests} requests, {total.rps:.1f} req/s, p50 {total.p50:.0f}"
            f" ms, p95 {total.p95:.0f} ms, p99 {total.p99:.0f} ms, {total.failures} failures; "
            f"reconciliation {'ok' if run.reconciliation and run.reconciliation.ok else 'FAILED'}",
            flush=True,
        )


# --- report ------------------------------------------------------------------------------------


def _ordered(rows: list[Row]) -> list[str]:
    """Operation names in report order, each followed by its refusal rows."""
    names = {r.name for r in rows}
    ordered: list[str] = []
    for op in OPERATIONS:
        if op in names:
            ordered.append(op)
        ordered += sorted(n for n in names if n.startswith(f"{op} → "))
    ordered += sorted(names - set(ordered))
    return ordered


def _cells(row: Row | None) -> list[str]:
    if row is None:
        return ["", "", "", "", "", "", ""]
    return [
        f"{row.requests:,}",
        f"{row.rps:.1f}",
        f"{row.p50:.0f}",
        f"{row.p95:.0f}",
        f"{row.p99:.0f}",
        f"{row.failures}",
        f"{100 * row.error_rate:.2f} %",
    ]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def report(runs: list[Run], options: Options, started: datetime) -> tuple[str, list[str]]:
    """The markdown report and the list of failed checks."""
    failures: list[str] = []
    lines = [
        f"# Gridpoints load mix, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Machine: {os.cpu_count()} cores ({_cpu_model()}), shared with other work during the "
        f"run (the *other CPU* line), {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}.",
        f"- Load: locust {_locust_version()} headless on 127.0.0.1, {options.users} users "
        f"spawned at {options.spawn_rate:g}/s, {options.duration} s per configuration; "
        "statistics reset once all users run (figures: the full load). Users wait 1–3 s "
        "between tasks. Mix by weight: residents 14 (browse rewards 4, check points 4, place "
        "an order 1), volunteers 3 (points 2, browse 2, redeem 2: 80 % plentiful rewards, "
        "20 % scarce ones), micro-grid leaders 2 (list dispatched orders, accept one of the "
        "oldest three; two users per leader), community admins 1 (award an hour of volunteer "
        "service); 5 % of awards and redemptions are sent again with the same idempotency key.",
        "- Server: `python -m api serve` (WORKERS as shown, JOBS_INTERVAL_SECONDS=0, "
        "LOG_LEVEL=WARNING, no Redis), the database fresh per configuration.",
        "- Rows `op → Type` are typed refusals the mix provokes on purpose (scarce stock, "
        "per-person and daily caps, two users racing for one order): correct answers, not "
        "failures. A failure is an HTTP status other than 200, a GraphQL `errors` list, an "
        "unexpected union member, or a same-key retry returning another record. Times in ms.",
        "",
    ]
    header = ["operation"]
    for run in runs:
        header += [
            f"{run.label} requests",
            "req/s",
            "p50",
            "p95",
            "p99",
            "failures",
            "error rate",
        ]
    lines += ["| " + " | ".join(header) + " |", "|---" + "|--:" * (len(header) - 1) + "|"]
    names = _ordered([r for run in runs for r in run.rows])
    for name in names:
        cells = [name if " → " not in name else f"&nbsp;&nbsp;{name}"]
        for run in runs:
            cells += _cells(next((r for r in run.rows if r.name == name), None))
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["**all**"]
    for run in runs:
        cells += [f"**{c}**" if c else c for c in _cells(run.total)]
    lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| | " + " | ".join(r.label for r in runs) + " |",
        "|---" + "|--:" * len(runs) + "|",
    ]
    facts: list[tuple[str, list[str]]] = [
        ("database", [r.built.engine if r.built else "" for r in runs]),
        ("locust run (s)", [f"{r.seconds:.0f}" for r in runs]),
        ("server CPU (cores, all its processes)", [_cores(r.server_cpu, r) for r in runs]),
        ("locust CPU (cores)", [_cores(r.locust_cpu, r) for r in runs]),
        (
            "other CPU (cores: PostgreSQL, other work)",
            [_cores(max(r.machine_cpu - r.server_cpu - r.locust_cpu, 0.0), r) for r in runs],
        ),
        (
            "requests/s per server core used",
            [
                f"{r.total.rps / (r.server_cpu / r.seconds):.0f}"
                if r.total and r.server_cpu and r.seconds
                else ""
                for r in runs
            ],
        ),
    ]
    for label, values in facts:
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    lines += ["", "## Data", ""]
    for run in runs:
        if run.built is None:
            continue
        b = run.built
        lines.append(
            f"- {run.label}: {b.residents:,} residents and {b.volunteers:,} volunteers with "
            f"sessions, {b.leaders} micro-grid leaders, {b.admins} community admins, "
            f"{b.awardees:,} people to award; tables: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(b.sizes.items()))
            + f"; built in {b.seconds:.0f} s."
        )
    lines += ["", "## Reconciliation (server stopped)", ""]
    for run in runs:
        rec = run.reconciliation
        if rec is None:
            failures.append(f"{run.label}: no reconciliation")
            continue
        lines += [
            f"### {run.label}",
            "",
            f"- Ledger (`python -m api verify-ledger`): "
            f"{'zero drift' if rec.ledger_ok else 'DRIFT'}: {_ledger_summary(rec.ledger_output)}",
            "",
            "| operation | acknowledged | created in the run | missing | acknowledged twice "
            "| created, never acknowledged (allowed: failed requests) |",
            "|---|--:|--:|--:|--:|--:|",
        ]
        for c in rec.checks:
            lines.append(
                f"| {c.operation} | {c.acknowledged:,} | {c.in_database:,} | {c.missing} | "
                f"{c.duplicates} | {c.unacknowledged} ({c.allowed_unacknowledged}) |"
            )
            if not c.ok:
                failures.append(f"{run.label}: {c.operation} does not reconcile: {c}")
        lines.append("")
        lines.append(
            "- Stock: "
            + ("; ".join(rec.stock_problems) if rec.stock_problems else "every reward's stock "
               "fell by exactly the items redeemed during the run.")
        )  # fmt: skip
        for problem in rec.problems:
            lines.append(f"- {problem}")
        if not rec.ledger_ok:
            failures.append(f"{run.label}: ledger drift")
        failures += [f"{run.label}: {p}" for p in rec.stock_problems + rec.problems]
        if run.total and run.total.failures:
            failures.append(f"{run.label}: {run.total.failures} failed requests")
        if run.failure_samples:
            lines += ["", "Failures (locust):", ""]
            lines += [f"- {s}" for s in run.failure_samples[:10]]
        lines.append("")
    lines += ["## Checks", ""]
    lines += [f"- FAILED: {f}" for f in failures] or [
        "- no failed request; zero ledger drift; every acknowledged write is in the database, "
        "once, in the state acknowledged; counts and stock match."
    ]
    return "\n".join(lines) + "\n", failures


def _ledger_summary(output: str) -> str:
    """The verification's counts and its failed checks (the passed ones are only counted)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    passed = [line for line in lines if line.startswith("ok:")]
    others = [line for line in lines if not line.startswith("ok:")]
    return "; ".join([*others, f"{len(passed)} checks passed"])


def _cores(seconds: float, run: Run) -> str:
    return f"{seconds / run.seconds:.2f}" if run.seconds else ""


def _locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


# --- entry point -------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    """Entry point of `python -m bench loadmix`."""
    options = Options.parse(argv)
    secret = secrets.token_urlsafe(48)
    # Tokens are minted in this process: the server's settings, before any are read (the clock
    # reads them too, so it comes after; read first, it fixed the default secret and every token
    # minted here was refused as UNAUTHENTICATED).
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secret)
    started = clock.now()
    runs: list[Run] = []
    try:
        for database, workers in options.runs:
            runs.append(run_configuration(database, workers, options, secret))
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the server and locust", file=sys.stderr)
        return 130
    finally:
        CHILDREN.stop_all()
    text, failures = report(runs, options, started)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"loadmix-{started:%Y%m%d-%H%M%S}.md"
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {path}")
    return 1 if failures else 0
