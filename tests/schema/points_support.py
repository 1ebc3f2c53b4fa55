"""Operations and set-up shared by the points and marketplace API tests (through the API)."""

from __future__ import annotations

from typing import Any

import httpx
from strawberry import relay

from services.models import Area
from tests.conftest import actor_for, gql, login

CREATE_RULE = """
mutation Rule($input: CreatePointsRuleInput!) {
  createPointsRule(input: $input) {
    __typename
    ... on CreatePointsRuleSuccess { rule { id code points dimension area { name } } }
    ... on Error { code message field }
  }
}
"""


AWARD = """
mutation Award($input: AwardPointsInput!) {
  awardPoints(input: $input) {
    __typename
    ... on AwardPointsSuccess {
      award { id status points person { name } rule { code } transaction { id kind points } }
    }
    ... on Error { code message field }
  }
}
"""


PENALIZE = """
mutation Penalize($input: PenalizePointsInput!) {
  penalizePoints(input: $input) {
    __typename
    ... on PenalizePointsSuccess { transaction { id points credit shortfall reason } }
    ... on Error { code message field }
  }
}
"""


ACCOUNT = """
{ viewer { person { id } pointsAccount { balance held available
  expiringSoon(days: 3660) { points expiresAt }
  entries(first: 10) { totalCount edges { node { id points kind reason
    rule { code dimension } balanceAfter createdAt } } } }
  redemptions(first: 5) { edges { node { id status pickupCode quantity pointsSpent
    reward { name } } } } } }
"""


CREATE_REWARD = """
mutation Reward($input: CreateRewardInput!) {
  createReward(input: $input) {
    __typename
    ... on CreateRewardSuccess { reward { id name stock pricePoints provider { kind name } } }
    ... on Error { code message field }
  }
}
"""


REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RedeemRewardSuccess { redemption { id status pickupCode pointsSpent expiresAt } }
    ... on Error { code message field }
  }
}
"""


FULFIL = """
mutation Fulfil($code: String!) {
  fulfilRedemption(input: {pickupCode: $code}) {
    __typename
    ... on FulfilRedemptionSuccess { redemption { id status pickupCode } }
    ... on Error { code message }
  }
}
"""


async def area_gid(name: str) -> str:
    area = await Area.get(name=name)
    return str(relay.GlobalID("Area", str(area.id)))


async def person_gid(username: str) -> str:
    return str(relay.GlobalID("Person", str((await actor_for(username)).person_id)))


async def setup(client: httpx.AsyncClient) -> dict[str, Any]:
    """A district rule and a penalty, a funded resident, a reward: the tokens and ids."""
    tokens = {u: await login(client, u) for u in ("district_admin", "community_admin", "resident")}
    for code, points in (("TEST_HOUR", 10), ("TEST_LATE", -50)):
        body = await gql(
            client,
            CREATE_RULE,
            {
                "input": {
                    "code": code,
                    "name": code.lower(),
                    "dimension": "VOLUNTEER_SERVICE",
                    "points": points,
                    "capPerDay": 100,
                }
            },
            token=tokens["district_admin"],
        )
        assert body["data"]["createPointsRule"]["__typename"] == "CreatePointsRuleSuccess", body
    receiver = await person_gid("resident")
    body = await gql(
        client,
        AWARD,
        {
            "input": {
                "personId": receiver,
                "ruleCode": "TEST_HOUR",
                "quantity": 4,
                "reason": "社区清扫 4 小时",
                "idempotencyKey": "award-1",
            }
        },
        token=tokens["community_admin"],
    )
    award = body["data"]["awardPoints"]
    assert award["__typename"] == "AwardPointsSuccess", body
    assert award["award"]["status"] == "APPROVED"
    assert award["award"]["transaction"]["points"] == 40
    body = await gql(
        client,
        CREATE_REWARD,
        {
            "input": {
                "areaId": await area_gid("颜山社区"),
                "name": "测试洗衣液",
                "category": "GOODS",
                "pricePoints": 15,
                "stock": 3,
                "perPersonLimit": 2,
                "pickupLocation": "颜山第一网格驿站",
            }
        },
        token=tokens["community_admin"],
    )
    reward = body["data"]["createReward"]
    assert reward["__typename"] == "CreateRewardSuccess", body
    assert reward["reward"]["provider"] == {"kind": "COMMUNITY", "name": "颜山社区"}
    return {"tokens": tokens, "receiver": receiver, "reward": reward["reward"]["id"]}
