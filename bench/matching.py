"""`python -m bench matching`: `matchesForNeed` over 100,000 resources.

Issue 5 ("Proof"): the ranking of resources for a need stays fast when the district's resource
lists are long. The benchmark calls the real service (`services.partners.matches_for_need`, one
statement) in-process:

1. **Build**: a fresh database with the migrations applied; a district of `--streets` streets of
   ten communities each (through the services), one approved unit, then `--resources` resource
   entries bulk-inserted with their served areas (70 % one community, 25 % a street, 5 % the
   district; 7 categories; 80 % available now, 10 % expired, 10 % starting later; 10 % used up;
   5 % withdrawn), and `--needs` open needs spread over the communities and categories (through
   the services). PostgreSQL tables are ANALYZEd after the load. Titles are 资源N / 需求N (no
   words in common: relevance 0 everywhere, the ranking statement returns `first` rows), or
   with `--texts` drawn from the quality fixture (seed/bulk/matching_quality.py: a need shares
   words with a good share of the resources, and those rows all come back to be scored).
2. **Measured**: `--queries` calls of `matches_for_need(first=10)`, cycling over the needs, after
   a warm-up pass; wall time per call (p50, p99, max) and SQL statements per call (counted on
   the `tortoise.db_client` logger, as bench/evaluation.py does); the candidates a need has.

Prints a markdown report and writes it to bench/results/matching-<timestamp>-<database>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.evaluation import Phase, counting, in_context
from seed.bulk.matching import COMMUNITIES_PER_STREET, build
from services.kit import clock

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_matching"
FIRST = 10


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench matching",
        description="Latency and SQL statements of matchesForNeed over a long resource list.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--resources", type=int, default=None, help="resources (100000)")
    parser.add_argument("--streets", type=int, default=5, help="streets of 10 communities (5)")
    parser.add_argument("--needs", type=int, default=100, help="open needs (100)")
    parser.add_argument("--queries", type=int, default=500, help="measured calls (500)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 5,000 resources")
    parser.add_argument(
        "--texts",
        action="store_true",
        help="titles and descriptions from the quality fixture instead of 资源N / 需求N",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write .md")
    return parser


@dataclass
class Options:
    """The resolved command line."""

    database: str
    resources: int
    streets: int
    needs: int
    queries: int
    results_dir: Path
    texts: bool

    @classmethod
    def parse(cls, argv: list[str]) -> Options:
        args = _parser().parse_args(argv)
        resources = args.resources or (5_000 if args.quick else 100_000)
        queries = min(args.queries, 100) if args.quick else args.queries
        return cls(
            args.database,
            resources,
            args.streets,
            args.needs,
            queries,
            args.results_dir,
            args.texts,
        )


@dataclass
class Outcome:
    """What was built and measured."""

    build_seconds: float
    latencies_ms: list[float]
    statements: list[int]
    candidates: list[int]
    top_scores: list[int]


async def _candidates(need_id: int) -> int:
    from services import partners
    from services.kit.auth import Actor

    actor = Actor(account_id=0, person_id=0, username="bench")
    return len(
        await partners.matches_for_need(actor=actor, need_id=need_id, first=partners.MAX_MATCHES)
    )


async def _measure(options: Options, needs: list[int]) -> Outcome:
    from services import partners
    from services.kit.auth import Actor

    actor = Actor(account_id=0, person_id=0, username="bench")
    for need_id in needs:  # warm-up: caches, prepared statements, pages
        await partners.matches_for_need(actor=actor, need_id=need_id, first=FIRST)
    latencies: list[float] = []
    statements: list[int] = []
    tops: list[int] = []
    for q in range(options.queries):
        need_id = needs[q % len(needs)]
        phase = Phase()
        async with counting(phase, None):
            started = time.perf_counter()
            found = await partners.matches_for_need(actor=actor, need_id=need_id, first=FIRST)
            latencies.append((time.perf_counter() - started) * 1000)
        statements.append(phase.statements)
        if found:
            tops.append(found[0].score)
    candidates = [await _candidates(n) for n in needs[:20]]
    return Outcome(0.0, latencies, statements, candidates, tops)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(outcome: Outcome, options: Options, started: datetime) -> str:
    lat = outcome.latencies_ms
    lines = [
        f"# matchesForNeed over {options.resources:,} resources ({options.database})",
        "",
        f"- started {started:%Y-%m-%d %H:%M:%S} UTC on {platform.node()} "
        f"({platform.python_version()}, {os.cpu_count()} CPUs)",
        f"- {options.streets} streets × {COMMUNITIES_PER_STREET} communities, "
        f"{options.needs} needs; built in {outcome.build_seconds:.1f} s",
        "- texts: "
        + ("from the quality fixture (`--texts`)" if options.texts else "资源N / 需求N"),
        f"- {len(lat)} calls of `services.partners.matches_for_need(first={FIRST})` in-process",
        "",
        "| figure | value |",
        "|---|---|",
        f"| p50 latency | {statistics.median(lat):.2f} ms |",
        f"| p99 latency | {_percentile(lat, 0.99):.2f} ms |",
        f"| max latency | {max(lat):.2f} ms |",
        f"| mean latency | {statistics.fmean(lat):.2f} ms |",
        f"| SQL statements per call | {min(outcome.statements)}-{max(outcome.statements)} |",
        f"| ranked candidates per need (first 20 needs, capped at 100) | "
        f"{min(outcome.candidates)}-{max(outcome.candidates)} |",
        f"| top score (min-max) | {min(outcome.top_scores, default=0)}-"
        f"{max(outcome.top_scores, default=0)} |",
    ]
    return "\n".join(lines) + "\n"


def run(options: Options, workdir: Path) -> Outcome:
    """Build and measure; drops the PostgreSQL database at the end."""
    from bench.prepare import drop_postgres, recreate_postgres

    if options.database == "postgres":
        url = os.environ.get("BENCH_MATCHING_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
    else:
        url = f"sqlite://{workdir}/bench.sqlite3"
    try:
        print(f"[matching] building {options.resources:,} resources ({options.database}) ...")
        started = time.perf_counter()
        needs = asyncio.run(
            in_context(
                url,
                lambda: build(
                    streets=options.streets,
                    resources=options.resources,
                    needs=options.needs,
                    rng=random.Random(5),
                    texts=options.texts,
                ),
            )
        )
        seconds = time.perf_counter() - started
        print(f"[matching] built in {seconds:.1f} s; measuring {options.queries} calls ...")
        outcome: Outcome = asyncio.run(in_context(url, lambda: _measure(options, needs)))
        outcome.build_seconds = seconds
        return outcome
    finally:
        if options.database == "postgres":
            asyncio.run(drop_postgres(url))


def main(argv: list[str]) -> int:
    """Entry point of `python -m bench matching`."""
    options = Options.parse(argv)
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secrets.token_urlsafe(48))
    started = clock.now()  # after the settings: the clock reads them
    workdir = Path(tempfile.mkdtemp(prefix="gridpoints-bench-matching-"))
    try:
        outcome = run(options, workdir)
    except KeyboardInterrupt:
        print("\n[matching] stopped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(outcome, options, started)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"matching-{started:%Y%m%d-%H%M%S}-{options.database}.md"
    path.write_text(text, encoding="utf-8")
    print()
    print(text)
    print(f"written to {path}")
    return 0
