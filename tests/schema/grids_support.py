"""Helpers for the GraphQL tests of the demo territory: areas, people, global ids, error codes."""

from __future__ import annotations

import base64
from typing import Any

from services.models import Area, Person, UserAccount

# The demo district (seed/demo.py): 颜山社区 in 城西街道 is the story's community, 颜山第一网格 (G)
# its first grid, and G's first micro-grid (M) is where `resident` and `central_household` live.
YANSHAN = "颜山社区"
GRID_G = "颜山第一网格"

OTHER_COMMUNITY = "古窑社区"


def gid(type_name: str, key: int) -> str:
    """A Relay global id."""
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def key_of(global_id: str) -> int:
    """The row key inside a global id."""
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


async def area(name: str) -> Area:
    return await Area.get(name=name)


async def micro_grid_m() -> Area:
    grid = await area(GRID_G)
    found = await Area.filter(parent_id=grid.id).order_by("id").first()
    assert found is not None
    return found


async def person_of(username: str) -> Person:
    account = await UserAccount.get(username=username)
    return await Person.get(id=account.person_id)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


CREATE_AREA = """
mutation Create($input: CreateAreaInput!) {
  createArea(input: $input) {
    __typename
    ... on CreateAreaSuccess {
      area { id name level kind contactGroupLink parent { name } station { name hours } }
    }
    ... on Error { code message field }
  }
}
"""
