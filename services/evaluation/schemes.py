"""The evaluation scheme (评估办法) of the district, the detailed rules (评估细则) of communities.

Both are versioned: every update writes a new version, the newest is in force, and a period
keeps the versions that were in force when it opened (services.evaluation.periods).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.enums import (
    EVALUATED_ROLES,
    EVALUATION_DIMENSIONS,
    METRIC_DIMENSIONS,
    AreaLevel,
    Dimension,
    HonourKind,
    Metric,
    Role,
)
from services.errors import Forbidden, InvalidInput
from services.grids import clean_text, get_area
from services.kit import db
from services.kit.auth import Actor, require_actor
from services.kit.paths import community_path, district_path
from services.models import Area, EvaluationScheme, PointsRule

MAX_SCORE = 1000
MAX_BONUS = 10_000
MAX_TOP = 20
MAX_ITEMS = 50
MAX_RULE_LINKS = 100
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")


@dataclass(frozen=True)
class DimensionSpec:
    """A dimension of a role's evaluation: its weight (weights of a role sum to 100) and the
    most points it can score."""

    dimension: Dimension
    weight: int
    max_score: int


@dataclass(frozen=True)
class RoleSpec:
    """How one evaluated role is scored."""

    role: Role
    dimensions: tuple[DimensionSpec, ...]

    def spec(self, dimension: Dimension) -> DimensionSpec:
        return next(d for d in self.dimensions if d.dimension is dimension)


@dataclass(frozen=True)
class HonourSpec:
    """How many red flags of a kind each community names per quarter, and their bonus points."""

    kind: HonourKind
    top: int
    bonus_points: int


@dataclass(frozen=True)
class MetricPoints:
    """Points per unit of an activity metric, counted in the metric's dimension."""

    metric: Metric
    points: int

    @property
    def dimension(self) -> Dimension:
        return METRIC_DIMENSIONS[self.metric]


@dataclass(frozen=True)
class Scheme:
    """A version of the district scheme (`id` None: the built-in default, version 0)."""

    id: int | None
    version: int
    district_id: int | None
    roles: tuple[RoleSpec, ...]
    honours: tuple[HonourSpec, ...]
    # Points per training session attended in the quarter, counted in MANAGEMENT_SERVICE.
    training_points: int
    # A total below this (out of 100) counts as poor for dynamic exit.
    exit_threshold: int
    created_at: datetime | None = None
    # Points per unit of the activity metrics other than training (see ACTIVITY_METRICS).
    metric_points: tuple[MetricPoints, ...] = ()

    def role(self, role: Role) -> RoleSpec:
        return next(r for r in self.roles if r.role is role)

    def honour(self, kind: HonourKind) -> HonourSpec:
        return next(h for h in self.honours if h.kind is kind)

    def points_per(self, metric: Metric) -> int:
        """Points per unit of a metric (training: `training_points`)."""
        if metric is Metric.TRAINING_ATTENDED:
            return self.training_points
        return next((m.points for m in self.metric_points if m.metric is metric), 0)


@dataclass(frozen=True)
class RuleLink:
    """A points rule as a community counts it: in which dimension (None: the rule's own) and
    with what cap per quarter on the credit it brings (None: uncapped)."""

    rule_code: str
    dimension: Dimension | None
    cap: int | None


@dataclass(frozen=True)
class ManualItem:
    """A manual item of the detailed rules (e.g. attended the monthly meeting, 0-5), scored by
    an admin during scoring."""

    code: str
    name: str
    dimension: Dimension
    max_score: int


@dataclass(frozen=True)
class Details:
    """A version of a community's detailed rules (`id` None: none written yet, version 0)."""

    id: int | None
    version: int
    community_id: int
    rule_links: tuple[RuleLink, ...] = ()
    manual_items: tuple[ManualItem, ...] = ()
    created_at: datetime | None = None

    def link(self, code: str) -> RuleLink | None:
        return next((r for r in self.rule_links if r.rule_code == code), None)

    def item(self, code: str) -> ManualItem | None:
        return next((i for i in self.manual_items if i.code == code), None)


