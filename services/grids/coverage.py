"""Full coverage (全覆盖): households, assignment, leaders and central households per area,
and the gaps behind the figures (`coverageGaps`: which households, which micro-grids).

A household counts as looked after by a central household when its care link is held by a
central household of its micro-grid (`_CARED`): households handed to the micro-grid leader
when their central household's role ended are gaps until a central household is linked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.expressions import Subquery

from services.enums import AreaLevel, Role
from services.errors import Forbidden, NotFound
from services.grids.areas import AreaRow, areas_by_ids
from services.kit import db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, keyset_sql, page_from_rows, paginate
from services.kit.paths import SUBTREE_END, in_subtree, subtree_bounds
from services.models import Area, Household, RoleAssignment

# The care link `c` of household `h` is held by a central household of h's micro-grid.
_CARED = (
    "EXISTS (SELECT 1 FROM role_assignment r WHERE r.person_id = c.central_id "
    "AND r.role = 'CENTRAL_HOUSEHOLD' AND r.area_id = h.micro_grid_id AND r.until IS NULL)"
)
# The same condition for other readers of the gaps (services.exports).
CARED_SQL = _CARED


@dataclass(frozen=True)
class Coverage:
    """Full-coverage figures for one area."""

    households: int
    assigned_households: int
    unassigned_households: int
    micro_grids: int
    micro_grids_without_leader: int
    households_with_central_household: int

    @property
    def central_household_coverage(self) -> float:
        """Share (0..1) of households looked after by a central household."""
        return self.households_with_central_household / self.households if self.households else 0.0


async def household_counts(*, area_ids: list[int]) -> list[int]:
    """Households registered under each area; one query (aggregates are public)."""
    if not area_ids:
        return []
    marks = ",".join("?" for _ in area_ids)
    rows = await db.fetch(
        f"""
        SELECT a.id AS area_id, COUNT(h.id) AS households
        FROM area a
        LEFT JOIN household h ON h.path >= a.path AND h.path < {SUBTREE_END}
        WHERE a.id IN ({marks})
        GROUP BY a.id
        """,
        list(area_ids),
    )
    counts = {row["area_id"]: int(row["households"]) for row in rows}
    return [counts.get(i, 0) for i in area_ids]


async def coverage(*, actor: Actor | None, area_ids: list[int]) -> list[Coverage | Exception]:
    """Coverage figures per area, for admins and leaders of the area (Forbidden elsewhere)."""
    return await coverage_of(actor=actor, areas=await areas_by_ids(area_ids=area_ids))


async def coverage_of(
    *, actor: Actor | None, areas: Sequence[Area | AreaRow | None]
) -> list[Coverage | Exception]:
    """`coverage` for areas already read (a page of them): the same checks, two statements."""
    figures = iter(await coverage_figures([a.id for a in areas if a is not None]))
    results: list[Coverage | Exception] = []
    for area in areas:
        if area is None:
            results.append(NotFound("No such area."))
            continue
        figure = next(figures)
        if actor is None or not actor.reads(area.path):
            results.append(Forbidden("Coverage is shown to admins and leaders of the area."))
        else:
            results.append(figure)
    return results


async def coverage_figures(area_ids: list[int]) -> list[Coverage]:
    """Coverage for many areas in two statements (range joins on the indexed paths), unchecked."""
    if not area_ids:
        return []
    marks = ",".join("?" for _ in area_ids)
    upper = SUBTREE_END
    households = await db.fetch(
        f"""
        SELECT a.id AS area_id, COUNT(h.id) AS households,
               COUNT(h.micro_grid_id) AS assigned, COUNT(c.id) AS cared
        FROM area a
        LEFT JOIN household h ON h.path >= a.path AND h.path < {upper}
        LEFT JOIN care_link c ON c.household_id = h.id AND {_CARED}
        WHERE a.id IN ({marks})
        GROUP BY a.id
        """,
        list(area_ids),
    )
    micro_grids = await db.fetch(
        f"""
        SELECT a.id AS area_id, COUNT(m.id) AS micro_grids,
               SUM(CASE WHEN r.id IS NULL THEN 1 ELSE 0 END) AS leaderless
        FROM area a
        JOIN area m ON m.path >= a.path AND m.path < {upper} AND m.level = ?
        LEFT JOIN role_assignment r
               ON r.area_id = m.id AND r.role = ? AND r.until IS NULL
        WHERE a.id IN ({marks})
        GROUP BY a.id
        """,
        [AreaLevel.MICRO_GRID.value, Role.MICRO_GRID_LEADER.value, *area_ids],
    )
    by_area = {row["area_id"]: row for row in households}
    grids = {row["area_id"]: row for row in micro_grids}
    result = []
    for area_id in area_ids:
        h = by_area.get(area_id, {})
        m = grids.get(area_id, {})
        total = int(h.get("households") or 0)
        assigned = int(h.get("assigned") or 0)
        result.append(
            Coverage(
                households=total,
                assigned_households=assigned,
                unassigned_households=total - assigned,
                micro_grids=int(m.get("micro_grids") or 0),
                micro_grids_without_leader=int(m.get("leaderless") or 0),
                households_with_central_household=int(h.get("cared") or 0),
            )
        )
    return result


async def _gaps_area(actor: Actor | None, area_id: int) -> Area:
    """The area whose gaps are asked for, if the actor administers it."""
    actor = require_actor(actor)
    area = await Area.get_or_none(id=area_id)
    if area is None:
        raise NotFound("No such area.", field="areaId")
    if not actor.administers(area.path):
        raise Forbidden("Coverage gaps are shown to the admins of the area.")
    return area


async def unassigned_households(
    *, actor: Actor | None, area_id: int, window: Window
) -> Page[Household]:
    """Households registered under the area but in no micro-grid yet, by id (admins of the
    area); as many as `unassignedHouseholds` counts."""
    area = await _gaps_area(actor, area_id)
    query = Household.filter(in_subtree(area.path), micro_grid_id=None)
    return await paginate(query, window)


async def micro_grids_without_leader(
    *, actor: Actor | None, area_id: int, window: Window
) -> Page[Area]:
    """Micro-grids under the area (or the area itself) with no micro-grid leader now, by id
    (admins of the area); as many as `microGridsWithoutLeader` counts."""
    area = await _gaps_area(actor, area_id)
    led = RoleAssignment.filter(role=Role.MICRO_GRID_LEADER, until=None).values("area_id")
    query = Area.filter(in_subtree(area.path), level=AreaLevel.MICRO_GRID).exclude(
        id__in=Subquery(led)
    )
    return await paginate(query, window)


async def households_without_central_household(
    *, actor: Actor | None, area_id: int, window: Window
) -> Page[Household]:
    """Households under the area that no central household of their micro-grid looks after
    (unassigned ones included), by id (admins of the area); as many as the figures count
    (`households` - `householdsWithCentralHousehold`)."""
    area = await _gaps_area(actor, area_id)
    low, high = subtree_bounds(area.path)
    where = (
        "h.path >= ? AND h.path < ? AND NOT EXISTS (SELECT 1 FROM care_link c "
        f"WHERE c.household_id = h.id AND {_CARED})"
    )
    keyset = keyset_sql(window, "h.id")
    rows = (
        await db.fetch(
            f"SELECT h.id FROM household h WHERE {where}{keyset.bounds} "
            f"ORDER BY h.id {keyset.direction} LIMIT ?",
            [low, high, *keyset.params, keyset.limit],
        )
        if window.size
        else []
    )
    ids = [int(row["id"]) for row in rows]
    found = {h.id: h for h in await Household.filter(id__in=ids)} if ids else {}

    async def count() -> int:
        (row,) = await db.fetch(f"SELECT COUNT(*) AS n FROM household h WHERE {where}", [low, high])
        return int(row["n"])

    return page_from_rows([found[i] for i in ids], ids, window, count=count)
