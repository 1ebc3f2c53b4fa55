"""The marketplace's mutations through the API."""

from __future__ import annotations

import httpx
import pytest
from strawberry import relay

from seed.demo import PARTNER_UNIT_NAME
from seed.partners import CLERK, UNIT_PASSWORD
from seed.points import MERCHANT_NAME
from services.enums import RedemptionStatus
from services.models import Area, PartnerUnit, Redemption, ResourceOffer, Reward
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


async def _company() -> str:
    """The property company `partner` works for: the provider of their rewards."""
    company = await PartnerUnit.get(name=PARTNER_UNIT_NAME)
    return str(relay.GlobalID("PartnerUnit", str(company.id)))


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
            "providerUnitId": await _company(),
        }
        body = await gql(client, CREATE_REWARD, {"input": reward}, token=partner)
        created = body["data"]["createReward"]["reward"]
        assert created["provider"] == {"kind": "PARTNER_UNIT", "name": PARTNER_UNIT_NAME}
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


FULFIL = """
mutation F($code: String!) { fulfilRedemption(input: {pickupCode: $code}) {
  __typename ... on FulfilRedemptionSuccess { redemption { status } } ... on Error { code } } }
"""


class TestProviderUnit:
    """createReward with providerUnitId; the unit's members hand over its redemptions."""

    async def test_the_demo_merchant_hands_over_its_own_voucher(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo voucher the community's admin posted for the merchant
        query = """
        { rewards(first: 50) { edges { node { id name provider { kind name unit { name } } } } } }
        """
        volunteer = await login(client, "volunteer")
        body = await gql(client, query, token=volunteer)
        (voucher,) = [
            e["node"]
            for e in body["data"]["rewards"]["edges"]
            if e["node"]["name"] == "20 元购物券"
        ]
        assert voucher["provider"] == {
            "kind": "PARTNER_UNIT",
            "name": MERCHANT_NAME,
            "unit": {"name": MERCHANT_NAME},
        }
        # when the volunteer redeems it and shows the code to the merchant's clerk
        redeem = {"rewardId": voucher["id"], "idempotencyKey": "voucher"}
        body = await gql(client, REDEEM, {"input": redeem}, token=volunteer)
        assert body["data"]["redeemReward"]["__typename"] == "RedeemRewardSuccess", body
        (held,) = await Redemption.filter(status=RedemptionStatus.HELD, reward_id=_key(voucher))
        clerk = await login(client, CLERK[0], password=UNIT_PASSWORD)
        body = await gql(client, FULFIL, {"code": held.pickup_code}, token=clerk)
        # then the merchant's own member hands it over
        assert body["data"]["fulfilRedemption"] == {
            "__typename": "FulfilRedemptionSuccess",
            "redemption": {"status": "FULFILLED"},
        }
        assert (await Redemption.get(id=held.id)).status is RedemptionStatus.FULFILLED

    async def test_nobody_posts_in_another_units_name(self, client: httpx.AsyncClient) -> None:
        # given the property company's member and the merchant's unit
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        reward = {
            "areaId": await _community(),
            "name": "冒名购物券",
            "category": "VOUCHER",
            "pricePoints": 5,
            "stock": 5,
            "providerUnitId": str(relay.GlobalID("PartnerUnit", str(merchant.id))),
        }
        before = await Reward.all().count()
        # when the member posts in the merchant's name, then FORBIDDEN and nothing is written
        body = await gql(
            client, CREATE_REWARD, {"input": reward}, token=await login(client, "partner")
        )
        assert body["data"]["createReward"]["__typename"] == "Forbidden"
        assert body["data"]["createReward"]["field"] == "providerUnitId"
        assert await Reward.all().count() == before

    async def test_older_clients_name_the_unit_by_provider_name(
        self, client: httpx.AsyncClient
    ) -> None:
        # given a client that still sends the deprecated providerName
        merchant = await PartnerUnit.get(name=MERCHANT_NAME)
        reward = {
            "areaId": await _community(),
            "name": "免费理发",
            "category": "SERVICE",
            "pricePoints": 20,
            "stock": 5,
        }
        partner = await login(client, "partner")
        admin = await login(client, "community_admin")
        before = await Reward.all().count()
        # when a name matches no unit the caller may post for (another unit's, an unknown
        # one), or disagrees with providerUnitId, then INVALID_INPUT on providerName
        refused = [
            ({"providerName": MERCHANT_NAME}, partner),
            ({"providerName": "不存在的单位"}, admin),
            ({"providerName": MERCHANT_NAME, "providerUnitId": await _company()}, admin),
        ]
        for provider, token in refused:
            body = await gql(client, CREATE_REWARD, {"input": {**reward, **provider}}, token=token)
            assert body["data"]["createReward"]["code"] == "INVALID_INPUT", provider
            assert body["data"]["createReward"]["field"] == "providerName"
        assert await Reward.all().count() == before
        # when the partner names their own unit (alone, or agreeing with its id), and the
        # admin the merchant, then the reward is that unit's
        given = [
            ({"providerName": PARTNER_UNIT_NAME}, partner, PARTNER_UNIT_NAME),
            (
                {"providerName": PARTNER_UNIT_NAME, "providerUnitId": await _company()},
                partner,
                PARTNER_UNIT_NAME,
            ),
            ({"providerName": MERCHANT_NAME}, admin, MERCHANT_NAME),
        ]
        for provider, token, name in given:
            body = await gql(client, CREATE_REWARD, {"input": {**reward, **provider}}, token=token)
            created = body["data"]["createReward"]["reward"]
            assert created["provider"] == {"kind": "PARTNER_UNIT", "name": name}
            stored = await Reward.get(id=_key(created))
            assert stored.partner_unit_id == (
                merchant.id if name == MERCHANT_NAME else (await PartnerUnit.get(name=name)).id
            )
        # and the field is marked deprecated in the schema
        body = await gql(
            client,
            '{ __type(name: "CreateRewardInput") { inputFields(includeDeprecated: true) '
            "{ name isDeprecated deprecationReason } } }",
        )
        fields = {f["name"]: f for f in body["data"]["__type"]["inputFields"]}
        assert fields["providerName"]["deprecationReason"] == "Use providerUnitId."

    async def test_restocking_from_a_resource_with_too_little_left(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the merchant's detergent, stocked from its resource list
        item = await Reward.get(resource_id__not_isnull=True, name__startswith="洗衣粉")
        assert item.resource_id is not None
        left = (await ResourceOffer.get(id=item.resource_id)).remaining
        restock = """
        mutation S($input: RestockRewardInput!) { restockReward(input: $input) {
          __typename ... on RestockRewardSuccess { reward { stock } }
          ... on Error { code field } } }"""
        rid = str(relay.GlobalID("Reward", str(item.id)))
        merchant = await login(client, "merchant", password=UNIT_PASSWORD)
        # when its manager restocks more than is left, then OUT_OF_STOCK, nothing changed
        variables = {"input": {"rewardId": rid, "quantity": left + 1, "idempotencyKey": "a"}}
        body = await gql(client, restock, variables, token=merchant)
        assert body["data"]["restockReward"] == {
            "__typename": "OutOfStock",
            "code": "OUT_OF_STOCK",
            "field": "quantity",
        }
        assert (await Reward.get(id=item.id)).stock == item.stock
        # and what is left restocks, drawn from the resource
        variables = {"input": {"rewardId": rid, "quantity": left, "idempotencyKey": "b"}}
        body = await gql(client, restock, variables, token=merchant)
        assert body["data"]["restockReward"]["reward"]["stock"] == item.stock + left
        assert (await ResourceOffer.get(id=item.resource_id)).remaining == 0


def _key(node: dict[str, str]) -> int:
    return int(relay.GlobalID.from_id(node["id"]).node_id)
