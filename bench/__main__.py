"""`python -m bench`: the GraphQL server against the hand-written ceiling, under load, on loopback.

For each data set (the demo district, then the scale data set) it builds a fresh database, starts
two servers as subprocesses on free loopback ports (the real one, `uvicorn --factory
api.app:create_app`, and bench/ceiling.py under the same uvicorn), signs the bench user in through
GraphQL, checks that both servers return the same data, then runs the closed-loop load generator
(bench/load.py, a third process) against each in turn. Prints a markdown report and writes it to
bench/results/<timestamp>.md. Everything is bounded in time; the servers, the load generator and
the databases are removed on exit, Ctrl-C or SIGTERM.
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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import httpx

from bench.queries import Call, Scenario, areas_scenario, nested_scenario, viewer_scenario
from bench.servers import CHILDREN, Server, login, run_load_process, server_env
from services.kit import clock

if TYPE_CHECKING:
    from seed.bulk.district import Prepared

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench"
TARGET_RATIO = 0.5
TARGET_FIRST = 20


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Requests/s, p50 and p99 of GraphQL reads against a hand-written ceiling.",
    )
    parser.add_argument(
        "--households",
        type=int,
        default=None,
        help="households in the scale data set (default 100000; 3000 with --quick)",
    )
    parser.add_argument("--duration", type=float, default=None, help="seconds per run (10)")
    parser.add_argument("--warmup", type=float, default=None, help="seconds before each run (2)")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop workers (32)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--datasets",
        default="demo,scale",
        help="comma-separated: demo, scale (default both)",
    )
    parser.add_argument(
        "--first", default="20,100", help="page sizes of the areas query (default 20,100)"
    )
    parser.add_argument(
        "--client",
        choices=("raw", "httpx", "wrk"),
        default="raw",
        help="load generator: raw asyncio HTTP/1.1 (default), httpx, or wrk if installed",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per server and scenario, alternating; the median (by req/s) is reported",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 2 s runs, 3,000-household scale set"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes per server (1); CPU is counted over all of them",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write .md")
    parser.add_argument(
        "--keep", action="store_true", help="keep the SQLite files and server logs (prints where)"
    )
    return parser


@dataclass
class Options:
    """The resolved command line."""

    households: int
    duration: float
    warmup: float
    concurrency: int
    repeat: int
    database: str
    datasets: list[str]
    firsts: list[int]
    client: str
    workers: int
    results_dir: Path
    keep: bool
    quick: bool

    @classmethod
    def parse(cls, argv: list[str] | None) -> Options:
        args = _parser().parse_args(argv)
        datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
        if not datasets or set(datasets) - {"demo", "scale"}:
            raise SystemExit("--datasets takes demo, scale or both")
        options = cls(
            households=args.households or (3000 if args.quick else 100_000),
            duration=args.duration or (2.0 if args.quick else 10.0),
            warmup=args.warmup if args.warmup is not None else (0.5 if args.quick else 2.0),
            concurrency=args.concurrency,
            repeat=args.repeat,
            database=args.database,
            datasets=datasets,
            firsts=[int(f) for f in args.first.split(",") if f.strip()],
            client=args.client,
            workers=args.workers,
            results_dir=args.results_dir,
            keep=args.keep,
            quick=args.quick,
        )
        if not 1 <= options.concurrency <= 1024 or not 0 < options.duration <= 600:
            raise SystemExit("--concurrency must be 1..1024 and --duration 0..600 seconds")
        if not 1 <= options.workers <= 8:
            raise SystemExit("--workers must be 1..8")
        if not 1 <= options.repeat <= 10:
            raise SystemExit("--repeat must be 1..10")
        if not 1 <= options.households <= 1_000_000:
            raise SystemExit("--households must be 1..1,000,000")
        if options.client == "wrk" and shutil.which("wrk") is None:
            raise SystemExit("wrk is not installed (apt-get install -y wrk); use --client raw")
        return options


def _auth(token: str) -> dict[str, str]:
    """The Authorization header for a token; none for an anonymous scenario (empty token)."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def _send(base: str, call: Call, token: str) -> httpx.Response:
    headers = _auth(token)
    if call.body:
        headers["Content-Type"] = "application/json"
    return httpx.request(
        call.method, base + call.path, content=call.body or None, headers=headers, timeout=30.0
    )


def _count_nodes(body: Any) -> int | None:
    try:
        return len(body["data"]["areas"]["edges"])
    except (KeyError, TypeError):
        return None


