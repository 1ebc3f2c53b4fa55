"""What-if (试算): a scored period's rankings, red flags and exit reviews under changed rules,
side by side with those of its own rules. Reads only: nothing is written, no transaction.

Both sides are computed by the same pure function (`standings`) from the period's stored
inputs: each result's automatic parts (ledger credit and metric counts, as scored), its manual
adjustments that stand, and its areas' activity. Metric parts are counted again at the changed
points per unit; ledger parts and adjustments are kept. Ranks, poor results, red flags and exit
reviews follow the rules of services.evaluation.scoring and services.evaluation.periods.

Grids and micro-grids keep their stored (published) score and rank on the current side, and on
the simulated side while their holders' mean total is unchanged; an area whose holders' mean
changes is scored again from its stored activity, which is rounded to a hundredth (scoring used
the exact one), so its simulated score can be one hundredth off an exact rescoring.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from fractions import Fraction

from services.enums import (
    EVALUATED_ROLES,
    EVALUATION_DIMENSIONS,
    AreaLevel,
    Dimension,
    HonourKind,
    Metric,
    PeriodStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.evaluation import scoring
from services.evaluation.periods import get_period, rules_of
from services.evaluation.schemes import (
    MAX_METRIC_POINTS,
    MAX_TOP,
    DimensionSpec,
    RoleSpec,
    Scheme,
)
from services.kit import db
from services.kit.auth import Actor, require_actor
from services.models import EvaluationPeriod

MAX_CHANGES = 50
# The moves listed (largest first), red flags and exit reviews listed per side (in community
# order); the counts cover them all.
MOVES_LIMIT = 500
FLAGS_LIMIT = 500
EXITS_LIMIT = 200


@dataclass(frozen=True)
class WeightChange:
    """A dimension's weight for a role (None: every evaluated role)."""

    dimension: Dimension
    weight: int
    role: Role | None = None


