"""Who reads which notices, and the lists they read them in.

A notice at area A (to roles R, or to everyone when R is empty) is read by
- the admins and leaders whose areas lie in line with A (above it, at it or below it): they
  pass it on and follow its coverage, whatever roles it was addressed to;
- everyone with a place under A (their household's micro-grid, as RESIDENT, or the area of a
  role they hold) whose role there is among R (any, when R is empty);
- its recipients (fixed at publication, even after their role ended).

For a viewer this is computed, not stored: the ancestors-or-self of the viewer's few places
give a short list of paths, and notices are looked up by `area_path IN (...)` on its index
(plus subtree ranges for admins and leaders, and the recipients' index), so a district-wide
notice costs no row per resident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.enums import Role
from services.errors import Forbidden, NotFound
from services.grids import get_area
from services.kit import db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, keyset_sql, page_from_rows
from services.kit.paths import ancestor_paths, is_under, subtree_bounds
from services.models import Notice, NoticeRecipient
from services.notices.publishing import ROLE_BITS


def _self_and_above(path: str) -> list[str]:
    return [*ancestor_paths(path), path]


def places(actor: Actor) -> list[tuple[Role, str]]:
    """Where the actor belongs, as (role, area path): their household's micro-grid (as
    RESIDENT) and the areas of their open roles."""
    found = [(g.role, g.area_path) for g in actor.grants if g.area_path]
    if actor.household_path:
        found.append((Role.RESIDENT, actor.household_path))
    return found


def sees(actor: Actor, notice: Notice, *, delivered: bool) -> bool:
    """May the actor read the notice (`delivered`: the actor is one of its recipients)?"""
    if delivered:
        return True
    path = notice.area_path
    if any(is_under(path, root) or is_under(root, path) for root in actor.read_paths):
        return True
    return any(
        is_under(place, path) and (notice.role_mask == 0 or notice.role_mask & ROLE_BITS[role])
        for role, place in places(actor)
    )


def visible_sql(actor: Actor) -> tuple[str, list[Any]]:
    """The SQL condition (on `n`, the notice) for what `sees` allows, with its parameters."""
    clauses = ["n.id IN (SELECT notice_id FROM notice_recipient WHERE person_id = ?)"]
    params: list[Any] = [actor.person_id]
    above: set[str] = set()
    for root in sorted(set(actor.read_paths)):
        clauses.append("(n.area_path >= ? AND n.area_path < ?)")
        params += list(subtree_bounds(root))
        above.update(ancestor_paths(root))
    if above:
        clauses.append(f"n.area_path IN ({','.join('?' for _ in above)})")
        params += sorted(above)
    by_role: dict[Role, set[str]] = {}
    for role, place in places(actor):
        by_role.setdefault(role, set()).update(_self_and_above(place))
    for role, paths in sorted(by_role.items()):
        clauses.append(
            f"(n.area_path IN ({','.join('?' for _ in paths)}) "
            "AND (n.role_mask = 0 OR (n.role_mask & ?) <> 0))"
        )
        params += [*sorted(paths), ROLE_BITS[role]]
    return "(" + " OR ".join(clauses) + ")", params


async def _page(where: str, params: list[Any], *, window: Window) -> Page[Notice]:
    """Newest first (by id, which follows publication), keyset on the id."""
    keyset = keyset_sql(window, "n.id", newest_first=True)
    rows = (
        await db.fetch(
            f"SELECT n.* FROM notice n WHERE {where}{keyset.bounds} "
            f"ORDER BY n.id {keyset.direction} LIMIT ?",
            [*params, *keyset.params, keyset.limit],
        )
        if window.size
        else []
    )
    found = [Notice._init_from_db(**row) for row in rows]

    async def count() -> int:
        total = await db.fetch(f"SELECT COUNT(*) AS n FROM notice n WHERE {where}", params)
        return int(total[0]["n"])

    return page_from_rows(found, [n.id for n in found], window, count=count)


def in_scope_of(actor: Actor, path: str) -> bool:
    """Is the area at `path` the actor's concern: they administer or lead it (or above it),
    or they live or hold a role in it?"""
    return actor.reads(path) or any(is_under(place, path) for _, place in places(actor))


async def list_notices(*, actor: Actor | None, under_id: int, window: Window) -> Page[Notice]:
    """The notices for an area, newest first: those published to it, above it or below it
    that the actor may read. For people in scope of the area (a role or household in it, or
    admins and leaders above it)."""
    actor = require_actor(actor)
    area = await get_area(area_id=under_id)
    if not in_scope_of(actor, area.path):
        raise Forbidden("Notices are read by the people of the area.", field="under")
    low, high = subtree_bounds(area.path)
    above = ancestor_paths(area.path)
    line = "(n.area_path >= ? AND n.area_path < ?"
    line += f" OR n.area_path IN ({','.join('?' for _ in above)}))" if above else ")"
    visible, params = visible_sql(actor)
    return await _page(f"{line} AND {visible}", [low, high, *above, *params], window=window)


async def my_notices(
    *, actor: Actor | None, unacknowledged_only: bool, window: Window
) -> Page[Notice]:
    """The notices the actor may read, newest first; `unacknowledged_only`: those delivered
    to the actor that they have not acknowledged yet."""
    actor = require_actor(actor)
    if unacknowledged_only:
        where = (
            "n.id IN (SELECT notice_id FROM notice_recipient WHERE person_id = ?) AND n.id NOT IN "
            "(SELECT notice_id FROM notice_acknowledgement WHERE person_id = ?)"
        )
        return await _page(where, [actor.person_id, actor.person_id], window=window)
    where, params = visible_sql(actor)
    return await _page(where, params, window=window)


async def notices_by_ids(*, actor: Actor | None, notice_ids: list[int]) -> list[Notice | None]:
    """Notices for the ids, in order; None where missing or not for the actor to read."""
    if actor is None:
        return [None for _ in notice_ids]
    found = {n.id: n for n in await Notice.filter(id__in=notice_ids)}
    delivered = {
        r.notice_id
        for r in await NoticeRecipient.filter(person_id=actor.person_id, notice_id__in=list(found))
    }
    return [
        n if n is not None and sees(actor, n, delivered=n.id in delivered) else None
        for n in (found.get(i) for i in notice_ids)
    ]


async def get_notice(actor: Actor, notice_id: int, field: str = "noticeId") -> Notice:
    """A notice the actor may read (NotFound otherwise)."""
    (notice,) = await notices_by_ids(actor=actor, notice_ids=[notice_id])
    if notice is None:
        raise NotFound("No such notice.", field=field)
    return notice


async def acknowledged_counts(*, notice_ids: list[int]) -> list[int]:
    """How many recipients acknowledged each notice; one grouped query."""
    rows = await db.fetch(
        "SELECT notice_id, COUNT(*) AS n FROM notice_acknowledgement "
        f"WHERE notice_id IN ({','.join('?' for _ in notice_ids)}) GROUP BY notice_id",
        list(notice_ids),
    )
    counts = {int(r["notice_id"]): int(r["n"]) for r in rows}
    return [counts.get(i, 0) for i in notice_ids]


@dataclass(frozen=True)
class Receipt:
    """A notice as it concerns one person: delivered to them, and when they acknowledged it."""

    delivered: bool
    acknowledged_at: datetime | None


async def receipts(*, person_id: int, notice_ids: list[int]) -> list[Receipt]:
    """The person's receipt of each notice; one query."""
    rows = await db.fetch(
        "SELECT r.notice_id, a.acknowledged_at FROM notice_recipient r "
        "LEFT JOIN notice_acknowledgement a "
        "ON a.notice_id = r.notice_id AND a.person_id = r.person_id "
        f"WHERE r.person_id = ? AND r.notice_id IN ({','.join('?' for _ in notice_ids)})",
        [person_id, *notice_ids],
    )
    found = {int(r["notice_id"]): db.timestamp(r["acknowledged_at"]) for r in rows}
    return [Receipt(delivered=i in found, acknowledged_at=found.get(i)) for i in notice_ids]


def overseen_roots(actor: Actor, path: str) -> list[str] | None:
    """The subtrees of a notice at `path` whose recipients the actor follows: the whole
    notice ([path]) for admins and leaders at or above it, the parts they administer or lead
    below it otherwise, None for nobody."""
    if actor.reads(path):
        return [path]
    inside = sorted({r for r in actor.read_paths if is_under(r, path)})
    # Only the outermost ones: a subtree inside another adds nothing.
    outer = [r for r in inside if not any(r != o and is_under(r, o) for o in inside)]
    return outer or None