def validate(graphql: Server, ceiling: Server, scenario: Scenario, token: str) -> dict[str, Any]:
    """Both servers answer 200 with the same data; returns sizes and the verdict."""
    got = _send(graphql.base, scenario.graphql, token)
    want = _send(ceiling.base, scenario.ceiling, token)
    verdict: dict[str, Any] = {
        "graphql_bytes": len(got.content),
        "ceiling_bytes": len(want.content),
        "rows": _count_nodes(got.json()) if got.status_code == 200 else None,
    }
    problems = []
    if got.status_code != 200 or "errors" in got.json():
        problems.append(f"GraphQL: HTTP {got.status_code} {got.text[:300]}")
    if want.status_code != 200 or "errors" in want.json():
        problems.append(f"ceiling: HTTP {want.status_code} {want.text[:300]}")
    # The data must match; GraphQL adds `extensions` (the cost of the operation).
    if not problems and got.json().get("data") != want.json().get("data"):
        problems.append(
            "responses differ: GraphQL "
            f"{json.dumps(got.json(), ensure_ascii=False)[:300]} vs ceiling "
            f"{json.dumps(want.json(), ensure_ascii=False)[:300]}"
        )
    verdict["problems"] = problems
    return verdict


def run_load(server: Server, call: Call, token: str, options: Options) -> dict[str, Any]:
    """One closed-loop run in a separate process; its figures."""
    headers = _auth(token)
    if call.body:
        headers["Content-Type"] = "application/json"
    assert server.proc is not None
    spec = {
        "url": server.base + call.path,
        "method": call.method,
        "body": call.body,
        "headers": headers,
        "concurrency": options.concurrency,
        "duration": options.duration,
        "warmup": options.warmup,
        "client": options.client,
        "watch_pid": server.proc.pid,
    }
    return run_load_process(spec)


