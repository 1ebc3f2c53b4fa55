"""The practical ceiling: hand-written Starlette endpoints that read what the GraphQL path reads.

Run as `python -m uvicorn --factory bench.ceiling:create_app` with the same DATABASE_URL and
JWT settings as the GraphQL server. No GraphQL, no DataLoaders, no ORM model instances for the
data: the same authentication as the API (`services.accounts.actor_from_token`: JWT check, live
session, the actor's roles), then a few hand-written statements, and JSON shaped exactly like the
GraphQL response (`{"data": ...}`) so the benchmark can check that both return the same thing.

POST /areas  {"under": <Area global id>, "first": N, "coverage": true}
    1. the `under` area's path;
    2. the page: micro-grids in that subtree, in id order, LIMIT N;
    3. the coverage aggregate for the page: the same two range-join statements as
       services.grids.coverage_figures (keep them in step);
    4. the role holders of the page (open duty roles) joined to their names, one statement.
    With "coverage": false, step 3 is left out and the nodes carry no coverage (the bench's
    anonymous three-level read, `nested`).
GET /viewer
    the actor's person name, then the open roles joined to their areas, one statement each.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.queries import global_id, parse_global_id
from services import accounts
from services.enums import AreaLevel, Role
from services.kit import db
from services.kit.auth import Actor
from services.kit.paths import subtree_bounds
from services.kit.settings import get_settings
from services.people import DUTY_CARD_ROLES

_DUTY_ROLES = sorted(r.value for r in DUTY_CARD_ROLES)
# The coverage statements of services.grids.coverage_figures, verbatim apart from the placeholders.
_UPPER = "substr(a.path, 1, length(a.path) - 1) || '0'"
_HOUSEHOLDS_SQL = f"""
    SELECT a.id AS area_id, COUNT(h.id) AS households,
           COUNT(h.micro_grid_id) AS assigned, COUNT(c.id) AS cared
    FROM area a
    LEFT JOIN household h ON h.path >= a.path AND h.path < {_UPPER}
    LEFT JOIN care_link c ON c.household_id = h.id
    WHERE a.id IN ({{marks}})
    GROUP BY a.id
"""
_MICRO_GRIDS_SQL = f"""
    SELECT a.id AS area_id, COUNT(m.id) AS micro_grids,
           SUM(CASE WHEN r.id IS NULL THEN 1 ELSE 0 END) AS leaderless
    FROM area a
    JOIN area m ON m.path >= a.path AND m.path < {_UPPER} AND m.level = ?
    LEFT JOIN role_assignment r
           ON r.area_id = m.id AND r.role = ? AND r.until IS NULL
    WHERE a.id IN ({{marks}})
    GROUP BY a.id
