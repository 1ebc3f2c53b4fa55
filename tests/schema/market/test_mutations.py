"""The marketplace's mutations through the API."""

from __future__ import annotations

import httpx
import pytest
from strawberry import relay

from services.models import Area
from tests.conftest import gql, login

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


CREATE_REWARD = """
mutation Reward($input: CreateRewardInput!) {
  createReward(input: $input) {
    __typename
    ... on CreateRewardSuccess { reward { id name stock provider { kind name } area { name } } }
    ... on Error { code message field }
  }
}
"""


REDEEM = """
mutation Redeem($input: RedeemRewardInput!) {
  redeemReward(input: $input) {
    __typename
    ... on RedeemRewardSuccess { redemption { id status pointsSpent reward { stock } } }
    ... on Error { code message field }
  }
}
"""


async def _community() -> str:
    area = await Area.get(name="颜山社区")
    return str(relay.GlobalID("Area", str(area.id)))


class TestCreateRewardAndCancelRedemption:
    """createReward by a partner, redeemReward and cancelRedemption."""

    async def test_partner_posts_and_a_volunteer_cancels(self, client: httpx.AsyncClient) -> None:
        partner = await login(client, "partner")
        volunteer = await login(client, "volunteer")
        reward = {
            "areaId": await _community(),
            "name": "免费理发",
            "category": "SERVICE",
            "pricePoints": 20,
            "stock": 5,
            "providerName": "颜山理发店",
        }
        body = await gql(client, CREATE_REWARD, {"input": reward}, token=partner)
        created = body["data"]["createReward"]["reward"]
        assert created["provider"] == {"kind": "PARTNER_UNIT", "name": "颜山理发店"}
        # a resident cannot post
        body = await gql(
            client, CREATE_REWARD, {"input": reward}, token=await login(client, "resident")
        )
        assert body["data"]["createReward"]["code"] == "FORBIDDEN"
        # the volunteer (96 points earned in the demo, 30 held) redeems and cancels
        redeem = {"rewardId": created["id"], "idempotencyKey": "haircut"}
        body = await gql(client, REDEEM, {"input": redeem}, token=volunteer)
        redemption = body["data"]["redeemReward"]["redemption"]
        assert redemption["status"] == "HELD" and redemption["reward"]["stock"] == 4
        cancel = """
        mutation C($id: ID!) { cancelRedemption(input: {redemptionId: $id}) {
          __typename ... on CancelRedemptionSuccess { redemption { status reward { stock } } }
          ... on Error { code } } }"""
        body = await gql(
            client, cancel, {"id": redemption["id"]}, token=await login(client, "rider")
        )
        assert body["data"]["cancelRedemption"]["code"] == "NOT_FOUND"
        body = await gql(client, cancel, {"id": redemption["id"]}, token=volunteer)
        assert body["data"]["cancelRedemption"]["redemption"] == {
            "status": "CANCELLED",
            "reward": {"stock": 5},
        }
        # the partner restocks once per key, then withdraws the reward
        restock = """
        mutation S($input: RestockRewardInput!) { restockReward(input: $input) {
          __typename ... on RestockRewardSuccess { reward { stock } } ... on Error { code } } }"""
        variables = {"input": {"rewardId": created["id"], "quantity": 3, "idempotencyKey": "s1"}}
        for _ in range(2):
            body = await gql(client, restock, variables, token=partner)
            assert body["data"]["restockReward"]["reward"]["stock"] == 8
        update = """
        mutation U($input: UpdateRewardInput!) { updateReward(input: $input) {
          __typename ... on UpdateRewardSuccess { reward { active perPersonLimit } }
          ... on Error { code field } } }"""
        variables = {"input": {"rewardId": created["id"], "active": False, "perPersonLimit": 1}}
        body = await gql(client, update, variables, token=partner)
        assert body["data"]["updateReward"]["reward"] == {"active": False, "perPersonLimit": 1}
        body = await gql(
            client, REDEEM, {"input": {**redeem, "idempotencyKey": "h2"}}, token=volunteer
        )
        assert body["data"]["redeemReward"]["code"] == "REWARD_UNAVAILABLE"
        # bad input is a typed error
        bad = {**reward, "pricePoints": 0}
        body = await gql(client, CREATE_REWARD, {"input": bad}, token=partner)
        assert body["data"]["createReward"]["field"] == "pricePoints"
        # a time without its UTC offset is refused before execution (schema.core.scalars)
        naive = {**reward, "availableFrom": "2026-01-01T00:00:00"}
        body = await gql(client, CREATE_REWARD, {"input": naive}, token=partner)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert ".availableFrom" in body["errors"][0]["message"]
