"""Operations and helpers of the work-order GraphQL tests."""

from __future__ import annotations

from typing import Any

import httpx
from strawberry import relay

from tests.conftest import gql

RESULT = "__typename ... on Error { code message field }"


CATEGORIES = """
query C($kind: WorkOrderKind) { workOrderCategories(kind: $kind) {
  id code name kind acceptWithinMinutes resolveWithinHours active } }"""


def gid(type_name: str, key: int) -> str:
    return str(relay.GlobalID(type_name, str(key)))


async def run(
    http: httpx.AsyncClient, token: str, query: str, operation: str, /, **values: Any
) -> dict[str, Any]:
    body = await gql(http, query, {"input": values}, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][operation]
    return result