DEFAULT_WEIGHTS = {
    Dimension.POLICY_COMMUNICATION: 25,
    Dimension.MANAGEMENT_SERVICE: 25,
    Dimension.INFORMATION_REPORTING: 25,
    Dimension.PROBLEM_HANDLING: 25,
}
DEFAULT_TOP = {
    HonourKind.RED_FLAG_GRID: 1,
    HonourKind.RED_FLAG_MICRO_GRID: 2,
    HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD: 3,
}
DEFAULT_BONUS = {
    HonourKind.RED_FLAG_GRID: 50,
    HonourKind.RED_FLAG_MICRO_GRID: 30,
    HonourKind.RED_FLAG_CENTRAL_HOUSEHOLD: 20,
}
DEFAULT_TRAINING_POINTS = 10
# The metrics a scheme weighs besides training. Notices acknowledged and reports verified earn
# points through the ledger already (rules NOTICE_RELAYED, PROBLEM_REPORTED), so by default
# they add nothing more; work orders handled within their SLA have no rule of their own.
ACTIVITY_METRICS = (Metric.NOTICES_ACKNOWLEDGED, Metric.REPORTS_VERIFIED, Metric.ORDERS_WITHIN_SLA)
DEFAULT_METRIC_POINTS = {
    Metric.NOTICES_ACKNOWLEDGED: 0,
    Metric.REPORTS_VERIFIED: 0,
    Metric.ORDERS_WITHIN_SLA: 2,
}
MAX_METRIC_POINTS = 100
DEFAULT_EXIT_THRESHOLD = 60


def default_scheme(district_id: int | None = None) -> Scheme:
    """The built-in scheme: equal weights, 100 points per dimension, 1/2/3 red flags."""
    return Scheme(
        id=None,
        version=0,
        district_id=district_id,
        roles=tuple(
            RoleSpec(
                role, tuple(DimensionSpec(d, DEFAULT_WEIGHTS[d], 100) for d in DEFAULT_WEIGHTS)
            )
            for role in EVALUATED_ROLES
        ),
        honours=tuple(HonourSpec(k, DEFAULT_TOP[k], DEFAULT_BONUS[k]) for k in HonourKind),
        training_points=DEFAULT_TRAINING_POINTS,
        exit_threshold=DEFAULT_EXIT_THRESHOLD,
        metric_points=_metric_points({}),
    )


def _metric_points(stored: dict[str, Any]) -> tuple[MetricPoints, ...]:
    """Every activity metric with its points: as stored, else the default (versions written
    before a metric existed score it by the default)."""
    return tuple(
        MetricPoints(m, int(stored.get(m.value, DEFAULT_METRIC_POINTS[m])))
        for m in ACTIVITY_METRICS
    )


# --- stored form ---------------------------------------------------------------------------


def _scheme_body(scheme: Scheme) -> dict[str, Any]:
    return {
        "roles": {
            r.role.value: {
                d.dimension.value: {"weight": d.weight, "max": d.max_score} for d in r.dimensions
            }
            for r in scheme.roles
        },
        "honours": {h.kind.value: {"top": h.top, "bonus": h.bonus_points} for h in scheme.honours},
        "trainingPoints": scheme.training_points,
        "exitThreshold": scheme.exit_threshold,
        "metricPoints": {m.metric.value: m.points for m in scheme.metric_points},
    }


def _scheme_from(row: EvaluationScheme) -> Scheme:
    body = row.body
    return Scheme(
        id=row.id,
        version=row.version,
        district_id=row.area_id,
        roles=tuple(
            RoleSpec(
                Role(role),
                tuple(
                    DimensionSpec(Dimension(d), int(v["weight"]), int(v["max"]))
                    for d, v in dims.items()
                ),
            )
            for role, dims in body["roles"].items()
        ),
        honours=tuple(
            HonourSpec(HonourKind(k), int(v["top"]), int(v["bonus"]))
            for k, v in body["honours"].items()
        ),
        training_points=int(body["trainingPoints"]),
        exit_threshold=int(body["exitThreshold"]),
        created_at=row.created_at,
        metric_points=_metric_points(body.get("metricPoints") or {}),
    )


