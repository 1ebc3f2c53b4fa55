"""`python -m bench whatif`: simulateEvaluation on a community of 1,000 role holders (target
under 1 s) and on a street of 10,000 (the size issue 17 names for a district; target under 10 s).

1. **Build** (bulk SQL, seed/bulk/evaluation.py as `bench evaluation` builds it): one street of
   `--holders` evaluated role holders in communities of `--per-community` (default 1,000),
   `--entries` ledger entries.
2. **Warm-up**: the previous quarter is opened, scored and published for the whole street (so
   the current quarter has a published predecessor: simulated exit reviews are real).
3. **Measured**: `services.evaluation.simulate_evaluation` as the street admin, with problem
   handling weighing 70 and the exit threshold moved: on the street's published quarter (all
   holders), then on one community's current quarter, opened and scored. Wall time of each,
   best of `--repeat`, and the row counts and ledger head before and after (unchanged).
4. **Points rule** (simulatePointsRule): a rule BENCH_HOUR (10 a unit, capped 40 a day) and a
   quarter of its awards, `--awards` per holder (default 13, about one a week) of 1-4 units,
   bulk-inserted in the previous quarter; `services.points.simulate_points_rule` as the street
   admin with 12 a unit and a day cap of 30 over that quarter, for the street (all holders, the
   district's size) and for one community. `--points-only` skips steps 2-3.

Prints a markdown report and writes it to bench/results/whatif-<timestamp>-<database>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import seed.bulk.evaluation as bulk
from bench.evaluation import DEFAULT_POSTGRES_URL, RESULTS, in_context, run_quarter
from services.kit import clock

COMMUNITY_TARGET = 1.0
STREET_TARGET = 10.0
TABLES = (
    "evaluation_result",
    "area_evaluation",
    "evaluation_honour",
    "exit_review",
    "evaluation_period",
    "points_transaction",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench whatif", description="simulateEvaluation wall time."
    )
    parser.add_argument("--holders", type=int, default=10_000, help="role holders (10000)")
    parser.add_argument(
        "--per-community", type=int, default=1_000, help="holders per community (1000)"
    )
    parser.add_argument("--entries", type=int, default=200_000, help="ledger entries (200000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each simulation (3)")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--awards", type=int, default=13, help="points-rule awards per holder in the quarter (13)"
    )
    parser.add_argument(
        "--points-only", action="store_true", help="only the points-rule simulation (step 4)"
    )
    return parser


async def _state() -> dict[str, Any]:
    from services.kit import db

    found: dict[str, Any] = {
        t: int((await db.fetch(f"SELECT COUNT(*) AS n FROM {t}", []))[0]["n"]) for t in TABLES
    }
    found["ledger head"] = (await db.fetch("SELECT MAX(id) AS h FROM points_transaction", []))[0][
        "h"
    ]
    return found


async def _timed(actor: Any, period_id: int, repeat: int) -> tuple[float, Any]:
    from services import evaluation
    from services.enums import Dimension

    changes = evaluation.EvaluationChanges(
        weights=[
            evaluation.WeightChange(Dimension.PROBLEM_HANDLING, 70),
            evaluation.WeightChange(Dimension.POLICY_COMMUNICATION, 10),
            evaluation.WeightChange(Dimension.MANAGEMENT_SERVICE, 10),
            evaluation.WeightChange(Dimension.INFORMATION_REPORTING, 10),
        ],
        exit_threshold=40,
    )
    best = float("inf")
    sim = None
    for _ in range(repeat):
        started = time.perf_counter()
        sim = await evaluation.simulate_evaluation(
            actor=actor, period_id=period_id, changes=changes
        )
        best = min(best, time.perf_counter() - started)
    return best, sim


POINTS_TABLES = ("points_award", "points_transaction", "points_entry", "points_chain_head")


async def _points_state() -> dict[str, int]:
    from services.kit import db

    return {
        t: int((await db.fetch(f"SELECT COUNT(*) AS n FROM {t}", []))[0]["n"])
        for t in POINTS_TABLES
    }


async def _points_rule(built: Any, quarter: str, args: argparse.Namespace) -> list[str]:
    """Step 4: the rule, its awards of `quarter`, and the timed simulations."""
    from datetime import timedelta

    from seed.bulk.sql import insert_rows
    from services import accounts, points
    from services.enums import AreaLevel, AwardStatus, Dimension
    from services.evaluation.scoring import quarter_bounds
    from services.kit import db
    from services.kit.paths import community_path
    from services.models import Area, PointsRule

    actor = await accounts.load_actor(account_id=built.admin_account_id)
    assert actor is not None
    rule = await PointsRule.create(
        code="BENCH_HOUR",
        name="基准志愿服务",
        dimension=Dimension.VOLUNTEER_SERVICE,
        points=10,
        cap_per_day=40,
    )
    communities = {
        a.path: a.id for a in await Area.filter(level=AreaLevel.COMMUNITY).only("id", "path")
    }
    holders = await db.fetch(
        "SELECT DISTINCT person_id, area_path FROM role_assignment WHERE until IS NULL "
        "ORDER BY person_id",
        [],
    )
    _, start, end = quarter_bounds(quarter)
    span = (end - start).total_seconds()
    rows: list[tuple[Any, ...]] = []
    approved = AwardStatus.APPROVED.value
    seen: set[int] = set()
    for h in holders:
        person = int(h["person_id"])
        path = community_path(str(h["area_path"]))
        if person in seen or path not in communities:
            continue
        seen.add(person)
        for k in range(args.awards):
            # spread over the quarter; every third holder twice on some days (caps bind)
            offset = span * (k + (person % 7) / 10) / (args.awards + 1)
            at = start + timedelta(seconds=offset)
            units = 1 + (person + k) % 4
            rows.append(
                (person, rule.id, 1, communities[path], path, units, units * 10, approved, at)
            )
            if person % 3 == 0 and k % 4 == 0:
                later = at + timedelta(hours=1)
                rows.append((person, rule.id, 1, communities[path], path, 2, 20, approved, later))
    started = time.perf_counter()
    await insert_rows(
        "points_award",
        (
            "person_id",
            "rule_id",
            "rule_version",
            "community_id",
            "area_path",
            "quantity",
            "points",
            "status",
            "created_at",
            "reason",
        ),
        [(*r, "bench") for r in rows],
    )
    out = [
        f"- points rule: {len(rows):,} BENCH_HOUR awards of {len(seen):,} holders in {quarter} "
        f"inserted in {time.perf_counter() - started:.1f} s"
    ]
    changes = points.PointsRuleChanges(points=12, cap_per_day=30)
    street = await Area.get(id=built.street_id)
    first = min(communities.values())
    before = await _points_state()
    table = [
        "",
        f"| simulatePointsRule {quarter} | holders | awards | best of {args.repeat} | target | "
        "| under the changes |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for label, area_id, target in (
        ("street (district size)", street.id, STREET_TARGET),
        ("one community", first, COMMUNITY_TARGET),
    ):
        best = float("inf")
        sim = None
        for _ in range(args.repeat):
            started = time.perf_counter()
            sim = await points.simulate_points_rule(
                actor=actor,
                under_id=area_id,
                rule_code="BENCH_HOUR",
                changes=changes,
                start=start,
                end=end,
            )
            best = min(best, time.perf_counter() - started)
        assert sim is not None
        ok = best < target
        table.append(
            f"| {label} | {sim.people_count:,} | {sim.awards:,} | {best:.3f} s | "
            f"< {target:.0f} s | {'ok' if ok else 'MISSED'} | cost {sim.cost:,} → "
            f"{sim.simulated_cost:,}, {sim.refused:,} refused, {sim.capped_count:,} capped |"
        )
    after = await _points_state()
    table.append("")
    counted = ", ".join(f"{k} {v}" for k, v in after.items())
    table.append(
        "- nothing written by the points-rule simulations: "
        f"{'ok' if after == before else 'FAILED'} ({counted})"
    )
    return out + table


def run(args: argparse.Namespace, workdir: Path) -> list[str]:
    from bench.prepare import drop_postgres, recreate_postgres

    bulk.HOLDERS_PER_COMMUNITY = args.per_community
    layout = bulk.Layout(args.holders, args.entries)
    now = clock.now()
    _, previous, current = bulk.quarters(now)
    if args.database == "postgres":
        url = os.environ.get("BENCH_EVALUATION_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
    else:
        url = f"sqlite://{workdir}/bench.sqlite3"
    lines: list[str] = []
    try:
        print(f"[whatif] building {args.database} ...", flush=True)
        built = asyncio.run(bulk.build(url, layout, now))
        lines.append(
            f"- built in {built.seconds:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in built.counts.items())
        )
        print(lines[-1], flush=True)
        if args.points_only:
            lines.extend(asyncio.run(in_context(url, lambda: _points_rule(built, previous, args))))
            return lines
        warm = asyncio.run(in_context(url, lambda: run_quarter(built, previous)))
        lines.append(f"- warm-up: {previous} scored and published in {warm.total_seconds:.2f} s")
        print(lines[-1], flush=True)

        async def measure() -> list[str]:
            from services import accounts, evaluation
            from services.enums import AreaLevel
            from services.models import Area

            actor = await accounts.load_actor(account_id=built.admin_account_id)
            assert actor is not None
            out = []
            before = await _state()
            street, sim = await _timed(actor, warm.period_id, args.repeat)
            ok = street < STREET_TARGET
            out.append(
                f"| street {previous} (published) | {sim.evaluated:,} | {street:.3f} s | "
                f"< {STREET_TARGET:.0f} s | {'ok' if ok else 'MISSED'} | {sim.moved:,} moved, "
                f"red flags {sim.red_flag_count} → {sim.simulated_red_flag_count}, exit "
                f"reviews {sim.exit_review_count} → {sim.simulated_exit_review_count} |"
            )
            community = (
                await Area.filter(level=AreaLevel.COMMUNITY, path__startswith="/")
                .order_by("id")
                .first()
            )
            assert community is not None
            period = await evaluation.open_period(
                actor=actor, area_id=community.id, quarter=current
            )
            await evaluation.start_scoring(
                actor=actor, period_id=period.id, early_reason="bench whatif"
            )
            middle = await _state()
            one, sim = await _timed(actor, period.id, args.repeat)
            ok = one < COMMUNITY_TARGET
            out.append(
                f"| community {current} (scoring) | {sim.evaluated:,} | {one:.3f} s | "
                f"< {COMMUNITY_TARGET:.0f} s | {'ok' if ok else 'MISSED'} | {sim.moved:,} moved, "
                f"red flags {sim.red_flag_count} → {sim.simulated_red_flag_count}, exit "
                f"reviews {sim.exit_review_count} → {sim.simulated_exit_review_count} |"
            )
            after = await _state()
            unchanged = after == middle and before["ledger head"] == after["ledger head"]
            out.append("")
            out.append(
                f"- nothing written by the simulations: {'ok' if unchanged else 'FAILED'} "
                f"({', '.join(f'{k} {v}' for k, v in after.items())})"
            )
            return out

        lines.extend(
            [
                "",
                f"| period | holders | best of {args.repeat} | target | | under the changes |",
                "|---|---:|---:|---|---|---|",
                *asyncio.run(in_context(url, measure)),
            ]
        )
        lines.extend(asyncio.run(in_context(url, lambda: _points_rule(built, previous, args))))
    finally:
        if args.database == "postgres":
            asyncio.run(drop_postgres(url))
    return lines


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    started = clock.now()
    with tempfile.TemporaryDirectory(prefix="bench-whatif-") as workdir:
        lines = run(args, Path(workdir))
    text = "\n".join(
        [
            f"# bench whatif — {started:%Y-%m-%d %H:%M} — {args.database}",
            "",
            f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs; "
            f"{args.holders:,} holders, {args.per_community:,} a community, "
            f"{args.entries:,} ledger entries.",
            "",
            *lines,
            "",
        ]
    )
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"whatif-{started:%Y%m%d-%H%M%S}-{args.database}.md").write_text(text)
    return 0 if "MISSED" not in text and "FAILED" not in text else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
