"""GraphQL documents and helpers the evaluation schema tests share."""

from __future__ import annotations

from typing import Any

from strawberry import relay

from services.models import Area

OTHER = "西冶街社区"  # a sibling of the demo community: a clean slate for a whole quarter


async def area_id(name: str) -> str:
    area = await Area.get(name=name)
    return str(relay.GlobalID("Area", str(area.id)))


RANKINGS = """
query Rankings($under: ID!, $period: ID!, $role: Role!, $first: Int, $after: String) {
  rankings(under: $under, periodId: $period, role: $role, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id total communityRank streetRank person { name } } }
  }
}
"""


def result_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result