def _details_body(details: Details) -> dict[str, Any]:
    return {
        "rules": [
            {
                "code": r.rule_code,
                "dimension": r.dimension.value if r.dimension else None,
                "cap": r.cap,
            }
            for r in details.rule_links
        ],
        "items": [
            {"code": i.code, "name": i.name, "dimension": i.dimension.value, "max": i.max_score}
            for i in details.manual_items
        ],
    }


def _details_from(row: EvaluationScheme) -> Details:
    body = row.body
    return Details(
        id=row.id,
        version=row.version,
        community_id=row.area_id,
        rule_links=tuple(
            RuleLink(r["code"], Dimension(r["dimension"]) if r["dimension"] else None, r["cap"])
            for r in body["rules"]
        ),
        manual_items=tuple(
            ManualItem(i["code"], i["name"], Dimension(i["dimension"]), int(i["max"]))
            for i in body["items"]
        ),
        created_at=row.created_at,
    )


# --- reading -------------------------------------------------------------------------------


async def _newest(area_path: str) -> EvaluationScheme | None:
    return await EvaluationScheme.filter(area_path=area_path).order_by("-version").first()


async def scheme_in_force(area_path: str) -> Scheme:
    """The district scheme in force for the area at `area_path` (the default when unwritten)."""
    row = await _newest(district_path(area_path))
    if row is None:
        district = await Area.get(path=district_path(area_path))
        return default_scheme(district.id)
    return _scheme_from(row)


async def details_in_force(community: Area) -> Details:
    """The detailed rules in force in a community (none: every rule counts in its own
    dimension, uncapped, and there are no manual items)."""
    row = await _newest(community.path)
    return _details_from(row) if row is not None else Details(None, 0, community.id)


async def schemes_by_ids(scheme_ids: list[int]) -> dict[int, EvaluationScheme]:
    """Stored versions by id, in one query."""
    return {s.id: s for s in await EvaluationScheme.filter(id__in=scheme_ids)}


def scheme_of(row: EvaluationScheme | None, district_id: int) -> Scheme:
    """A stored district version (None: the default)."""
    return _scheme_from(row) if row is not None else default_scheme(district_id)


def details_of(row: EvaluationScheme | None, community_id: int) -> Details:
    """A stored community version (None: no detailed rules)."""
    return _details_from(row) if row is not None else Details(None, 0, community_id)


@dataclass(frozen=True)
class SchemeView:
    """What `evaluationScheme(under)` shows: the district scheme and, inside a community, its
    detailed rules, both as in force now."""

    scheme: Scheme
    details: Details | None
    area_id: int


async def evaluation_scheme(*, actor: Actor | None, under_id: int) -> SchemeView:
    """The scheme in force for an area (signed-in users: role holders read their rules)."""
    require_actor(actor)
    area = await get_area(area_id=under_id)
    community = community_path(area.path)
    details = (
        await details_in_force(await Area.get(path=community)) if community is not None else None
    )
    return SchemeView(await scheme_in_force(area.path), details, area.id)


# --- writing -------------------------------------------------------------------------------


@dataclass
class SchemeInput:
    """An update of the scheme (district) or of the detailed rules (community); fields left
    None keep their value from the version in force."""

    roles: list[RoleSpec] | None = None
    honours: list[HonourSpec] | None = None
    training_points: int | None = None
    exit_threshold: int | None = None
    metric_points: list[MetricPoints] | None = None
    rule_links: list[RuleLink] | None = None
    manual_items: list[ManualItem] | None = None


