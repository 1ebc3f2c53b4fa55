"""Paths of the territory: where an area lies, written as the ids from the district down
("/1/4/17/": district 1, street 4, community 17). Areas, households, role assignments and the
rows placed in an area (teams, activities, notices, work orders, ledger transactions, ...) carry
such a path, so "in this subtree" is a range of strings an index answers, and "above" is a
prefix.

The territory itself (areas, stations, coverage) is services.grids; the grammar of its paths is
here, in the kit, because the actor's scope checks (services.kit.auth: administers, reads,
member_of) are made of it, and every domain filters its rows with it."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from services.enums import AreaLevel


def is_under(path: str, ancestor_path: str) -> bool:
    """True when the area at `path` is the area at `ancestor_path` or lies below it."""
    return path.startswith(ancestor_path)


def ancestor_paths(path: str) -> list[str]:
    """The paths of the areas above `path`, from the district down ("/1/4/17/" → "/1/", "/1/4/")."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def path_ids(path: str) -> list[int]:
    """The area ids along a path, from the district down ("/1/4/17/" → [1, 4, 17])."""
    return [int(part) for part in path.strip("/").split("/")]


def district_path(path: str) -> str:
    """The path of the district an area path lies in ("/1/4/17/" → "/1/")."""
    return "/" + path.strip("/").split("/")[0] + "/"


def community_path(path: str) -> str | None:
    """The path of the community an area path lies in (None above community level)."""
    parts = path.strip("/").split("/")
    rank = AreaLevel.COMMUNITY.rank
    return "/" + "/".join(parts[: rank + 1]) + "/" if len(parts) > rank else None


def subtree_bounds(path: str) -> tuple[str, str]:
    """[low, high) bounds of the paths under `path` ("/1/4/" → "/1/4/", "/1/40")."""
    # Paths are "/"-separated decimal ids ending in "/"; "0" is the byte after "/".
    return path, path[:-1] + "0"


def in_subtree(path: str, column: str = "path") -> Q:
    """A filter for rows whose `column` path lies under `path` (index range scan)."""
    low, high = subtree_bounds(path)
    return Q(**{f"{column}__gte": low, f"{column}__lt": high})


def in_line(path: str, column: str = "area_path") -> Q:
    """A filter for rows of the area at `path`, of the areas above it and of those below it
    (what is organised for an area: its own, its ancestors' and its subtree's)."""
    above: dict[str, Any] = {f"{column}__in": ancestor_paths(path) or [""]}
    return in_subtree(path, column) | Q(**above)


# The high bound of subtree_bounds in SQL, for the path column `a.path` of a query.
SUBTREE_END = "substr(a.path, 1, length(a.path) - 1) || '0'"
