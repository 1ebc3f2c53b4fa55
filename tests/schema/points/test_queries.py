"""The points queries through the API: leaderboards, statistics, nodes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from services.models import PointsTransaction
from tests.conftest import gql, login
from tests.schema.points_support import FULFIL, REDEEM, area_gid, setup

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


async def _statistics(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    query = "query S($u: ID!) { pointsStatistics(under: $u) { issued redeemed outstanding held } }"
    body = await gql(client, query, {"u": await area_gid("颜山社区")}, token=token)
    stats: dict[str, Any] = body["data"]["pointsStatistics"]
    return stats


class TestLeaderboard:
    """leaderboard and pointsStatistics."""

    async def test_leaderboard_reads_credit_not_balance(self, client: httpx.AsyncClient) -> None:
        admin = await login(client, "community_admin")
        before = await _statistics(client, admin)
        ctx = await setup(client)
        redeem = {"rewardId": ctx["reward"], "quantity": 2, "idempotencyKey": "r-1"}
        await gql(client, REDEEM, {"input": redeem}, token=ctx["tokens"]["resident"])
        query = """
        query Board($under: ID!) {
          leaderboard(under: $under, dimension: VOLUNTEER_SERVICE) { rank points name }
          pointsStatistics(under: $under) { issued redeemed outstanding held
            topRewards { quantity reward { name } } }
        }"""
        body = await gql(
            client,
            query,
            {"under": await area_gid("颜山社区")},
            token=ctx["tokens"]["community_admin"],
        )
        # the resident spent (held) 30 of 40 points, yet ranks by the 40 earned
        assert {"rank": 2, "points": 40, "name": "李淑芬"} in body["data"]["leaderboard"]
        stats = body["data"]["pointsStatistics"]
        delta = {k: stats[k] - before[k] for k in ("issued", "redeemed", "outstanding", "held")}
        assert delta == {"issued": 40, "redeemed": 0, "outstanding": 40, "held": 30}
        # a held redemption is not redeemed yet: topRewards counts what `redeemed` counts
        assert "测试洗衣液" not in [t["reward"]["name"] for t in stats["topRewards"]]

    async def test_top_rewards_count_what_redeemed_counts(self, client: httpx.AsyncClient) -> None:
        # given two items of a reward held for the resident
        admin = await login(client, "community_admin")
        before = await _statistics(client, admin)
        ctx = await setup(client)
        redeem = {"rewardId": ctx["reward"], "quantity": 2, "idempotencyKey": "r-1"}
        body = await gql(client, REDEEM, {"input": redeem}, token=ctx["tokens"]["resident"])
        code = body["data"]["redeemReward"]["redemption"]["pickupCode"]
        # when the station hands them over
        body = await gql(client, FULFIL, {"code": code}, token=ctx["tokens"]["community_admin"])
        assert body["data"]["fulfilRedemption"]["__typename"] == "FulfilRedemptionSuccess", body
        # then both figures count the handed-over items, and nothing is held any more
        query = """
        query S($u: ID!) { pointsStatistics(under: $u) { issued redeemed outstanding held
            topRewards { quantity reward { name } } } }"""
        body = await gql(client, query, {"u": await area_gid("颜山社区")}, token=admin)
        stats = body["data"]["pointsStatistics"]
        delta = {k: stats[k] - before[k] for k in ("redeemed", "held")}
        assert delta == {"redeemed": 30, "held": 0}
        assert {"quantity": 2, "reward": {"name": "测试洗衣液"}} in stats["topRewards"]


class TestNode:
    """Points transactions as nodes."""

    async def test_transactions_are_nodes_in_scope_only(self, client: httpx.AsyncClient) -> None:
        await setup(client)
        tx = await PointsTransaction.filter(kind="AWARD").order_by("-id").first()
        assert tx is not None
        node_id = str(relay.GlobalID("PointsTransaction", str(tx.id)))
        query = "query N($id: ID!) { node(id: $id) { ... on PointsTransaction { points } } }"
        for username, visible in (("resident", True), ("community_admin", True), ("rider", False)):
            token = await login(client, username)
            body = await gql(client, query, {"id": node_id}, token=token)
            assert (body["data"]["node"] is not None) is visible, username