def _check_roles(roles: list[RoleSpec]) -> tuple[RoleSpec, ...]:
    seen = [r.role for r in roles]
    if sorted(seen) != sorted(EVALUATED_ROLES):
        raise InvalidInput(
            "Give each evaluated role once: " + ", ".join(r.value for r in EVALUATED_ROLES) + ".",
            field="roles",
        )
    checked = []
    for spec in roles:
        dims = [d.dimension for d in spec.dimensions]
        if sorted(dims) != sorted(EVALUATION_DIMENSIONS):
            raise InvalidInput(
                f"{spec.role.value}: give each of the four dimensions once "
                "(POLICY_COMMUNICATION, MANAGEMENT_SERVICE, INFORMATION_REPORTING, "
                "PROBLEM_HANDLING).",
                field="roles",
            )
        for d in spec.dimensions:
            if not 0 <= d.weight <= 100:
                raise InvalidInput("A weight is between 0 and 100.", field="roles")
            if not 1 <= d.max_score <= MAX_SCORE:
                raise InvalidInput(f"A maximum score is between 1 and {MAX_SCORE}.", field="roles")
        if sum(d.weight for d in spec.dimensions) != 100:
            raise InvalidInput(f"{spec.role.value}: the weights must sum to 100.", field="roles")
        ordered = sorted(spec.dimensions, key=lambda d: EVALUATION_DIMENSIONS.index(d.dimension))
        checked.append(RoleSpec(spec.role, tuple(ordered)))
    checked.sort(key=lambda r: EVALUATED_ROLES.index(r.role))
    return tuple(checked)


def _check_honours(honours: list[HonourSpec], current: Scheme) -> tuple[HonourSpec, ...]:
    kinds = [h.kind for h in honours]
    if len(set(kinds)) != len(kinds):
        raise InvalidInput("Give each honour kind at most once.", field="honours")
    given = {h.kind: h for h in honours}
    merged = []
    for kind in HonourKind:
        spec = given.get(kind, current.honour(kind))
        if not 0 <= spec.top <= MAX_TOP:
            raise InvalidInput(f"`top` is between 0 and {MAX_TOP}.", field="honours")
        if not 0 <= spec.bonus_points <= MAX_BONUS:
            raise InvalidInput(f"Bonus points are between 0 and {MAX_BONUS}.", field="honours")
        merged.append(spec)
    return tuple(merged)


def _check_metric_points(given: list[MetricPoints], current: Scheme) -> tuple[MetricPoints, ...]:
    metrics = [m.metric for m in given]
    if len(set(metrics)) != len(metrics):
        raise InvalidInput("Give each metric at most once.", field="metricPoints")
    if Metric.TRAINING_ATTENDED in metrics:
        raise InvalidInput("Training points are set by `trainingPoints`.", field="metricPoints")
    for m in given:
        if not 0 <= m.points <= MAX_METRIC_POINTS:
            raise InvalidInput(
                f"Metric points are between 0 and {MAX_METRIC_POINTS}.", field="metricPoints"
            )
    merged = {m.metric: m for m in current.metric_points} | {m.metric: m for m in given}
    return tuple(merged[m] for m in ACTIVITY_METRICS)


def _bounded(value: int | None, default: int, low: int, high: int, name: str) -> int:
    if value is None:
        return default
    if not low <= value <= high:
        raise InvalidInput(f"`{name}` is between {low} and {high}.", field=name)
    return value


async def _check_links(links: list[RuleLink], community: Area) -> tuple[RuleLink, ...]:
    if len(links) > MAX_RULE_LINKS:
        raise InvalidInput(f"At most {MAX_RULE_LINKS} rules.", field="pointsRules")
    codes = [link.rule_code.strip().upper() for link in links]
    if len(set(codes)) != len(codes):
        raise InvalidInput("Give each rule code once.", field="pointsRules")
    rows = await PointsRule.filter(
        Q(area_id=community.id) | Q(area_id=None), code__in=codes
    ).values_list("code", flat=True)
    known = {str(code) for code in rows}
    checked = []
    for code, link in zip(codes, links, strict=True):
        if code not in known:
            raise InvalidInput(f"There is no points rule {code}.", field="pointsRules")
        if link.dimension is not None and link.dimension not in EVALUATION_DIMENSIONS:
            raise InvalidInput(
                "Rules count in one of the four evaluation dimensions.", field="pointsRules"
            )
        if link.cap is not None and not 0 <= link.cap <= MAX_SCORE * 100:
            raise InvalidInput("A cap is between 0 and 100000.", field="pointsRules")
        checked.append(RuleLink(code, link.dimension, link.cap))
    return tuple(checked)


