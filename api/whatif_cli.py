"""Command line of the what-if (试算): `python -m api simulate-evaluation --under CODE --quarter
2026Q3 [--weight PROBLEM_HANDLING=70 ...] [--metric ORDERS_WITHIN_SLA=5] [--exit-threshold 50]
[--red-flags RED_FLAG_CENTRAL_HOUSEHOLD=2]`: the period under the changes beside its own, as the
admin of its district; `python -m api simulate-points-rule --rule CODE --under CODE --from
2026-04-01T00:00+08:00 [--to ...] [--points N] [--cap-per-day N] [--cap-per-month N]
[--cap-per-quarter N] [--clear-cap DAY]`: a rule's awards of a past window replayed under changed
points or caps. Both write nothing."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from services.enums import CapWindow, Dimension, HonourKind, Metric, Role
from services.errors import DomainError
from services.evaluation import EvaluationChanges, WeightChange, simulate_evaluation
from services.evaluation.whatif import EvaluationSimulation, period_at
from services.exports import system_actor
from services.grids.areas import area_by_code
from services.kit import clock, db
from services.kit.settings import get_settings
from services.points import PointsRuleChanges, PointsRuleSimulation, simulate_points_rule

COMMANDS = frozenset({"simulate-evaluation", "simulate-points-rule"})


def _pair(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: give NAME=NUMBER")
    try:
        return name.strip().upper(), int(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: {value!r} is not a whole number") from error


def add_commands(sub: Any) -> None:
    """Register the what-if subcommands on the parser's subparsers."""
    simulate = sub.add_parser(
        "simulate-evaluation",
        help="a scored period's ranks, red flags and exit reviews under tried rules, beside "
        "its own; writes nothing",
    )
    simulate.add_argument("--under", required=True, metavar="CODE", help="the period's area")
    simulate.add_argument("--quarter", required=True, help="the period's quarter (2026Q3)")
    simulate.add_argument(
        "--weight",
        type=_pair,
        action="append",
        default=[],
        metavar="DIMENSION=N",
        help="a dimension's weight for every role (or ROLE:DIMENSION=N); weights sum to 100",
    )
    simulate.add_argument("--metric", type=_pair, action="append", default=[], metavar="METRIC=N")
    simulate.add_argument("--exit-threshold", type=int, default=None)
    simulate.add_argument(
        "--red-flags", type=_pair, action="append", default=[], metavar="KIND=TOP"
    )
    _add_points_rule(sub)


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r}: give an ISO 8601 moment") from error
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give its offset, e.g. +08:00")
    return moment


def _add_points_rule(sub: Any) -> None:
    simulate = sub.add_parser(
        "simulate-points-rule",
        help="a points rule's awards of a past window replayed under tried points or caps, "
        "beside what was given; writes nothing",
    )
    simulate.add_argument("--rule", required=True, metavar="CODE", help="the rule's code")
    simulate.add_argument(
        "--under", required=True, metavar="CODE", help="a community, street or the district"
    )
    simulate.add_argument("--from", dest="start", required=True, type=_moment, metavar="MOMENT")
    simulate.add_argument(
        "--to", dest="end", type=_moment, default=None, metavar="MOMENT", help="default: now"
    )
    simulate.add_argument("--points", type=int, default=None, help="points per unit")
    for window in ("day", "month", "quarter"):
        simulate.add_argument(f"--cap-per-{window}", type=int, default=None, metavar="N")
    simulate.add_argument(
        "--clear-cap",
        action="append",
        default=[],
        choices=[w.value for w in CapWindow],
        help="try the rule without this cap",
    )


