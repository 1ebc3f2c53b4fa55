"""The marketplace's catalogue and pickup codes through the API."""

from __future__ import annotations

import httpx
import pytest

from services.models import Redemption
from tests.conftest import gql, login
from tests.schema.points_support import FULFIL, REDEEM, setup

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestRewards:
    """rewards (public) and fulfilRedemption (no probing)."""

    async def test_catalogue_is_public_and_codes_cannot_be_probed(
        self, client: httpx.AsyncClient
    ) -> None:
        ctx = await setup(client)
        body = await gql(
            client, "{ rewards(availableOnly: true) { edges { node { name stock } } } }"
        )
        assert {"name": "测试洗衣液", "stock": 3} in [
            e["node"] for e in body["data"]["rewards"]["edges"]
        ]
        resident = await login(client, "rider")
        body = await gql(client, FULFIL, {"code": "AAAA-BBBB-CCCC"}, token=resident)
        assert body["data"]["fulfilRedemption"]["code"] == "NOT_FOUND"
        redeem = {"rewardId": ctx["reward"], "idempotencyKey": "r-x"}
        body = await gql(client, REDEEM, {"input": redeem}, token=ctx["tokens"]["resident"])
        code = body["data"]["redeemReward"]["redemption"]["pickupCode"]
        # a rider of the community cannot hand it over, and learns nothing
        body = await gql(client, FULFIL, {"code": code}, token=resident)
        assert body["data"]["fulfilRedemption"]["code"] == "NOT_FOUND"
        assert (await Redemption.get(pickup_code=code)).status == "HELD"
