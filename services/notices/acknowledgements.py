"""Acknowledging notices (points through NOTICE_RELAYED, once), who acknowledged, coverage
per area, and the count per person and quarter that evaluations read.

Acknowledging twice, or twice at once, pays once: the acknowledgement row is the transaction's
first write, under a unique index on (notice, person); only the transaction that inserted it
awards, and a second one finds the row (or fails on the index and reads the first's). A unique
index on the award's source (migration 0015) stands behind that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from services.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from services.grids import areas_by_ids
from services.kit import calendar, clock, db, events
from services.kit.auth import Actor, require_actor
from services.kit.pagination import (
    Page,
    Window,
    batched_counts,
    keyset_sql,
    page_from_rows,
    paginate,
)
from services.kit.paths import in_subtree, is_under, subtree_bounds
from services.models import Area, Notice, NoticeAcknowledgement, NoticeRecipient
from services.notices.reading import get_notice, overseen_roots
from services.points import Source, award_for_source, community_at

RULE_CODE = "NOTICE_RELAYED"
SOURCE_TYPE = "NoticeAcknowledgement"


@dataclass(frozen=True)
class Acknowledged:
    """An acknowledgement and whether this call made it (False: it was there before, nothing
    was awarded this time)."""

    acknowledgement: NoticeAcknowledgement
    notice: Notice
    first: bool


async def acknowledge_notice(*, actor: Actor | None, notice_id: int) -> Acknowledged:
    """Acknowledge a notice delivered to the actor (a micro-grid leader or central household
    it was delivered to): the first time earns NOTICE_RELAYED points from the community of
    the recipient's area (as many as the rule's caps allow); again returns the first."""
    actor = require_actor(actor)
    notice = await get_notice(actor, notice_id)
    recipient = await NoticeRecipient.get_or_none(notice_id=notice.id, person_id=actor.person_id)
    if recipient is None:
        raise Forbidden(
            "Notices are acknowledged by the micro-grid leaders and central households they "
            "were delivered to.",
            field="noticeId",
        )
    previous = await NoticeAcknowledgement.get_or_none(
        notice_id=notice.id, person_id=actor.person_id
    )
    if previous is not None:
        return Acknowledged(previous, notice, first=False)
    community = await community_at(recipient.area_path)
    try:
        async with events.collecting(), in_transaction():
            # The first write (see the module docstring): a concurrent twin fails here.
            made = await NoticeAcknowledgement.create(
                notice_id=notice.id,
                person_id=actor.person_id,
                area_id=recipient.area_id,
                area_path=recipient.area_path,
                acknowledged_at=clock.now(),
            )
            award = await award_for_source(
                actor=actor,
                person_id=actor.person_id,
                community=community,
                rule_code=RULE_CODE,
                quantity=1,
                reason=f"政策传达：{notice.title}"[:500],
                source=Source(SOURCE_TYPE, str(made.id)),
            )
            if award is not None:
                made.award_id = award.id
                await NoticeAcknowledgement.filter(id=made.id).update(award_id=award.id)
                events.emit(events.Topic.POINTS, person_id=actor.person_id)
    except IntegrityError:
        first = await NoticeAcknowledgement.get_or_none(
            notice_id=notice.id, person_id=actor.person_id
        )
        if first is None:  # not the acknowledgement's index: a real failure
            raise
        return Acknowledged(first, notice, first=False)
    return Acknowledged(made, notice, first=True)


async def notice_acknowledgements(
    *, actor: Actor | None, notice: Notice, window: Window
) -> Page[NoticeAcknowledgement]:
    """Who acknowledged a notice, oldest first: all of them for admins and leaders at or
    above its area, those in their own areas for admins and leaders below it."""
    actor = require_actor(actor)
    roots = overseen_roots(actor, notice.area_path)
    if roots is None:
        raise Forbidden(_NOT_SHOWN)
    return await paginate(_scoped(notice.id, notice.area_path, roots), window)


_NOT_SHOWN = "Acknowledgements are shown to the admins and leaders of the area."


def _scoped(notice_id: int, notice_path: str, roots: list[str]) -> QuerySet[NoticeAcknowledgement]:
    query = NoticeAcknowledgement.filter(notice_id=notice_id)
    if roots != [notice_path]:
        query = query.filter(Q(*[in_subtree(r, "area_path") for r in roots], join_type="OR"))
    return query


@dataclass(frozen=True)
class AcknowledgementsKey:
    """One page of a notice's acknowledgements: the notice (id and area path) and the window."""

    notice_id: int
    notice_path: str
    window: Window


