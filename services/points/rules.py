"""Points rules (积分规则): district defaults, community overrides (评估细则), expiry policies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.enums import (
    ADMIN_ROLES,
    LEADER_ROLES,
    AreaLevel,
    AuditKind,
    Dimension,
    ExpiryKind,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import clean_text, get_area
from services.kit import audit, clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import in_line
from services.models import PointsPolicy, PointsRule, PointsRuleVersion
from services.points.ledger import Community

# Who may grant by a rule that names no granter roles: those who run people (admins, leaders).
DEFAULT_GRANTERS = ADMIN_ROLES | LEADER_ROLES
MAX_RULE_POINTS = 10_000
MAX_CAP = 10_000_000
# The most rule codes a district defines (retired ones included; a community only overrides
# them): an evaluation's details list at most one entry per code, a bound the API's cost
# estimate relies on (`DimensionScore.details`).
MAX_RULE_CODES = 100
_CAPS = ("cap_per_day", "cap_per_month", "cap_per_quarter")
# The fields a rule version keeps (what an award by it depends on).
VERSIONED = (
    "name",
    "dimension",
    "points",
    "requires_review",
    *_CAPS,
    "receiver_roles",
    "granter_roles",
)


@dataclass(frozen=True)
class RuleInput:
    """A rule's editable fields (None in an update: leave as is)."""

    name: str | None = None
    dimension: Dimension | None = None
    points: int | None = None
    requires_review: bool | None = None
    cap_per_day: int | None = None
    cap_per_month: int | None = None
    cap_per_quarter: int | None = None
    receiver_roles: list[Role] | None = None
    granter_roles: list[Role] | None = None


def _check_code(code: str) -> str:
    code = code.strip().upper()
    if not code or len(code) > 40 or not all(c.isalnum() or c == "_" for c in code):
        raise InvalidInput("A rule code has 1-40 letters, digits or underscores.", field="code")
    return code


def _check_cap(value: int | None, field: str) -> int | None:
    if value is not None and not 1 <= value <= MAX_CAP:
        raise InvalidInput(f"`{field}` must be between 1 and {MAX_CAP} points.", field=field)
    return value


def _apply(rule: PointsRule, data: RuleInput, *, clear_caps: set[str]) -> None:
    if data.name is not None:
        rule.name = clean_text(data.name, field="name", max_length=100)
    if data.dimension is not None:
        rule.dimension = data.dimension
    if data.points is not None:
        if data.points == 0 or abs(data.points) > MAX_RULE_POINTS:
            raise InvalidInput(
                f"Points must be non-zero and within ±{MAX_RULE_POINTS} "
                "(positive: a reward, negative: a penalty).",
                field="points",
            )
        rule.points = data.points
    if data.requires_review is not None:
        rule.requires_review = data.requires_review
    for name in _CAPS:
        value = getattr(data, name)
        camel = "capPer" + name.split("_")[-1].capitalize()
        if value is not None:
            setattr(rule, name, _check_cap(value, camel))
        elif name in clear_caps:
            setattr(rule, name, None)
    if data.receiver_roles is not None:
        rule.receiver_roles = sorted({r.value for r in data.receiver_roles})
    if data.granter_roles is not None:
        if Role.RESIDENT in data.granter_roles:
            raise InvalidInput("Residents cannot grant points.", field="granterRoles")
        rule.granter_roles = sorted({r.value for r in data.granter_roles})


async def _rule_area(actor: Actor, area_id: int | None) -> tuple[int | None, str]:
    """Check who may manage rules at `area_id`: district admins for the defaults (no area),
    admins of a community (or above it) for that community's overrides."""
    if area_id is None:
        if not actor.paths_for([Role.DISTRICT_ADMIN]):
            raise Forbidden("Only district admins manage the district's default rules.")
        return None, ""
    area = await get_area(area_id=area_id)
    if area.level is not AreaLevel.COMMUNITY:
        raise InvalidInput("Rules are overridden per community.", field="areaId")
    actor.require_admin_of(area.path, "manage points rules")
    return area.id, area.path


def _audit_path(actor: Actor, rule_area_path: str) -> str:
    """Where a rule or policy change is logged: its community, or for the district's defaults
    the district the actor administers."""
    return rule_area_path or min(actor.paths_for([Role.DISTRICT_ADMIN]), default="")


async def _write_version(rule: PointsRule, actor: Actor) -> PointsRuleVersion:
    """Inside the rule's transaction: keep the rule's current fields as its version."""
    values = {name: getattr(rule, name) for name in VERSIONED}
    return await PointsRuleVersion.create(
        rule_id=rule.id,
        version=rule.version,
        created_by_id=actor.account_id,
        created_at=clock.now(),
        **values,
    )


