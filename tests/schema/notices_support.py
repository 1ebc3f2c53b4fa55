"""Operations and helpers of the notice GraphQL tests."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from services.models import Area
from tests.conftest import gql

PUBLISH = """
mutation Publish($input: PublishNoticeInput!) {
  publishNotice(input: $input) {
    __typename
    ... on PublishNoticeSuccess {
      notice { id title roles recipientCount acknowledgedCount area { name } publisher { name } }
    }
    ... on Error { code message field }
  }
}
"""


ACKNOWLEDGE = """
mutation Ack($id: ID!) {
  acknowledgeNotice(input: {noticeId: $id}) {
    __typename
    ... on AcknowledgeNoticeSuccess {
      acknowledgedAt firstTime award { points }
      notice { acknowledgedCount acknowledgedByMe myAcknowledgedAt deliveredToMe }
    }
    ... on Error { code message field }
  }
}
"""


NOTICE = """
query One($id: ID!, $under: ID) {
  node(id: $id) {
    ... on Notice {
      title acknowledgedCount recipientCount
      coverage(under: $under) {
        under { area { name } recipients acknowledged share }
        areas { area { name } recipients acknowledged share }
      }
      acknowledgements(first: 10) {
        totalCount edges { node { acknowledgedAt person { name } area { name } award { points } } }
      }
    }
  }
}
"""


VIEWER = """
query Mine($only: Boolean!) {
  viewer { notices(first: 100, unacknowledgedOnly: $only) {
    totalCount edges { node { id title deliveredToMe acknowledgedByMe } }
  } }
}
"""


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def publish(
    http: httpx.AsyncClient, token: str, under: Area, roles: list[str] | None = None
) -> dict[str, Any]:
    body = await gql(
        http,
        PUBLISH,
        {
            "input": {
                "under": gid("Area", under.id),
                "title": "关于做好冬季供暖保障的通知",
                "body": "请各微网格长、中心户逐户告知报修电话。",
                "roles": roles or [],
            }
        },
        token=token,
    )
    result: dict[str, Any] = body["data"]["publishNotice"]
    return result