def _print_points_rule(sim: PointsRuleSimulation) -> None:
    print(
        f"{sim.rule_code} under {sim.area.name}, {sim.start.isoformat()} - {sim.end.isoformat()}: "
        f"{sim.awards} awards of {sim.people_count} people, {sim.refused} refused and "
        f"{sim.clamped} clamped by a cap; cost {sim.cost} -> {sim.simulated_cost} "
        f"({sim.difference:+d})"
    )
    for c in sim.communities:
        print(
            f"  pool {c.name}: {c.awards} awards, cost {c.cost} -> {c.simulated_cost} "
            f"({c.difference:+d}), {c.capped_people} of {c.people} people capped"
        )
    print(f"{sim.changed_count} people would receive more or less:")
    for p in sim.people:
        caps = ",".join(sorted(w.value for w in p.caps_hit))
        print(
            f"  person {p.person_id} {p.name}: {p.received} -> {p.simulated} ({p.difference:+d})"
            + (f", capped {caps} (refused {p.refused}, clamped {p.clamped})" if caps else "")
        )


async def _run_points_rule(args: argparse.Namespace) -> int:
    try:
        area = await area_by_code(code=args.under)
        sim = await simulate_points_rule(
            actor=await system_actor(area),
            under_id=area.id,
            rule_code=args.rule,
            changes=PointsRuleChanges(
                points=args.points,
                cap_per_day=args.cap_per_day,
                cap_per_month=args.cap_per_month,
                cap_per_quarter=args.cap_per_quarter,
                clear_caps=frozenset(CapWindow(w) for w in args.clear_cap),
            ),
            start=args.start,
            end=args.end or clock.now(),
        )
    except DomainError as error:
        print(f"simulate-points-rule refused: {error}")
        return 1
    _print_points_rule(sim)
    return 0


def _changes(args: argparse.Namespace) -> EvaluationChanges:
    weights = []
    for name, weight in args.weight:
        role, _, dimension = name.rpartition(":")
        weights.append(WeightChange(Dimension(dimension), weight, Role(role) if role else None))
    return EvaluationChanges(
        weights=weights,
        metric_points=[(Metric(name), points) for name, points in args.metric],
        exit_threshold=args.exit_threshold,
        red_flag_top=[(HonourKind(name), top) for name, top in args.red_flags],
    )


def _print(sim: EvaluationSimulation) -> None:
    print(
        f"period {sim.period.quarter}: {sim.evaluated} evaluated, {sim.moved} change "
        f"(red flags {sim.red_flag_count} -> {sim.simulated_red_flag_count}, exit reviews "
        f"{sim.exit_review_count} -> {sim.simulated_exit_review_count})"
    )
    for m in sim.moves:
        print(
            f"  person {m.person_id} {m.role.value}: {m.total / 100:.2f} -> "
            f"{m.simulated_total / 100:.2f}, rank {m.rank} -> {m.simulated_rank}"
            + (f", poor {m.poor} -> {m.simulated_poor}" if m.poor != m.simulated_poor else "")
        )
    now = {(f.kind, f.area_id, f.person_id) for f in sim.red_flags}
    then = {(f.kind, f.area_id, f.person_id) for f in sim.simulated_red_flags}
    for label, flags in (("gains", then - now), ("loses", now - then)):
        for kind, area_id, person_id in sorted(flags, key=str):
            print(f"  {label} {kind.value}: area {area_id}, person {person_id}")


async def run(args: argparse.Namespace) -> int:
    """Run the simulation; the exit status (1: refused, with the reason)."""
    await db.init(get_settings().database_url, run_migrations=False)
    try:
        if args.command == "simulate-points-rule":
            return await _run_points_rule(args)
        try:
            changes = _changes(args)
        except ValueError as error:
            print(f"simulate-evaluation refused: {error}")
            return 1
        try:
            area = await area_by_code(code=args.under)
            period = await period_at(area_id=area.id, quarter=args.quarter)
            sim = await simulate_evaluation(
                actor=await system_actor(area), period_id=period.id, changes=changes
            )
        except DomainError as error:
            print(f"simulate-evaluation refused: {error}")
            return 1
        _print(sim)
        return 0
    finally:
        await db.close()