async def create_rule(
    *, actor: Actor | None, code: str, area_id: int | None, data: RuleInput
) -> PointsRule:
    """A new rule: a district default (no area) or a community's override of a code."""
    actor = require_actor(actor)
    code = _check_code(code)
    if data.name is None or data.dimension is None or data.points is None:
        raise InvalidInput("A rule needs a name, a dimension and points.", field="name")
    rule_area, path = await _rule_area(actor, area_id)
    rule = PointsRule(code=code, area_id=rule_area, area_path=path)
    _apply(rule, data, clear_caps=set())
    if rule_area is not None and not await PointsRule.exists(
        code=code, area_id=None, retired_at=None
    ):
        raise InvalidInput(
            "A community overrides a district rule: create the district default first.",
            field="code",
        )
    try:
        async with in_transaction():
            if rule_area is None:
                await _make_room_for_code(code)
            rule.version = 1
            await rule.save()
            await _write_version(rule, actor)
            await audit.record(
                actor=actor,
                kind=AuditKind.RULE,
                action="createPointsRule",
                area_path=_audit_path(actor, path),
                subject=rule,
            )
    except IntegrityError as exc:  # the partial unique index: one active rule per code and area
        raise Conflict(f"An active rule {code} exists here already.", field="code") from exc
    return rule


async def _make_room_for_code(code: str) -> None:
    """Inside a transaction: refuse a new district code beyond MAX_RULE_CODES. The district's
    row is locked first (a no-op write) so that two new codes serialize."""
    await db.execute("UPDATE area SET name = name WHERE parent_id IS NULL RETURNING id", [])
    codes = {str(c) for c in await PointsRule.filter(area_id=None).values_list("code", flat=True)}
    if code not in codes and len(codes) >= MAX_RULE_CODES:
        raise Conflict(
            f"A district defines at most {MAX_RULE_CODES} rule codes; retire and reuse one, "
            "or change an existing rule.",
            field="code",
        )


async def _managed_rule(actor: Actor, rule_id: int) -> PointsRule:
    rule = await PointsRule.get_or_none(id=rule_id)
    if rule is None:
        raise NotFound("No such points rule.", field="ruleId")
    await _rule_area(actor, rule.area_id)
    if rule.retired_at is not None:
        raise Conflict("The rule is retired.", field="ruleId")
    return rule


async def update_rule(
    *, actor: Actor | None, rule_id: int, changes: Mapping[str, Any]
) -> PointsRule:
    """Change a rule: a new version (entries and awards keep showing the version they were
    made under, see `rules_as_of`). `changes` holds the RuleInput fields to change, a field
    left out stays: None clears a cap, None roles mean none (anyone in scope, or admins and
    leaders), and None elsewhere leaves the field as it is."""
    values = dict(changes)
    for roles in ("receiver_roles", "granter_roles"):
        if roles in values and values[roles] is None:
            values[roles] = []
    clear_caps = {name for name in _CAPS if name in values and values[name] is None}
    data = RuleInput(**values)
    actor = require_actor(actor)
    rule = await _managed_rule(actor, rule_id)
    before = audit.snapshot(rule)
    _apply(rule, data, clear_caps=clear_caps)
    if audit.snapshot(rule) == before:
        return rule  # nothing changed: no new version
    try:
        async with in_transaction():
            # The version moves by a conditional UPDATE: of two changes made at once from the
            # same version one wins, the other is refused (and changes nothing).
            values = {name: getattr(rule, name) for name in VERSIONED}
            moved = await PointsRule.filter(
                id=rule.id, version=rule.version, retired_at=None
            ).update(version=rule.version + 1, **values)
            if not moved:
                raise Conflict("The rule was changed at the same time; retry.", field="ruleId")
            rule.version += 1
            await _write_version(rule, actor)
            await audit.record(
                actor=actor,
                kind=AuditKind.RULE,
                action="updatePointsRule",
                area_path=_audit_path(actor, rule.area_path),
                subject=rule,
                before=before,
            )
    except IntegrityError as exc:
        raise Conflict("The rule was changed at the same time; retry.", field="ruleId") from exc
    return rule


async def retire_rule(*, actor: Actor | None, rule_id: int) -> PointsRule:
    """Retire a rule: no new awards by it (a community falls back to the district default)."""
    actor = require_actor(actor)
    rule = await _managed_rule(actor, rule_id)
    before = audit.snapshot(rule)
    rule.retired_at = clock.now()
    async with in_transaction():
        await rule.save(update_fields=["retired_at"])
        await audit.record(
            actor=actor,
            kind=AuditKind.RULE,
            action="retirePointsRule",
            area_path=_audit_path(actor, rule.area_path),
            subject=rule,
            before=before,
        )
    return rule