async def acknowledgement_pages(
    *, actor: Actor | None, keys: list[AcknowledgementsKey]
) -> list[Page[NoticeAcknowledgement] | Exception]:
    """`notice_acknowledgements` for many notices at once (a page of notices, each with its
    acknowledgements): one statement per distinct window, and one for all their
    totals when any is asked for, however many notices; Forbidden for each notice whose
    acknowledgements the actor may not see."""
    if actor is None:
        return [Unauthenticated("Sign in first.") for _ in keys]
    roots = {k.notice_id: overseen_roots(actor, k.notice_path) for k in keys}
    allowed = [k for k in keys if roots[k.notice_id] is not None]
    # Who may see what depends on the notice only: one scope for the whole batch.
    whole = sorted({k.notice_id for k in allowed if roots[k.notice_id] == [k.notice_path]})
    parts: list[str] = []
    params: list[object] = []
    if whole:
        parts.append(f"x.notice_id IN ({','.join('?' for _ in whole)})")
        params.extend(whole)
    for notice_id in sorted({k.notice_id for k in allowed} - set(whole)):
        inside = roots[notice_id] or []
        parts.append(
            "(x.notice_id = ? AND ("
            + " OR ".join("(x.area_path >= ? AND x.area_path < ?)" for _ in inside)
            + "))"
        )
        params.append(notice_id)
        for root in inside:
            params.extend(subtree_bounds(root))
    scope = " OR ".join(parts) or "1 = 0"

    async def totals() -> dict[int, int]:
        rows = await db.fetch(
            "SELECT x.notice_id, COUNT(*) AS n FROM notice_acknowledgement x "
            f"WHERE {scope} GROUP BY x.notice_id",
            params,
        )
        return {int(row["notice_id"]): int(row["n"]) for row in rows}

    count_of = batched_counts(totals)
    pages: dict[AcknowledgementsKey, Page[NoticeAcknowledgement]] = {}
    if len(allowed) == 1:
        # One notice: a plain LIMIT query (numbering every acknowledgement of a district's
        # notice to cut one page would read all of them).
        (key,) = allowed
        query = _scoped(key.notice_id, key.notice_path, roots[key.notice_id] or [])
        pages[key] = await paginate(query, key.window)
        allowed = []
    groups: dict[Window, list[AcknowledgementsKey]] = {}
    for key in allowed:
        groups.setdefault(key.window, []).append(key)
    for window, group in groups.items():
        found: dict[int, list[NoticeAcknowledgement]] = {}
        if window.size:
            # Each notice's rows numbered by id in the window's reading order and cut at
            # size+1 (ROW_NUMBER: both databases).
            keyset = keyset_sql(window, "x.id")
            rows = await db.fetch(
                f"""
                SELECT * FROM (
                    SELECT x.*, ROW_NUMBER() OVER (
                        PARTITION BY x.notice_id ORDER BY x.id {keyset.direction}
                    ) AS rn
                    FROM notice_acknowledgement x
                    WHERE x.notice_id IN ({",".join("?" for _ in group)}) AND ({scope})
                      {keyset.bounds}
                ) numbered WHERE rn <= ? ORDER BY notice_id, id {keyset.direction}
                """,
                [*(k.notice_id for k in group), *params, *keyset.params, keyset.limit],
            )
            for row in rows:
                row.pop("rn")
                made = NoticeAcknowledgement._init_from_db(**row)
                found.setdefault(made.notice_id, []).append(made)
        for key in group:
            items = found.get(key.notice_id, [])
            pages[key] = page_from_rows(
                items,
                [a.id for a in items],
                window,
                count=count_of(key.notice_id),
            )
    return [pages[k] if k in pages else Forbidden(_NOT_SHOWN) for k in keys]


# --- coverage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaCoverage:
    """Recipients, acknowledgements and households reached of a notice in one area."""

    area_id: int
    recipients: int
    acknowledged: int
    # Households told of it by their leaders or central households (notice_relay).
    households_reached: int = 0

    @property
    def share(self) -> float | None:
        """Acknowledged / recipients (None without recipients)."""
        return self.acknowledged / self.recipients if self.recipients else None


@dataclass(frozen=True)
class NoticeCoverage:
    """Coverage of a notice under an area, overall and per child area."""

    under: AreaCoverage
    areas: list[AreaCoverage]


@dataclass(frozen=True)
class CoverageKey:
    """One coverage request: the notice (id and path) and the area asked about (None: the
    notice's area, or the outermost areas the actor runs inside it)."""

    notice_id: int
    notice_path: str
    under_id: int | None


def _under_path(actor: Actor | None, key: CoverageKey, areas: dict[int, Area | None]) -> str | None:
    """The path coverage is broken down under, checked: None when no area is given and the
    actor runs no part of the notice's subtree; a DomainError for an area they may not see."""
    if key.under_id is None:
        roots = overseen_roots(actor, key.notice_path) if actor else None
        return roots[0] if roots else None
    area = areas.get(key.under_id)
    if area is None:
        raise NotFound("No such area.", field="under")
    if not is_under(area.path, key.notice_path):
        raise InvalidInput("Give an area the notice was published to.", field="under")
    if actor is None or not actor.reads(area.path):
        raise Forbidden("Coverage is shown to the admins and leaders of the area.", field="under")
    return area.path