def _check_items(items: list[ManualItem]) -> tuple[ManualItem, ...]:
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"At most {MAX_ITEMS} manual items.", field="manualItems")
    checked = []
    for item in items:
        code = item.code.strip().upper()
        if not _CODE.match(code):
            raise InvalidInput(
                "An item code is 1-40 capital letters, digits or _ (e.g. MONTHLY_MEETING).",
                field="manualItems",
            )
        if item.dimension not in EVALUATION_DIMENSIONS:
            raise InvalidInput(
                "Items count in one of the four evaluation dimensions.", field="manualItems"
            )
        if not 1 <= item.max_score <= 100:
            raise InvalidInput("An item scores 0 up to 1-100.", field="manualItems")
        name = clean_text(item.name, field="manualItems.name", max_length=100)
        checked.append(ManualItem(code, name, item.dimension, item.max_score))
    if len({i.code for i in checked}) != len(checked):
        raise InvalidInput("Give each item code once.", field="manualItems")
    return tuple(checked)


async def _write_version(area: Area, body: dict[str, Any], actor: Actor) -> EvaluationScheme:
    async with in_transaction():
        # The area row is locked first (a no-op write) so two updates number their versions
        # one after the other.
        await db.execute("UPDATE area SET name = name WHERE id = ? RETURNING id", [area.id])
        newest = await _newest(area.path)
        return await EvaluationScheme.create(
            area_id=area.id,
            area_path=area.path,
            version=(newest.version if newest else 0) + 1,
            body=body,
            created_by_id=actor.person_id,
        )


async def update_scheme(*, actor: Actor | None, area_id: int, data: SchemeInput) -> SchemeView:
    """Write a new version: of the district scheme (district admins: roles, honours, training
    points, exit threshold) or of a community's detailed rules (its admins: rule links and
    manual items). Periods already open keep the version they opened with."""
    actor = require_actor(actor)
    area = await get_area(area_id=area_id)
    if not actor.administers(area.path):
        raise Forbidden("You may not change the evaluation rules of this area.", field="areaId")
    if area.level is AreaLevel.DISTRICT:
        if data.rule_links is not None or data.manual_items is not None:
            raise InvalidInput(
                "Rule links and manual items are a community's detailed rules.", field="areaId"
            )
        current = await scheme_in_force(area.path)
        scheme = Scheme(
            id=None,
            version=0,
            district_id=area.id,
            roles=_check_roles(data.roles) if data.roles is not None else current.roles,
            honours=(
                _check_honours(data.honours, current)
                if data.honours is not None
                else current.honours
            ),
            training_points=_bounded(
                data.training_points, current.training_points, 0, 100, "trainingPoints"
            ),
            exit_threshold=_bounded(
                data.exit_threshold, current.exit_threshold, 0, 100, "exitThreshold"
            ),
            metric_points=(
                _check_metric_points(data.metric_points, current)
                if data.metric_points is not None
                else current.metric_points
            ),
        )
        await _write_version(area, _scheme_body(scheme), actor)
        return await evaluation_scheme(actor=actor, under_id=area.id)
    if area.level is not AreaLevel.COMMUNITY:
        raise InvalidInput(
            "The district writes the scheme and communities their detailed rules.",
            field="areaId",
        )
    if (
        data.roles is not None
        or data.honours is not None
        or data.training_points is not None
        or data.exit_threshold is not None
        or data.metric_points is not None
    ):
        raise InvalidInput(
            "Roles, honours, training and metric points and the exit threshold are the district's.",
            field="areaId",
        )
    current_details = await details_in_force(area)
    details = Details(
        id=None,
        version=0,
        community_id=area.id,
        rule_links=(
            await _check_links(data.rule_links, area)
            if data.rule_links is not None
            else current_details.rule_links
        ),
        manual_items=(
            _check_items(data.manual_items)
            if data.manual_items is not None
            else current_details.manual_items
        ),
    )
    await _write_version(area, _details_body(details), actor)
    return await evaluation_scheme(actor=actor, under_id=area.id)