def median_run(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median req/s (the upper one of an even count), noting every run's."""
    ordered = sorted(figures, key=lambda f: float(f["rps"]))
    chosen = dict(ordered[len(ordered) // 2])
    chosen["all_rps"] = [f["rps"] for f in figures]
    return chosen


@dataclass
class DatasetResult:
    """Everything measured on one data set."""

    prepared: Prepared
    runs: list[tuple[Scenario, dict[str, Any], dict[str, Any], dict[str, Any]]] = field(
        default_factory=list
    )  # scenario, validation, GraphQL figures, ceiling figures


def bench_dataset(kind: str, options: Options, secret: str) -> DatasetResult:
    """Build one data set, start both servers, validate, load each scenario, tear down."""
    from bench.prepare import drop_postgres, recreate_postgres
    from seed.bulk.district import prepare

    workdir = Path(tempfile.mkdtemp(prefix=f"gridpoints-bench-{kind}-"))
    households = options.households if kind == "scale" else None
    if options.database == "postgres":
        url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
    else:
        url = f"sqlite://{workdir}/bench.sqlite3"
    servers: list[Server] = []
    try:
        print(f"[{kind}] seeding {options.database} ...", flush=True)
        prepared = asyncio.run(prepare(url, households=households))
        print(
            f"[{kind}] {prepared.households:,} households, {prepared.micro_grids:,} micro-grids; "
            f"target {prepared.community_name} (id {prepared.community_id}, "
            f"{prepared.community_micro_grids} micro-grids); seeded in {prepared.seconds:.1f} s",
            flush=True,
        )
        env = server_env(url, secret)
        graphql = Server(
            "GraphQL", "api.app:create_app", env, workdir / "graphql.log", options.workers
        )
        ceiling = Server(
            "ceiling", "bench.ceiling:create_app", env, workdir / "ceiling.log", options.workers
        )
        servers = [graphql, ceiling]
        for server in servers:
            server.start()
        for server in servers:
            server.wait_healthy()
        token = login(graphql.base, prepared.username, prepared.password)
        result = DatasetResult(prepared)
        scenarios = [areas_scenario(prepared.community_id, n) for n in options.firsts]
        scenarios.append(nested_scenario(prepared.community_id))
        scenarios.append(viewer_scenario())
        for scenario in scenarios:
            as_whom = "" if scenario.anonymous else token
            check = validate(graphql, ceiling, scenario, as_whom)
            for problem in check["problems"]:
                print(f"[{kind}] {scenario.name}: {problem}", flush=True)
            rounds: dict[str, list[dict[str, Any]]] = {"GraphQL": [], "ceiling": []}
            for _ in range(options.repeat):
                for server, call in ((graphql, scenario.graphql), (ceiling, scenario.ceiling)):
                    print(f"[{kind}] {scenario.name} on {server.name} ...", end=" ", flush=True)
                    figure = run_load(server, call, as_whom, options)
                    others = figure["machine_cpu"] - figure["server_cpu"] - figure["client_cpu"]
                    print(
                        f"{figure['rps']:.0f} req/s, p50 {figure['p50_ms']:.1f} ms, "
                        f"p99 {figure['p99_ms']:.1f} ms, {figure['errors']} errors "
                        f"(server CPU {figure['server_cpu']:.2f}, other processes "
                        f"{max(others, 0):.2f} cores)",
                        flush=True,
                    )
                    for sample in figure["error_samples"][:2]:
                        print(f"    error: {sample}", flush=True)
                    rounds[server.name].append(figure)
            figures = [median_run(rounds["GraphQL"]), median_run(rounds["ceiling"])]
            result.runs.append((scenario, check, figures[0], figures[1]))
        return result
    finally:
        for server in servers:
            server.stop()
        if options.database == "postgres":
            try:
                asyncio.run(drop_postgres(url))
            except Exception as exc:  # cleanup must not hide the real error
                print(f"[{kind}] could not drop the database: {exc}", file=sys.stderr)
        if options.keep:
            print(f"[{kind}] kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b else "n/a"


def _per_cpu(figure: dict[str, Any]) -> float:
    """Requests per CPU-second of the server process (0 when unmeasured)."""
    cpu = float(figure["server_cpu"])
    return float(figure["rps"]) / cpu if cpu > 0 else 0.0


def report(results: list[DatasetResult], options: Options, started: datetime) -> str:
    """The markdown report."""
    engine = results[0].prepared.engine if results else options.database
    lines = [
        f"# Gridpoints GraphQL benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Machine: {os.cpu_count()} cores ({_cpu_model()}), {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}.",
        f"- Database: {engine}"
        + (" (WAL file in a temp dir)." if options.database == "sqlite" else " on loopback."),
        "- Processes: the GraphQL server (`python -m uvicorn --factory api.app:create_app`), the "
        "ceiling server (`bench/ceiling.py` under the same uvicorn command) and the load "
        f"generator are separate processes on 127.0.0.1; {options.workers} uvicorn worker(s) "
        "each (a server's CPU counts all its processes); nothing is pinned, so all share the "
        "machine's cores (the idle server sleeps while the other runs).",
        f"- Load: closed loop, {options.concurrency} connections each sending back to back "
        f"(client `{options.client}`), {options.warmup:g} s warm-up then {options.duration:g} s "
        f"measured per run, {options.repeat} run(s) per server alternating (the median by req/s "
        "is shown); a response with HTTP status ≠ 200 or an `errors` key is an error.",
        "- Ratio: GraphQL req/s ÷ ceiling req/s (with a fixed number of connections, the latency "
        "ratio is about its inverse). *Per server CPU-second* divides each side's req/s by the "
        "CPU its server process used first (requests per CPU-second, then the same ratio): it "
        "is steadier when other processes compete for the cores, but leaves out a PostgreSQL "
        "server's own CPU.",
        "",
        "## Results",
        "",
        "| data set | query | rows | GraphQL req/s | p50 ms | p99 ms | ceiling req/s | p50 ms "
        "| p99 ms | GraphQL / ceiling | per server CPU-second |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    verdicts = []
    few = False
    for result in results:
        for scenario, check, g, c in result.runs:
            rows = "" if check["rows"] is None else str(check["rows"])
            ratio = _ratio(g["rps"], c["rps"])
            if min(g["requests"], c["requests"]) < 2 * options.concurrency:
                ratio += " (few samples)"
                few = True
            per_cpu = _ratio(_per_cpu(g), _per_cpu(c))
            lines.append(
                f"| {result.prepared.label} | {scenario.name} | {rows} | {g['rps']:.0f} "
                f"| {g['p50_ms']:.1f} | {g['p99_ms']:.1f} | {c['rps']:.0f} | {c['p50_ms']:.1f} "
                f"| {c['p99_ms']:.1f} | **{ratio}** | {per_cpu} |"
            )
            if scenario.name == f"areas first={TARGET_FIRST}" and c["rps"]:
                value = g["rps"] / c["rps"]
                mark = "met" if value >= TARGET_RATIO else "NOT met"
                verdicts.append(f"{result.prepared.label}: {value:.2f}× ({mark})")
    if few:
        lines += [
            "",
            f"(few samples): a side completed fewer than {2 * options.concurrency} requests in "
            "its window; its percentiles and ratio are rough (a longer --duration helps).",
        ]
    if verdicts:
        lines += [
            "",
            f"Target GraphQL ≥ {TARGET_RATIO}× the ceiling at `first: {TARGET_FIRST}`"
            f" ({options.database}): " + "; ".join(verdicts) + ".",
        ]
    lines += [
        "",
        "## Details",
        "",
        "| data set | query | server | requests | errors | p90 ms | max ms | server CPU | "
        "req per CPU-s | load generator CPU | other processes CPU | response bytes "
        "| req/s of each run |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for result in results:
        for scenario, check, g, c in result.runs:
            for name, fig, size in (
                ("GraphQL", g, check["graphql_bytes"]),
                ("ceiling", c, check["ceiling_bytes"]),
            ):
                others = max(0.0, fig["machine_cpu"] - fig["server_cpu"] - fig["client_cpu"])
                each = ", ".join(f"{x:.0f}" for x in fig["all_rps"])
                lines.append(
                    f"| {result.prepared.label} | {scenario.name} | {name} | {fig['requests']} "
                    f"| {fig['errors']} | {fig['p90_ms']:.1f} | {fig['max_ms']:.1f} "
                    f"| {fig['server_cpu']:.2f} | {_per_cpu(fig):.0f} | {fig['client_cpu']:.2f} "
                    f"| {others:.2f} "
                    f"| {size} | {each} |"
                )
    lines += [
        "",
        "CPU is in cores (1.00 = one core busy throughout the measured window). The server "
        "process includes its database threads (SQLite); a PostgreSQL server's own processes, "
        "and anything else running on the machine, are under other processes. The machine has "
        f"{os.cpu_count()} cores: when other processes take a core, the figures drop.",
        "",
        "## Data sets",
        "",
        "| data set | households | micro-grids | target community | its micro-grids | built in |",
        "|---|--:|--:|---|--:|--:|",
    ]
    for result in results:
        p = result.prepared
        lines.append(
            f"| {p.label} | {p.households:,} | {p.micro_grids:,} | {p.community_name} "
            f"(id {p.community_id}) | {p.community_micro_grids} | {p.seconds:.1f} s |"
        )
    problems = [
        f"- {r.prepared.label}, {s.name}: {problem}"
        for r in results
        for s, check, _, _ in r.runs
        for problem in check["problems"]
    ]
    lines += ["", "## Checks", ""]
    lines += problems or [
        "Before each scenario both servers were asked once: both answered HTTP 200 without "
        "errors and with identical JSON data."
    ]
    return "\n".join(lines) + "\n"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Entry point (`python -m bench points|evaluation|matching|activities|orders|photos ...`
    runs bench/points.py, bench/evaluation.py, bench/matching.py, bench/activities.py,
    bench/orders.py or bench/photos.py instead)."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["imports"]:
        from bench.imports import main as imports_main

        return imports_main(args[1:])
    if args[:1] == ["photos"]:
        from bench.photos import main as photos_main

        return photos_main(args[1:])
    if args[:1] == ["points"]:
        from bench.points import main as points_main

        return points_main(args[1:])
    if args[:1] == ["evaluation"]:
        from bench.evaluation import main as evaluation_main

        return evaluation_main(args[1:])
    if args[:1] == ["whatif"]:
        from bench.whatif import main as whatif_main

        return whatif_main(args[1:])
    if args[:1] == ["matching-quality"]:
        from bench.matching_quality import main as quality_main

        return quality_main(args[1:])
    if args[:1] == ["matching"]:
        from bench.matching import main as matching_main

        return matching_main(args[1:])
    if args[:1] == ["activities"]:
        from bench.activities import main as activities_main

        return activities_main(args[1:])
    if args[:1] == ["orders"]:
        from bench.orders import main as orders_main

        return orders_main(args[1:])
    if args[:1] == ["loadmix"]:
        from bench.loadmix import main as loadmix_main

        return loadmix_main(args[1:])
    options = Options.parse(args)
    secret = secrets.token_urlsafe(48)
    # The seeding runs in this process: the same settings as the servers, before any is read.
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secret)
    started = clock.now()  # after the settings: the clock reads them
    signal.signal(signal.SIGTERM, _interrupt)
    results: list[DatasetResult] = []
    try:
        for kind in options.datasets:
            results.append(bench_dataset(kind, options, secret))
    except KeyboardInterrupt:
        print("\ninterrupted; stopping the servers", file=sys.stderr)
        return 130
    finally:
        CHILDREN.stop_all()
    text = report(results, options, started)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"{started:%Y%m%d-%H%M%S}-{options.database}.md"
    path.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