"""


def _marks(n: int) -> str:
    return ",".join("?" for _ in range(n))


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "code": code}]}, status_code=status)


async def _actor(request: Request) -> Actor | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return await accounts.actor_from_token(token.strip())


async def coverage_figures(area_ids: list[int]) -> dict[int, dict[str, Any]]:
    marks = _marks(len(area_ids))
    households = await db.fetch(_HOUSEHOLDS_SQL.format(marks=marks), list(area_ids))
    micro = await db.fetch(
        _MICRO_GRIDS_SQL.format(marks=marks),
        [AreaLevel.MICRO_GRID.value, Role.MICRO_GRID_LEADER.value, *area_ids],
    )
    by_area = {row["area_id"]: row for row in households}
    grids = {row["area_id"]: row for row in micro}
    result = {}
    for area_id in area_ids:
        h = by_area.get(area_id, {})
        total = int(h.get("households") or 0)
        assigned = int(h.get("assigned") or 0)
        cared = int(h.get("cared") or 0)
        result[area_id] = {
            "households": total,
            "assignedHouseholds": assigned,
            "unassignedHouseholds": total - assigned,
            "microGridsWithoutLeader": int(grids.get(area_id, {}).get("leaderless") or 0),
            "centralHouseholdCoverage": round(cared / total, 4) if total else 0.0,
        }
    return result


async def areas(request: Request) -> Response:
    """Micro-grids under an area with coverage and role holders (the GraphQL `areas` read)."""
    actor = await _actor(request)
    try:
        args = await request.json()
        type_name, under_id = parse_global_id(str(args["under"]))
        first = int(args.get("first", 20))
        with_coverage = bool(args.get("coverage", True))
    except (ValueError, KeyError, TypeError):
        return _error(400, "INVALID_INPUT", "Expected {under: Area id, first: int}.")
    settings = get_settings()
    if type_name != "Area" or not 0 <= first <= settings.max_page_size:
        return _error(400, "INVALID_INPUT", "Bad `under` or `first`.")
    under = await db.fetch("SELECT path FROM area WHERE id = ?", [under_id])
    if not under:
        return _error(404, "NOT_FOUND", "No such area.")
    low, high = subtree_bounds(under[0]["path"])
    page = (
        await db.fetch(
            "SELECT id, name, path FROM area WHERE path >= ? AND path < ? AND level = ? "
            "ORDER BY id LIMIT ?",
            [low, high, AreaLevel.MICRO_GRID.value, first],
        )
        if first
        else []
    )
    ids = [row["id"] for row in page]
    figures = await coverage_figures(ids) if ids and with_coverage else {}
    holders: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        # As services.people.role_holders_by_area lists them (one array parameter each on
        # PostgreSQL: see db.one_of).
        at_areas, areas_params = db.one_of("r.area_id", ids)
        duties, roles_params = db.one_of("r.role", _DUTY_ROLES)
        rows = await db.fetch(
            "SELECT r.area_id, r.role, p.name FROM role_assignment r "
            "JOIN person p ON p.id = r.person_id "
            f"WHERE {at_areas} AND r.until IS NULL AND {duties} ORDER BY r.id",
            [*areas_params, *roles_params],
        )
        for row in rows:
            holders[row["area_id"]].append({"role": row["role"], "person": {"name": row["name"]}})
    edges = []
    errors = []
    for index, row in enumerate(page):
        node: dict[str, Any] = {"id": global_id("Area", row["id"]), "name": row["name"]}
        if with_coverage:
            readable = actor is not None and actor.reads(row["path"])
            node["coverage"] = figures[row["id"]] if readable else None
        if with_coverage and not readable:
            errors.append(
                {
                    "message": "Coverage is shown to admins and leaders of the area.",
                    "path": ["areas", "edges", index, "node", "coverage"],
                }
            )
        node["roleHolders"] = holders[row["id"]]
        edges.append({"node": node})
    body: dict[str, Any] = {"data": {"areas": {"edges": edges}}}
    if errors:
        body["errors"] = errors
    return JSONResponse(body)


async def viewer(request: Request) -> Response:
    """The signed-in account, its person and open roles with their areas (GraphQL `viewer`)."""
    actor = await _actor(request)
    if actor is None:
        return JSONResponse({"data": {"viewer": None}})
    person = await db.fetch("SELECT name FROM person WHERE id = ?", [actor.person_id])
    roles = await db.fetch(
        "SELECT r.role, a.id AS area_id, a.name, a.level FROM role_assignment r "
        "LEFT JOIN area a ON a.id = r.area_id "
        "WHERE r.person_id = ? AND r.until IS NULL ORDER BY r.id",
        [actor.person_id],
    )
    return JSONResponse(
        {
            "data": {
                "viewer": {
                    "id": global_id("Viewer", actor.account_id),
                    "username": actor.username,
                    "person": {"name": person[0]["name"]},
                    "roles": [
                        {
                            "role": row["role"],
                            "area": None
                            if row["area_id"] is None
                            else {
                                "id": global_id("Area", row["area_id"]),
                                "name": row["name"],
                                "level": row["level"],
                            },
                        }
                        for row in roles
                    ],
                }
            }
        }
    )


async def healthz(request: Request) -> Response:
    """Up once the database answers."""
    await db.fetch("SELECT 1 AS ok", [])
    return JSONResponse({"status": "ok"})


def create_app() -> Starlette:
    """The ceiling app on the configured DATABASE_URL (connections opened in the lifespan)."""
    settings = get_settings()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await db.init(settings.database_url, run_migrations=False, global_fallback=True)
        try:
            yield
        finally:
            await db.close()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/areas", areas, methods=["POST"]),
            Route("/viewer", viewer, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