async def rule_for(code: str, community: Community) -> PointsRule:
    """The active rule for a code in a community: its override, else the district default."""
    code = code.strip().upper()
    rules = await PointsRule.filter(
        Q(area_id=community.id) | Q(area_id=None), code=code, retired_at=None
    )
    for rule in sorted(rules, key=lambda r: r.area_id is None):
        return rule
    raise NotFound(f"No active points rule {code!r}.", field="ruleCode")


def may_grant(actor: Actor, rule: PointsRule, places: list[str]) -> bool:
    """Does the actor hold a granting role whose area covers one of the person's places?"""
    roles = {Role(r) for r in rule.granter_roles} if rule.granter_roles else DEFAULT_GRANTERS
    roots = actor.paths_for(roles)
    return any(place.startswith(root) for root in roots for place in places)


async def list_rules(
    *, under_id: int | None, dimension: Dimension | None, window: Window
) -> Page[PointsRule]:
    """Active rules in force under an area: the district defaults and the overrides of the
    communities on the path to it or below it (public: residents may read how points are won)."""
    query = PointsRule.filter(retired_at=None)
    if under_id is not None:
        area = await get_area(area_id=under_id)
        query = query.filter(Q(area_id=None) | in_line(area.path))
    if dimension is not None:
        query = query.filter(dimension=dimension)
    return await paginate(query, window)


async def rules_by_ids(*, rule_ids: list[int]) -> list[PointsRule | None]:
    """Rules for the ids, in order (retired ones too: entries point at them)."""
    found = {r.id: r for r in await PointsRule.filter(id__in=rule_ids)}
    return [found.get(i) for i in rule_ids]


async def rules_as_of(*, keys: list[tuple[int, int | None]]) -> list[PointsRule | None]:
    """For (rule id, version) keys: the rule as it was in that version (its code, area and
    retirement as now, the versioned fields as then), in order. A version of None (a row
    written without one) reads the rule as it is now. The copies are never saved."""
    rules = {r.id: r for r in await PointsRule.filter(id__in=sorted({k[0] for k in keys}))}
    wanted = [k for k in keys if k[1] is not None]
    versions: dict[tuple[int, int], PointsRuleVersion] = {}
    if wanted:
        query = Q()
        for rule_id, version in set(wanted):
            query |= Q(rule_id=rule_id, version=version)
        versions = {(v.rule_id, v.version): v for v in await PointsRuleVersion.filter(query)}
    out: list[PointsRule | None] = []
    for rule_id, version in keys:
        rule = rules.get(rule_id)
        found = versions.get((rule_id, version)) if version is not None else None
        if rule is None or found is None or found.version == rule.version:
            out.append(rule)
            continue
        copy = PointsRule(
            id=rule.id,
            code=rule.code,
            area_id=rule.area_id,
            area_path=rule.area_path,
            retired_at=rule.retired_at,
            created_at=rule.created_at,
            version=found.version,
            **{name: getattr(found, name) for name in VERSIONED},
        )
        out.append(copy)
    return out


async def rule_history(*, rule_id: int, window: Window) -> Page[PointsRuleVersion]:
    """The versions of a rule, newest first (public, as the rules are)."""
    return await paginate(PointsRuleVersion.filter(rule_id=rule_id), window, newest_first=True)


async def rule_versions_by_ids(*, version_ids: list[int]) -> list[PointsRuleVersion | None]:
    """Rule versions for the ids, in order (public, as the rules are)."""
    found = {v.id: v for v in await PointsRuleVersion.filter(id__in=version_ids)}
    return [found.get(i) for i in version_ids]


async def set_policy(
    *,
    actor: Actor | None,
    area_id: int | None,
    expiry: ExpiryKind,
    expiry_months: int | None,
    hold_days: int,
) -> PointsPolicy:
    """Set the expiry and pickup policy of a community (or the district default, no area)."""
    actor = require_actor(actor)
    rule_area, path = await _rule_area(actor, area_id)
    if expiry is ExpiryKind.MONTHS:
        if expiry_months is None or not 1 <= expiry_months <= 120:
            raise InvalidInput("Give 1 to 120 months.", field="expiryMonths")
    else:
        expiry_months = None
    if not 1 <= hold_days <= 365:
        raise InvalidInput("Holds last 1 to 365 days.", field="holdDays")
    try:
        async with in_transaction():
            policy = await PointsPolicy.get_or_none(area_id=rule_area)
            if policy is None:
                policy = PointsPolicy(area_id=rule_area)
            before = audit.snapshot(policy) if policy.pk is not None else None
            policy.expiry = expiry
            policy.expiry_months = expiry_months
            policy.hold_days = hold_days
            policy.updated_at = clock.now()
            await policy.save()
            await audit.record(
                actor=actor,
                kind=AuditKind.POLICY,
                action="setPointsPolicy",
                area_path=_audit_path(actor, path),
                subject=policy,
                before=before,
            )
    except IntegrityError as exc:
        raise Conflict("The policy was changed at the same time; retry.") from exc
    return policy