@dataclass(frozen=True)
class EvaluationChanges:
    """What to try: weights, points per unit of the metrics (items), the exit threshold and how
    many red flags of a kind each community names. Unset: as the period's scheme has it."""

    weights: list[WeightChange] = field(default_factory=list)
    metric_points: list[tuple[Metric, int]] = field(default_factory=list)
    exit_threshold: int | None = None
    red_flag_top: list[tuple[HonourKind, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Holder:
    """A scored role holder's inputs: who, where, and the parts of their result."""

    result_id: int
    person_id: int
    role: Role
    assignment_id: int
    area_id: int
    area_path: str
    community_id: int
    base: dict[Dimension, list[scoring.Part]]
    manual: list[tuple[Dimension, scoring.Part]]


@dataclass(frozen=True)
class AreaInput:
    area_id: int
    area_path: str
    level: AreaLevel
    community_id: int
    activity: int
    # As scored and stored (area_evaluation): the score, the holders' mean total (both
    # hundredths) and whether the area had holders.
    score: int
    holders_mean: int
    held: bool


@dataclass(frozen=True)
class Standing:
    """A holder's total (hundredths), community rank and whether the result is poor."""

    holder: Holder
    total: int
    score_sum: int
    rank: int
    poor: bool


@dataclass(frozen=True)
class Flag:
    """A red flag a period would name."""

    kind: HonourKind
    area_id: int
    person_id: int | None
    rank: int
    score: int


@dataclass(frozen=True)
class Outcome:
    standings: dict[int, Standing]  # by result id
    red_flags: list[Flag]
    exits: set[int]  # result ids flagged for exit review


@dataclass(frozen=True)
class Move:
    """One holder, now and under the changes."""

    person_id: int
    role: Role
    area_id: int
    total: int
    simulated_total: int
    rank: int
    simulated_rank: int
    poor: bool
    simulated_poor: bool

    @property
    def rank_change(self) -> int:
        """Places gained (negative: lost)."""
        return self.rank - self.simulated_rank


@dataclass(frozen=True)
class EvaluationSimulation:
    """The period under its own rules and under the changes."""

    period: EvaluationPeriod
    scheme: Scheme
    simulated_scheme: Scheme
    evaluated: int
    moved: int
    moves: list[Move]
    red_flags: list[Flag]
    simulated_red_flags: list[Flag]
    exit_reviews: list[Move]
    simulated_exit_reviews: list[Move]
    red_flag_count: int
    simulated_red_flag_count: int
    exit_review_count: int
    simulated_exit_review_count: int


# --- the pure part -----------------------------------------------------------------------


def standings(holders: list[Holder], scheme: Scheme) -> dict[int, Standing]:
    """Totals, community ranks (per role: total, then the sum of the dimension scores, then
    the earlier assignment) and poor results (below the exit threshold, or last of two or
    more), as scoring.rank_period ranks them."""
    scored: dict[tuple[int, Role], list[tuple[Holder, int, int]]] = defaultdict(list)
    for h in holders:
        total, score_sum, _ = scoring.totals(
            scheme.role(h.role), scoring.rescored(h.base, scheme), h.manual
        )
        scored[(h.community_id, h.role)].append((h, total, score_sum))
    out: dict[int, Standing] = {}
    for group in scored.values():
        group.sort(key=lambda e: (-e[1], -e[2], e[0].assignment_id))
        for rank, (h, total, score_sum) in enumerate(group, start=1):
            poor = total < scheme.exit_threshold * 100 or (rank > 1 and rank == len(group))
            out[h.result_id] = Standing(h, total, score_sum, rank, poor)
    return out


def _means(ranked: dict[int, Standing]) -> dict[str, Fraction]:
    """The holders' mean total of each grid and micro-grid (as scoring.score_areas takes it)."""
    entries: dict[str, list[int]] = defaultdict(list)
    for s in ranked.values():
        path = s.holder.area_path
        entries[scoring.prefix(path, 4)].append(s.total)
        if path.count("/") > 5:
            entries[scoring.prefix(path, 5)].append(s.total)
    return {path: Fraction(sum(t), len(t)) for path, t in entries.items()}


def red_flags(
    ranked: dict[int, Standing],
    areas: list[AreaInput],
    scheme: Scheme,
    stored_means: dict[str, Fraction] | None = None,
) -> list[Flag]:
    """The red flags publishing would name (as periods._winners): per community the top K
    grids and micro-grids scoring at least the exit threshold, with their leader, and the top
    K central households that are not poor.

    An area scores as stored (its published score and holders' mean) when `stored_means` is
    None (the period's own rules) or its holders' mean is the stored one; only an area whose
    holders' mean changed is scored again, from its stored activity, which is rounded to a
    hundredth, so its score can be one hundredth off an exact rescoring."""
    entries: dict[str, list[int]] = defaultdict(list)
    leaders: dict[tuple[int, Role], int] = {}
    for s in ranked.values():
        path = s.holder.area_path
        entries[scoring.prefix(path, 4)].append(s.total)
        if path.count("/") > 5:
            entries[scoring.prefix(path, 5)].append(s.total)
        leaders[(s.holder.area_id, s.holder.role)] = s.holder.person_id
    # Areas without holders rank too (as scoring ranks them), but are never honoured.
    grouped: dict[tuple[int, AreaLevel], list[tuple[int, int, AreaInput, bool]]] = defaultdict(list)
    for a in areas:
        totals = entries.get(a.area_path, [])
        mean = Fraction(sum(totals), len(totals)) if totals else Fraction(0)
        if stored_means is None or stored_means.get(a.area_path, Fraction(0)) == mean:
            grouped[(a.community_id, a.level)].append((a.score, a.holders_mean, a, a.held))
            continue
        score = scoring.half_up(scoring.area_score(mean, Fraction(a.activity)))
        grouped[(a.community_id, a.level)].append((score, scoring.half_up(mean), a, bool(totals)))
    flags: list[Flag] = []
    for kind, level, leader in (
        (HonourKind.RED_FLAG_GRID, AreaLevel.GRID, Role.GRID_LEADER),
        (HonourKind.RED_FLAG_MICRO_GRID, AreaLevel.MICRO_GRID, Role.MICRO_GRID_LEADER),
    ):
        top = scheme.honour(kind).top
        for (_, lvl), group in sorted(grouped.items(), key=lambda kv: kv[0][0]):
            if lvl is not level:
                continue
            group.sort(key=lambda e: (-e[0], -e[1], e[2].area_id))
            for rank, (score, _, a, held) in enumerate(group, start=1):
                if held and rank <= top and score >= scheme.exit_threshold * 100:
                    flags.append(
                        Flag(kind, a.area_id, leaders.get((a.area_id, leader)), rank, score)
                    )
    top = scheme.honour(HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD).top
    households = sorted(
        (
            s
            for s in ranked.values()
            if s.holder.role is Role.CENTRAL_HOUSEHOLD and s.rank <= top and not s.poor
        ),
        key=lambda s: (s.holder.community_id, s.rank),
    )
    flags.extend(
        Flag(
            HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD,
            s.holder.area_id,
            s.holder.person_id,
            s.rank,
            s.total,
        )
        for s in households
    )
    return flags


def outcome(
    holders: list[Holder],
    areas: list[AreaInput],
    poor_before: set[int],
    scheme: Scheme,
    stored_means: dict[str, Fraction] | None = None,
) -> Outcome:
    """Everything a scheme makes of a period's inputs; `poor_before`: the assignments poor in
    the previous quarter's published period (two poor quarters in a row: exit review);
    `stored_means`: see `red_flags`."""
    ranked = standings(holders, scheme)
    exits = {
        s.holder.result_id
        for s in ranked.values()
        if s.poor and s.holder.assignment_id in poor_before
    }
    return Outcome(ranked, red_flags(ranked, areas, scheme, stored_means), exits)


# --- changes -----------------------------------------------------------------------------


def apply_changes(scheme: Scheme, changes: EvaluationChanges) -> Scheme:
    """The scheme with the changes, checked as update_scheme checks a scheme (InvalidInput)."""
    if len(changes.weights) + len(changes.metric_points) + len(changes.red_flag_top) > MAX_CHANGES:
        raise InvalidInput(f"At most {MAX_CHANGES} changes.", field="changes")
    weights: dict[tuple[Role, Dimension], int] = {}
    for w in changes.weights:
        if w.dimension not in EVALUATION_DIMENSIONS:
            raise InvalidInput(
                f"{w.dimension.value} is not one of the four evaluation dimensions.",
                field="changes.weights",
            )
        if w.role is not None and w.role not in EVALUATED_ROLES:
            raise InvalidInput(f"{w.role.value} is not evaluated.", field="changes.weights")
        if not 0 <= w.weight <= 100:
            raise InvalidInput("A weight is between 0 and 100.", field="changes.weights")
        for role in [w.role] if w.role is not None else list(EVALUATED_ROLES):
            if (role, w.dimension) in weights:
                raise InvalidInput(
                    f"{role.value} {w.dimension.value}: give each weight once.",
                    field="changes.weights",
                )
            weights[(role, w.dimension)] = w.weight
    roles = []
    for spec in scheme.roles:
        dims = tuple(
            DimensionSpec(d.dimension, weights.get((spec.role, d.dimension), d.weight), d.max_score)
            for d in spec.dimensions
        )
        if sum(d.weight for d in dims) != 100:
            raise InvalidInput(
                f"{spec.role.value}: the weights must sum to 100 "
                f"(they would sum to {sum(d.weight for d in dims)}).",
                field="changes.weights",
            )
        roles.append(RoleSpec(spec.role, dims))
    points_per = dict(changes.metric_points)
    if len(points_per) != len(changes.metric_points):
        raise InvalidInput("Give each metric once.", field="changes.metricPoints")
    for metric, points in points_per.items():
        if not 0 <= points <= MAX_METRIC_POINTS:
            raise InvalidInput(
                f"{metric.value}: points per unit are between 0 and {MAX_METRIC_POINTS}.",
                field="changes.metricPoints",
            )
    metric_points = tuple(
        replace(m, points=points_per.get(m.metric, m.points)) for m in scheme.metric_points
    )
    tops = dict(changes.red_flag_top)
    if len(tops) != len(changes.red_flag_top):
        raise InvalidInput("Give each honour kind once.", field="changes.redFlagTop")
    honours = []
    for h in scheme.honours:
        top = tops.get(h.kind, h.top)
        if not 0 <= top <= MAX_TOP:
            raise InvalidInput(
                f"{h.kind.value}: red flags per community are between 0 and {MAX_TOP}.",
                field="changes.redFlagTop",
            )
        honours.append(replace(h, top=top))
    threshold = scheme.exit_threshold if changes.exit_threshold is None else changes.exit_threshold
    if not 0 <= threshold <= 100:
        raise InvalidInput(
            "The exit threshold is between 0 and 100.", field="changes.exitThreshold"
        )
    return replace(
        scheme,
        roles=tuple(roles),
        honours=tuple(honours),
        metric_points=metric_points,
        training_points=points_per.get(Metric.TRAINING_ATTENDED, scheme.training_points),
        exit_threshold=threshold,
    )


# --- reading the inputs ------------------------------------------------------------------


async def inputs(period: EvaluationPeriod) -> tuple[list[Holder], list[AreaInput], set[int]]:
    """The period's stored inputs: three statements however many holders."""
    rows = await db.fetch(
        "SELECT id, person_id, role, assignment_id, area_id, area_path, community_id, scores "
        "FROM evaluation_result WHERE period_id = ? ORDER BY id",
        [period.id],
    )
    manual = await db.fetch(
        "SELECT a.id, a.result_id, a.dimension, a.item_code, a.points, a.reason "
        "FROM evaluation_adjustment a JOIN evaluation_result r ON r.id = a.result_id "
        "WHERE r.period_id = ? AND a.withdrawn_at IS NULL ORDER BY a.id",
        [period.id],
    )
    by_result: dict[int, list[tuple[Dimension, scoring.Part]]] = defaultdict(list)
    for a in manual:
        result_id = int(a["result_id"])
        by_result[result_id].append(
            (
                Dimension(a["dimension"]),
                scoring.Part(
                    "ITEM" if a["item_code"] else "ADJUSTMENT",
                    str(a["item_code"] or a["reason"]),
                    int(a["points"]),
                    int(a["points"]),
                    int(a["id"]),
                ),
            )
        )
    holders = [
        Holder(
            result_id=int(r["id"]),
            person_id=int(r["person_id"]),
            role=Role(r["role"]),
            assignment_id=int(r["assignment_id"]),
            area_id=int(r["area_id"]),
            area_path=str(r["area_path"]),
            community_id=int(r["community_id"]),
            base=scoring.base_parts(str(r["scores"])),
            manual=by_result.get(int(r["id"]), []),
        )
        for r in rows
    ]
    areas = [
        AreaInput(
            int(a["area_id"]),
            str(a["area_path"]),
            AreaLevel(a["level"]),
            int(a["community_id"]),
            int(a["activity"]),
            int(a["score"]),
            int(a["holders_mean"]),
            int(a["holders"]) > 0,
        )
        for a in await db.fetch(
            "SELECT area_id, area_path, level, community_id, activity, score, holders_mean, "
            "holders FROM area_evaluation "
            "WHERE period_id = ? ORDER BY area_id",
            [period.id],
        )
    ]
    poor_before = {
        int(r["assignment_id"])
        for r in await db.fetch(
            "SELECT prev.assignment_id FROM evaluation_result prev "
            "JOIN evaluation_period p ON p.id = prev.period_id AND p.status = ? "
            "WHERE prev.quarter = ? AND prev.poor = ? AND prev.assignment_id IN "
            "(SELECT assignment_id FROM evaluation_result WHERE period_id = ?)",
            [
                PeriodStatus.PUBLISHED.value,
                scoring.previous_quarter(period.quarter),
                True,
                period.id,
            ],
        )
    }
    return holders, areas, poor_before


def _move(now: Standing, then: Standing) -> Move:
    h = now.holder
    return Move(
        h.person_id,
        h.role,
        h.area_id,
        now.total,
        then.total,
        now.rank,
        then.rank,
        now.poor,
        then.poor,
    )


async def simulate_evaluation(
    *, actor: Actor | None, period_id: int, changes: EvaluationChanges
) -> EvaluationSimulation:
    """The period under changed rules beside its own (admins of the period's area: community
    admins on their community, street and district admins above). Writes nothing."""
    actor = require_actor(actor)
    period = await get_period(period_id)
    if not actor.administers(period.area_path):
        raise Forbidden("Admins of the period's area try its rules.", field="periodId")
    if period.status is PeriodStatus.OPEN:
        raise Conflict("The period is not scored yet: start scoring first.", field="periodId")
    scheme = (await rules_of(period)).scheme
    changed = apply_changes(scheme, changes)
    holders, areas, poor_before = await inputs(period)
    now = outcome(holders, areas, poor_before, scheme)
    then = outcome(holders, areas, poor_before, changed, _means(now.standings))
    moves = [_move(now.standings[i], then.standings[i]) for i in sorted(now.standings)]
    changed_moves = [
        m
        for m in moves
        if (m.total, m.rank, m.poor) != (m.simulated_total, m.simulated_rank, m.simulated_poor)
    ]
    changed_moves.sort(
        key=lambda m: (-abs(m.rank_change), -abs(m.simulated_total - m.total), m.person_id)
    )
    by_id = {m_id: m for m_id, m in zip(sorted(now.standings), moves, strict=True)}
    return EvaluationSimulation(
        period=period,
        scheme=scheme,
        simulated_scheme=changed,
        evaluated=len(moves),
        moved=len(changed_moves),
        moves=changed_moves[:MOVES_LIMIT],
        red_flags=now.red_flags[:FLAGS_LIMIT],
        simulated_red_flags=then.red_flags[:FLAGS_LIMIT],
        exit_reviews=[by_id[i] for i in sorted(now.exits)][:EXITS_LIMIT],
        simulated_exit_reviews=[by_id[i] for i in sorted(then.exits)][:EXITS_LIMIT],
        red_flag_count=len(now.red_flags),
        simulated_red_flag_count=len(then.red_flags),
        exit_review_count=len(now.exits),
        simulated_exit_review_count=len(then.exits),
    )


async def period_at(*, area_id: int, quarter: str) -> EvaluationPeriod:
    """The period of an area and quarter (the command line names periods so)."""
    period = await EvaluationPeriod.get_or_none(area_id=area_id, quarter=quarter)
    if period is None:
        raise NotFound(f"No evaluation period of {quarter} for this area.", field="quarter")
    return period