def _child(path: str, under: str) -> int | None:
    """The id of the child of `under` that `path` lies in (None: `under` itself)."""
    rest = path[len(under) :].strip("/")
    return int(rest.split("/")[0]) if rest else None


def _area_id(path: str) -> int:
    return int(path.strip("/").split("/")[-1])


async def notice_coverage(
    *, actor: Actor | None, keys: list[CoverageKey]
) -> list[NoticeCoverage | Exception | None]:
    """Coverage for many (notice, area) pairs in a fixed number of statements: recipients
    and acknowledgements counted per notice and area, rolled up to each area's children
    (None where no area is given and the actor runs no part of the notice's subtree)."""
    explicit = sorted({k.under_id for k in keys if k.under_id is not None})
    found = await areas_by_ids(area_ids=explicit) if explicit else []
    areas = dict(zip(explicit, found, strict=True))
    unders: list[str | Exception | None] = []
    for key in keys:
        try:
            unders.append(_under_path(actor, key, areas))
        except (Forbidden, NotFound, InvalidInput) as exc:
            unders.append(exc)
    wanted = [(k, u) for k, u in zip(keys, unders, strict=True) if isinstance(u, str)]
    if not wanted:
        return [None if u is None else u for u in unders if not isinstance(u, str)]
    notice_ids = sorted({k.notice_id for k, _ in wanted})
    marks = ",".join("?" for _ in notice_ids)
    counts: dict[int, dict[str, list[int]]] = {}
    # Recipients (0), acknowledgements (1) and households reached (2) per notice and path, in
    # one statement.
    parts = [
        f"SELECT notice_id, {path} AS area_path, {column} AS k, COUNT(*) AS n FROM {table} "
        f"WHERE notice_id IN ({marks}) GROUP BY notice_id, {path}"
        for column, table, path in (
            (0, "notice_recipient", "area_path"),
            (1, "notice_acknowledgement", "area_path"),
            (2, "notice_relay", "household_path"),
        )
    ]
    for row in await db.fetch(" UNION ALL ".join(parts), notice_ids * len(parts)):
        by_path = counts.setdefault(int(row["notice_id"]), {})
        by_path.setdefault(str(row["area_path"]), [0, 0, 0])[int(row["k"])] = int(row["n"])
    under_ids = sorted({_area_id(u) for _, u in wanted})
    children: dict[int, list[int]] = {}
    for child_id, parent_id in await Area.filter(parent_id__in=under_ids).values_list(
        "id", "parent_id"
    ):
        children.setdefault(int(parent_id), []).append(int(child_id))
    out: list[NoticeCoverage | Exception | None] = []
    for key, under in zip(keys, unders, strict=True):
        if not isinstance(under, str):
            out.append(under)
            continue
        under_id = _area_id(under)
        per_child = {c: [0, 0, 0] for c in sorted(children.get(under_id, []))}
        total = [0, 0, 0]
        for path, figures in counts.get(key.notice_id, {}).items():
            if not is_under(path, under):
                continue
            child = _child(path, under)
            for i, n in enumerate(figures):
                total[i] += n
                if child is not None:
                    per_child.setdefault(child, [0, 0, 0])[i] += n
        out.append(
            NoticeCoverage(
                under=AreaCoverage(under_id, *total),
                areas=[AreaCoverage(c, *f) for c, f in sorted(per_child.items())],
            )
        )
    return out


# --- figures for evaluations ---------------------------------------------------------------


async def acknowledged_between(
    start: datetime, end: datetime, people: str, params: list[Any]
) -> dict[int, int]:
    """How many notices each of `people` (an SQL subquery of person ids, with its parameters)
    acknowledged in [start, end); one grouped statement, people with none left out."""
    rows = await db.fetch(
        "SELECT person_id, COUNT(*) AS n FROM notice_acknowledgement "
        f"WHERE acknowledged_at >= ? AND acknowledged_at < ? AND person_id IN ({people}) "
        "GROUP BY person_id",
        [start, end, *params],
    )
    return {int(r["person_id"]): int(r["n"]) for r in rows}


async def person_metrics(*, quarter: str, person_ids: list[int]) -> dict[int, int]:
    """How many notices each person acknowledged in the quarter (0 for none); one grouped
    query per 500 people."""
    start, end = calendar.quarter_window(quarter)
    found = dict.fromkeys(person_ids, 0)
    unique = sorted(found)
    for i in range(0, len(unique), 500):
        chunk = unique[i : i + 500]
        marks = ",".join("?" for _ in chunk)
        found.update(await acknowledged_between(start, end, marks, chunk))
    return found
