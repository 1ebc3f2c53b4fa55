"""Matching needs with resources, and the match workflow: propose → accept (quantities
committed, a co-building project created or extended) / decline / withdraw.

The score of a (need, resource) pair is 0-100, the same read from either side:

- relevance (40): how much of what the need's text asks for the resource's text speaks of
  (services/partners/relevance.py: jieba segments the titles, descriptions, unit labels and
  the offering unit's name and description; BM25 over a fixed vocabulary, 0-1), × 40, rounded.
- category (20): the same category 20; a compatible one (funds for goods or equipment,
  expertise or volunteer hours for a service, a service for expertise or volunteer hours) 10.
  Other categories never match.
- area (15): the resource serves the need's community 15, its whole street 9, the whole
  district 6. Resources serving none of these never match.
- window (10): available from now (or earlier) through the horizon (the need's deadline, or
  30 days when it has none) 10; available for only part of it 5. No overlap: no match.
- quantity (15): same category: 15 × min(1, remaining ÷ still needed), rounded down; other
  categories count in other units: 7.

So 洗衣粉 in the right community, category and window scores 60 for 孤寡老人早餐, and the
爱心早餐 next to it more. Only open resources with something left and open needs with something
still needed match. Ties: for a need, more relevant first, then more remaining, then older;
for a resource, more urgent needs first, then earlier deadlines, then older. Candidates are
filtered and given their other four parts in SQL through indexes (served area and category for
resources; category, status and area for needs), one statement however long the lists are.
Relevance is computed in Python (segmented texts cached), so the statement returns only what
can rank: every candidate whose text holds one of the other side's terms (`LIKE`), and of the
others, which all have relevance 0, the first `first` by the other four parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.enums import (
    COMPATIBLE_CATEGORIES,
    URGENCY_RANK,
    AreaLevel,
    MatchSide,
    MatchStatus,
    NeedStatus,
    PartnerUnitStatus,
    ResourceCategory,
    ResourceStatus,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound, OutOfStock
from services.grids import clean_text
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.paths import ancestor_paths, subtree_bounds
from services.models import (
    Area,
    NeedEntry,
    PartnerUnit,
    ResourceArea,
    ResourceMatch,
    ResourceOffer,
)
from services.partners import relevance
from services.partners.lists import MAX_QUANTITY, may_edit_need_at
from services.partners.projects import project_for_match
from services.partners.units import is_member

HORIZON_DAYS = 30
MAX_MATCHES = 100
AREA_POINTS = {AreaLevel.COMMUNITY: 15, AreaLevel.STREET: 9, AreaLevel.DISTRICT: 6}
WINDOW_FULL, WINDOW_PART = 10, 5
SAME, COMPATIBLE = 20, 10
QUANTITY_MAX, QUANTITY_OTHER_UNITS = 15, 7
RELEVANCE_MAX = 40


def compatible_resources(need: ResourceCategory) -> list[ResourceCategory]:
    """Resource categories that can meet a need of this category, its own first."""
    return [need, *COMPATIBLE_CATEGORIES[need]]


def compatible_needs(resource: ResourceCategory) -> list[ResourceCategory]:
    """Need categories a resource of this category can meet, its own first."""
    return [resource, *(n for n, extra in COMPATIBLE_CATEGORIES.items() if resource in extra)]


@dataclass(frozen=True)
class Candidate:
    """A ranked (need, resource) pair: the score (0-100), its parts and a reason people read."""

    need_id: int
    resource_id: int
    score: int
    relevance_score: int
    category_score: int
    area_score: int
    window_score: int
    quantity_score: int
    reason: str


def _utc(value: Any) -> datetime | None:
    moment = db.timestamp(value)
    return moment.astimezone(UTC) if moment is not None else None


def _reason(
    *,
    need_category: str,
    resource_category: str,
    area_score: int,
    area_names: dict[int, str],
    window_score: int,
    remaining: int,
    still_needed: int,
    resource_label: str,
    need_label: str,
    shared: list[str],
) -> str:
    parts = []
    if shared:
        parts.append("speaks of " + "、".join(shared[:5]))
    else:
        parts.append("no words of the need in common")
    if need_category == resource_category:
        parts.append(f"same category ({need_category})")
    else:
        parts.append(f"compatible category ({resource_category} for {need_category})")
    parts.append(f"serves {area_names.get(area_score, 'the area')}")
    if window_score == WINDOW_FULL:
        parts.append("available through the deadline")
    else:
        parts.append("available for part of the time until the deadline")
    if need_category != resource_category:
        parts.append(f"{remaining} {resource_label} left (needed: {still_needed} {need_label})")
    elif remaining >= still_needed:
        parts.append(f"covers all {still_needed} {need_label} still needed")
    else:
        parts.append(f"covers {remaining} of {still_needed} {need_label} still needed")
    return "; ".join(parts)


@dataclass(frozen=True)
class _Texts:
    """The texts of a pair that relevance reads (see services/partners/relevance.py)."""

    need_title: str
    need_rest: tuple[str, ...]
    offer_title: str
    offer_rest: tuple[str, ...]

    @classmethod
    def of(cls, need: dict[str, Any], offer: dict[str, Any]) -> _Texts:
        return cls(
            need_title=str(need["title"]),
            need_rest=(str(need["description"]),),
            offer_title=str(offer["title"]),
            offer_rest=(
                str(offer["description"]),
                str(offer["unit_name"]),
                str(offer["unit_description"]),
            ),
        )

    def points(self) -> int:
        return round(RELEVANCE_MAX * relevance.relevance(**self.__dict__))

    def shared(self) -> list[str]:
        return relevance.common(**self.__dict__)


def _holds_any(text: str, probes: list[str], params: list[Any]) -> str:
    """SQL: the (lower-cased) text holds one of the probes (see relevance.probes)."""
    if not probes:
        return "1 = 0"
    for probe in probes:
        escaped = probe.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    return "(" + " OR ".join(f"{text} LIKE ? ESCAPE '\\'" for _ in probes) + ")"


def _horizon(deadline: datetime | None, moment: datetime) -> datetime:
    return deadline if deadline is not None else moment + timedelta(days=HORIZON_DAYS)


async def _area_names(path: str) -> dict[int, str]:
    """area points → how the reason names the served area, for the need at `path`."""
    ancestors = [*ancestor_paths(path), path][:3]  # district, street, community
    found = {a.path: a for a in await Area.filter(path__in=ancestors)}
    names: dict[int, str] = {}
    for level, points in AREA_POINTS.items():
        area = found.get(ancestors[level.rank]) if len(ancestors) > level.rank else None
        if area is not None:
            names[points] = area.name if level is AreaLevel.COMMUNITY else f"all of {area.name}"
    return names


def _check_first(first: int) -> int:
    if not 0 <= first <= MAX_MATCHES:
        raise InvalidInput(f"`first` must be between 0 and {MAX_MATCHES}.", field="first")
    return first


async def matches_for_need(*, actor: Actor | None, need_id: int, first: int) -> list[Candidate]:
    """The best open resources for an open need, best first (signed-in users)."""
    require_actor(actor)
    first = _check_first(first)
    need = await NeedEntry.get_or_none(id=need_id)
    if need is None:
        raise NotFound("No such need.", field="needId")
    return await _rank_resources(need, first, only=None)


async def _rank_resources(need: NeedEntry, first: int, *, only: int | None) -> list[Candidate]:
    """The need's candidates ranked (`only`: just that resource): one statement finds them with
    their other parts and texts, relevance is added in Python."""
    still = need.quantity - need.committed
    if need.status is not NeedStatus.OPEN or still <= 0 or first == 0:
        return []
    await relevance.ready()
    moment = clock.now()
    horizon = _horizon(need.deadline, moment).astimezone(UTC)
    categories = compatible_resources(need.category)
    served = [*ancestor_paths(need.community_path), need.community_path]
    area_case = " ".join(f"WHEN '{level.value}' THEN {p}" for level, p in AREA_POINTS.items())
    hit_params: list[Any] = []
    probes = relevance.probes(title=need.title, rest=(need.description,))
    # The unit's texts are tested once per unit (a subquery), not once per resource.
    hit = (
        _holds_any("LOWER(r.title || ' ' || r.description)", probes, hit_params)
        + " OR r.unit_id IN (SELECT id FROM partner_unit WHERE "
        + _holds_any("LOWER(name || ' ' || description)", probes, hit_params)
        + ")"
    )
    # Only a resource whose text holds one of the need's terms can have relevance: those
    # come all; of the others (relevance 0, ranked by the other four parts) the first `first`.
    rows = await db.fetch(
        f"""
        WITH p AS (
        SELECT r.id, r.category, r.remaining, r.unit_label, r.title, r.description, r.unit_id,
               s.area_score,
               CASE WHEN {hit} THEN 1 ELSE 0 END AS hit,
               CASE WHEN r.category = ? THEN {SAME} ELSE {COMPATIBLE} END AS category_score,
               CASE WHEN (r.available_from IS NULL OR r.available_from <= ?)
                     AND (r.available_until IS NULL OR r.available_until >= ?)
                    THEN {WINDOW_FULL} ELSE {WINDOW_PART} END AS window_score,
               CASE WHEN r.category <> ? THEN {QUANTITY_OTHER_UNITS}
                    WHEN r.remaining >= ? THEN {QUANTITY_MAX}
                    ELSE (r.remaining * {QUANTITY_MAX}) / ? END AS quantity_score
        FROM (
            SELECT a.resource_id, MAX(CASE a.area_level {area_case} ELSE 0 END) AS area_score
            FROM resource_area a
            WHERE a.area_path IN ({",".join("?" for _ in served)})
              AND a.category IN ({",".join("?" for _ in categories)})
            GROUP BY a.resource_id
        ) s
        JOIN resource_offer r ON r.id = s.resource_id
        WHERE r.status = 'OPEN' AND r.remaining > 0
          AND (r.available_until IS NULL OR r.available_until > ?)
          AND (r.available_from IS NULL OR r.available_from < ?)
          {"" if only is None else "AND r.id = ?"}
        ), c AS (
            SELECT p.*, category_score + area_score + window_score + quantity_score AS base
            FROM p
        ), picked AS (
            SELECT * FROM c WHERE hit = 1
            UNION ALL
            SELECT * FROM (
                SELECT * FROM c WHERE hit = 0 ORDER BY base DESC, remaining DESC, id LIMIT ?
            ) rest
        )
        SELECT picked.*, u.name AS unit_name, u.description AS unit_description
        FROM picked JOIN partner_unit u ON u.id = picked.unit_id
        """,
        [
            *hit_params,
            need.category.value,
            moment,
            horizon,
            need.category.value,
            still,
            still,
            *served,
            *(c.value for c in categories),
            moment,
            horizon,
            *([] if only is None else [only]),
            first,
        ],
    )
    need_text = {"title": need.title, "description": need.description}
    ranked = []
    for r in rows:
        texts = _Texts.of(need_text, r)
        parts = (
            texts.points(),
            int(r["category_score"]),
            int(r["area_score"]),
            int(r["window_score"]),
            int(r["quantity_score"]),
        )
        ranked.append((-sum(parts), -parts[0], -int(r["remaining"]), int(r["id"]), parts, r, texts))
    ranked.sort(key=lambda x: x[:4])
    names = await _area_names(need.community_path) if ranked else {}
    return [
        Candidate(
            need_id=need.id,
            resource_id=int(r["id"]),
            score=sum(parts),
            relevance_score=parts[0],
            category_score=parts[1],
            area_score=parts[2],
            window_score=parts[3],
            quantity_score=parts[4],
            reason=_reason(
                need_category=need.category.value,
                resource_category=str(r["category"]),
                area_score=parts[2],
                area_names=names,
                window_score=parts[3],
                remaining=int(r["remaining"]),
                still_needed=still,
                resource_label=str(r["unit_label"]),
                need_label=need.unit_label,
                shared=texts.shared(),
            ),
        )
        for *_, parts, r, texts in ranked[:first]
    ]


async def matches_for_resource(
    *, actor: Actor | None, resource_id: int, first: int
) -> list[Candidate]:
    """The open needs an open resource fits best, best first (signed-in users)."""
    actor = require_actor(actor)
    first = _check_first(first)
    offer = await ResourceOffer.get_or_none(id=resource_id)
    if offer is None:
        raise NotFound("No such resource.", field="resourceId")
    moment = clock.now()
    start = offer.available_from.astimezone(UTC) if offer.available_from else None
    end = offer.available_until.astimezone(UTC) if offer.available_until else None
    if (
        offer.status is not ResourceStatus.OPEN
        or offer.remaining <= 0
        or (end is not None and end <= moment)
        or first == 0
    ):
        return []
    served = await ResourceArea.filter(resource_id=offer.id).values_list("area_path", "area_level")
    if not served:
        return []
    await relevance.ready()
    unit = await PartnerUnit.get(id=offer.unit_id)
    offer_text = {
        "title": offer.title,
        "description": offer.description,
        "unit_label": offer.unit_label,
        "unit_name": unit.name,
        "unit_description": unit.description,
    }
    by_level: dict[str, list[str]] = {}
    for path, level in served:
        by_level.setdefault(str(level), []).append(str(path))
    ranges: list[str] = []
    params: list[Any] = []

    def in_any(paths: list[str]) -> str:
        clauses = []
        for path in paths:
            clauses.append("(n.area_path >= ? AND n.area_path < ?)")
            params.extend(subtree_bounds(path))
        return "(" + " OR ".join(clauses) + ")" if clauses else "1 = 0"

    # Area points: the most specific served area that holds the need.
    area_parts = []
    for level, points in AREA_POINTS.items():
        if by_level.get(level.value):
            area_parts.append(f"WHEN {in_any(by_level[level.value])} THEN {points}")
    area_case = "CASE " + " ".join(area_parts) + " ELSE 0 END"
    area_params = list(params)
    params.clear()
    ranges.append(in_any([str(p) for p, _ in served]))
    range_params = list(params)
    categories = compatible_needs(offer.category)
    default_horizon = moment + timedelta(days=HORIZON_DAYS)
    full_start = start is None or start <= moment
    window_case = (
        f"CASE WHEN {'1 = 1' if full_start else '1 = 0'}"
        + ("" if end is None else " AND ? >= COALESCE(n.deadline, ?)")
        + f" THEN {WINDOW_FULL} ELSE {WINDOW_PART} END"
    )
    window_params: list[Any] = [] if end is None else [end, default_horizon]
    start_filter = "" if start is None else "AND ? < COALESCE(n.deadline, ?)"
    start_params: list[Any] = [] if start is None else [start, default_horizon]
    urgency_case = (
        "CASE n.urgency "
        + " ".join(f"WHEN '{u.value}' THEN {r}" for u, r in URGENCY_RANK.items())
        + " ELSE 0 END"
    )
    hit_params: list[Any] = []
    hit = _holds_any(
        "LOWER(n.title || ' ' || n.description)",
        relevance.probes(title=offer.title, rest=(offer.description, unit.name, unit.description)),
        hit_params,
    )
    # As for a need: the needs whose text holds one of the resource's terms all, the others
    # (relevance 0) only the first `first` by the other four parts.
    rows = await db.fetch(
        f"""
        WITH p AS (
        SELECT n.id, n.category, n.quantity - n.committed AS still, n.unit_label, n.title,
               n.description, n.community_path, {area_case} AS area_score,
               CASE WHEN n.category = ? THEN {SAME} ELSE {COMPATIBLE} END AS category_score,
               {window_case} AS window_score,
               CASE WHEN n.category <> ? THEN {QUANTITY_OTHER_UNITS}
                    WHEN ? >= n.quantity - n.committed THEN {QUANTITY_MAX}
                    ELSE (? * {QUANTITY_MAX}) / (n.quantity - n.committed) END
                   AS quantity_score,
               {urgency_case} AS urgency_rank,
               COALESCE(n.deadline, ?) AS due,
               CASE WHEN {hit} THEN 1 ELSE 0 END AS hit
        FROM need_entry n
        WHERE n.category IN ({",".join("?" for _ in categories)})
          AND n.status = 'OPEN' AND n.committed < n.quantity
          AND (n.deadline IS NULL OR n.deadline > ?)
          {start_filter}
          AND {ranges[0]}
        ), c AS (
            SELECT p.*, category_score + area_score + window_score + quantity_score AS base
            FROM p
        )
        SELECT * FROM c WHERE hit = 1
        UNION ALL
        SELECT * FROM (
            SELECT * FROM c WHERE hit = 0
            ORDER BY base DESC, urgency_rank DESC, due, id LIMIT ?
        ) rest
        """,
        [
            *area_params,
            offer.category.value,
            *window_params,
            offer.category.value,
            offer.remaining,
            offer.remaining,
            datetime(9999, 1, 1, tzinfo=UTC),
            *hit_params,
            *(c.value for c in categories),
            moment,
            *start_params,
            *range_params,
            first,
        ],
    )
    ranked = []
    for r in rows:
        texts = _Texts.of(r, offer_text)
        parts = (
            texts.points(),
            int(r["category_score"]),
            int(r["area_score"]),
            int(r["window_score"]),
            int(r["quantity_score"]),
        )
        due = _utc(r["due"])
        assert due is not None
        key = (-sum(parts), -int(r["urgency_rank"]), due, int(r["id"]))
        ranked.append((key, parts, r, texts))
    ranked.sort(key=lambda x: x[0])
    result = []
    names_cache: dict[str, dict[int, str]] = {}
    for _, parts, r, texts in ranked[:first]:
        path = str(r["community_path"])
        if path not in names_cache:
            names_cache[path] = await _area_names(path)
        result.append(
            Candidate(
                need_id=int(r["id"]),
                resource_id=offer.id,
                score=sum(parts),
                relevance_score=parts[0],
                category_score=parts[1],
                area_score=parts[2],
                window_score=parts[3],
                quantity_score=parts[4],
                reason=_reason(
                    need_category=str(r["category"]),
                    resource_category=offer.category.value,
                    area_score=parts[2],
                    area_names=names_cache[path],
                    window_score=parts[3],
                    remaining=offer.remaining,
                    still_needed=int(r["still"]),
                    resource_label=offer.unit_label,
                    need_label=str(r["unit_label"]),
                    shared=texts.shared(),
                ),
            )
        )
    return result


async def _sides(actor: Actor, need: NeedEntry, offer: ResourceOffer) -> set[MatchSide]:
    """The sides of the match the actor may act for."""
    sides = set()
    if may_edit_need_at(actor, need.area_path):
        sides.add(MatchSide.NEED)
    if await is_member(actor, offer.unit_id, manager=True):
        sides.add(MatchSide.RESOURCE)
    return sides


async def propose_match(
    *,
    actor: Actor | None,
    need_id: int,
    resource_id: int,
    quantity: int,
    covers: int | None,
    message: str,
) -> ResourceMatch:
    """Propose to meet a need with a resource (a manager of the resource's unit, or an admin
    or leader of the need's area): `quantity` of the resource for `covers` of the need
    (the same by default). The pair must match now (see the scoring above)."""
    actor = require_actor(actor)
    message = clean_text(message, field="message", max_length=500, required=False)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"A quantity is 1 to {MAX_QUANTITY}.", field="quantity")
    covers = quantity if covers is None else covers
    if not 1 <= covers <= MAX_QUANTITY:
        raise InvalidInput(f"Covers is 1 to {MAX_QUANTITY}.", field="covers")
    need = await NeedEntry.get_or_none(id=need_id)
    if need is None:
        raise NotFound("No such need.", field="needId")
    offer = await ResourceOffer.get_or_none(id=resource_id)
    if offer is None:
        raise NotFound("No such resource.", field="resourceId")
    sides = await _sides(actor, need, offer)
    if not sides:
        raise Forbidden(
            "The resource's unit managers or the need's admins and leaders propose matches.",
            field="needId",
        )
    # In other categories the units differ: the sides say how much of the need it covers.
    if need.category is offer.category and covers != quantity:
        raise InvalidInput("In the same category a match covers what it takes.", field="covers")
    if quantity > offer.remaining:
        raise OutOfStock(f"Only {offer.remaining} {offer.unit_label} left.", field="quantity")
    if covers > need.quantity - need.committed:
        raise InvalidInput(
            f"Only {need.quantity - need.committed} {need.unit_label} are still needed.",
            field="covers",
        )
    ranked = await _rank_resources(need, 1, only=offer.id)
    if not ranked:
        raise InvalidInput(
            "This resource does not match the need now (category, area, window or status).",
            field="resourceId",
        )
    # The proposer's own side accepts by proposing (a manager of the unit who also runs the
    # area proposes for the resource side; the need side then accepts).
    side = MatchSide.RESOURCE if MatchSide.RESOURCE in sides else MatchSide.NEED
    try:
        return await ResourceMatch.create(
            need_id=need.id,
            resource_id=offer.id,
            unit_id=offer.unit_id,
            quantity=quantity,
            covers=covers,
            score=ranked[0].score,
            reason=ranked[0].reason[:500],
            message=message,
            status=MatchStatus.PROPOSED,
            proposed_by_side=side,
            proposed_by_id=actor.person_id,
            created_at=clock.now(),
        )
    except IntegrityError as exc:
        raise Conflict(
            "A match of this need and resource is waiting for an answer already.", field="needId"
        ) from exc


async def _match(match_id: int) -> tuple[ResourceMatch, NeedEntry, ResourceOffer]:
    match = await ResourceMatch.get_or_none(id=match_id)
    if match is None:
        raise NotFound("No such match.", field="matchId")
    need = await NeedEntry.get(id=match.need_id)
    offer = await ResourceOffer.get(id=match.resource_id)
    return match, need, offer


def _other(side: MatchSide) -> MatchSide:
    return MatchSide.NEED if side is MatchSide.RESOURCE else MatchSide.RESOURCE


async def accept_match(*, actor: Actor | None, match_id: int) -> ResourceMatch:
    """The other side accepts: in one transaction the resource's remaining quantity and the
    need's committed quantity move by conditional UPDATEs (so concurrent acceptances can never
    over-commit either), and the need's co-building project is created or extended with the
    unit as PARTNER. A failure leaves the match PROPOSED and nothing changed."""
    actor = require_actor(actor)
    match, need, offer = await _match(match_id)
    if _other(match.proposed_by_side) not in await _sides(actor, need, offer):
        raise Forbidden("The other side of the match accepts it.", field="matchId")
    unit = await PartnerUnit.get(id=offer.unit_id)
    if unit.status is not PartnerUnitStatus.APPROVED:
        raise Conflict("The resource's unit is not approved.", field="matchId")
    moment = clock.now()
    async with in_transaction():
        # The match first: its status flips once, so the same match is never accepted twice.
        changed = await ResourceMatch.filter(id=match.id, status=MatchStatus.PROPOSED).update(
            status=MatchStatus.ACCEPTED, decided_by_id=actor.person_id, decided_at=moment
        )
        if not changed:
            raise Conflict("This match is answered already.", field="matchId")
        taken = await db.execute(
            "UPDATE resource_offer SET remaining = remaining - ?, updated_at = ? "
            "WHERE id = ? AND status = 'OPEN' AND remaining >= ? RETURNING remaining",
            [match.quantity, moment, offer.id, match.quantity],
        )
        if not taken:
            fresh = await ResourceOffer.get(id=offer.id)
            if fresh.status is not ResourceStatus.OPEN:
                raise Conflict("The resource has been withdrawn.", field="matchId")
            raise OutOfStock(
                f"Only {fresh.remaining} {fresh.unit_label} of the resource are left.",
                field="matchId",
            )
        covered = await db.execute(
            "UPDATE need_entry SET committed = committed + ?, updated_at = ?, "
            "status = CASE WHEN committed + ? = quantity THEN 'FULFILLED' ELSE status END "
            "WHERE id = ? AND status = 'OPEN' AND committed + ? <= quantity "
            "RETURNING project_id",
            [match.covers, moment, match.covers, need.id, match.covers],
        )
        if not covered:
            fresh_need = await NeedEntry.get(id=need.id)
            if fresh_need.status is not NeedStatus.OPEN:
                raise Conflict(f"The need is {fresh_need.status.value}.", field="matchId")
            raise Conflict(
                f"Only {fresh_need.quantity - fresh_need.committed} {fresh_need.unit_label} "
                "are still needed.",
                field="matchId",
            )
        project_id = await project_for_match(
            project_id=covered[0]["project_id"],
            need_id=need.id,
            title=need.title,
            community=need.community_path,
            unit_id=offer.unit_id,
            by=actor.person_id,
        )
        await ResourceMatch.filter(id=match.id).update(project_id=project_id)
    return await ResourceMatch.get(id=match.id)


async def decline_match(*, actor: Actor | None, match_id: int, reason: str) -> ResourceMatch:
    """The other side declines a proposed match, with a reason."""
    actor = require_actor(actor)
    reason = clean_text(reason, field="reason", max_length=500)
    match, need, offer = await _match(match_id)
    if _other(match.proposed_by_side) not in await _sides(actor, need, offer):
        raise Forbidden("The other side of the match declines it.", field="matchId")
    return await _close(match, MatchStatus.DECLINED, actor, reason)


async def withdraw_match(*, actor: Actor | None, match_id: int) -> ResourceMatch:
    """The proposing side withdraws its proposal before it is answered."""
    actor = require_actor(actor)
    match, need, offer = await _match(match_id)
    if match.proposed_by_side not in await _sides(actor, need, offer):
        raise Forbidden("The proposing side withdraws a match.", field="matchId")
    return await _close(match, MatchStatus.WITHDRAWN, actor, None)


async def _close(
    match: ResourceMatch, status: MatchStatus, actor: Actor, reason: str | None
) -> ResourceMatch:
    changed = await ResourceMatch.filter(id=match.id, status=MatchStatus.PROPOSED).update(
        status=status, decided_by_id=actor.person_id, decided_at=clock.now(), decision_reason=reason
    )
    if not changed:
        raise Conflict("This match is answered already.", field="matchId")
    return await ResourceMatch.get(id=match.id)


async def matches_by_ids(
    *, actor: Actor | None, match_ids: list[int]
) -> list[ResourceMatch | None]:
    """Matches for the ids (signed-in users: they are part of the public lists), in order."""
    if actor is None:
        return [None for _ in match_ids]
    found = {m.id: m for m in await ResourceMatch.filter(id__in=match_ids)}
    return [found.get(i) for i in match_ids]


# The most matches listed for one need, resource or project (the newest): a bound the API's
# cost estimate relies on (`Need.matches`, `ResourceOffer.matches`, `Project.matches`).
MATCHES_LIMIT = 50


async def matches_of(
    *, column: str, owner_ids: list[int], status: MatchStatus | None = None
) -> list[list[ResourceMatch]]:
    """The matches of each need, resource or project (by `column`), newest first, at most
    MATCHES_LIMIT each; one query."""
    assert column in {"need_id", "resource_id", "project_id"}
    query = ResourceMatch.filter(**{f"{column}__in": owner_ids})
    if status is not None:
        query = query.filter(status=status)
    found: dict[int, list[ResourceMatch]] = {i: [] for i in owner_ids}
    for m in await query.order_by("-id"):
        owned = found[getattr(m, column)]
        if len(owned) < MATCHES_LIMIT:
            owned.append(m)
    return [found[i] for i in owner_ids]
