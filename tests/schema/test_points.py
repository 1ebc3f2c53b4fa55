"""GraphQL of points and the marketplace: the whole loop as the front-end apps drive it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from services.models import Area, PointsEntry, PointsTransaction, Redemption
from tests.conftest import actor_for, gql, login

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

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


async def _area_id(name: str) -> str:
    area = await Area.get(name=name)
    return str(relay.GlobalID("Area", str(area.id)))


async def _person_id(username: str) -> str:
    return str(relay.GlobalID("Person", str((await actor_for(username)).person_id)))


async def _setup(client: httpx.AsyncClient) -> dict[str, Any]:
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
    receiver = await _person_id("resident")
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
                "areaId": await _area_id("颜山社区"),
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


async def test_award_redeem_fulfil_through_the_api(client: httpx.AsyncClient) -> None:
    # given a funded resident and a reward
    ctx = await _setup(client)
    tokens = ctx["tokens"]
    # when the resident redeems two items
    redeem = {"rewardId": ctx["reward"], "quantity": 2, "idempotencyKey": "r-1"}
    body = await gql(client, REDEEM, {"input": redeem}, token=tokens["resident"])
    result = body["data"]["redeemReward"]
    assert result["__typename"] == "RedeemRewardSuccess", body
    held = result["redemption"]
    assert held["status"] == "HELD" and held["pointsSpent"] == 30
    assert len(held["pickupCode"]) == 14
    # then the points are held, not spent
    account = (await gql(client, ACCOUNT, token=tokens["resident"]))["data"]["viewer"]
    assert account["pointsAccount"]["balance"] == 40
    assert account["pointsAccount"]["held"] == 30
    assert account["pointsAccount"]["available"] == 10
    entries = account["pointsAccount"]["entries"]
    assert entries["totalCount"] == 1
    assert entries["edges"][0]["node"]["rule"] == {
        "code": "TEST_HOUR",
        "dimension": "VOLUNTEER_SERVICE",
    }
    assert account["redemptions"]["edges"][0]["node"]["pickupCode"] == held["pickupCode"]
    # and a replay of the redemption returns the same one, holding nothing more
    again = await gql(client, REDEEM, {"input": redeem}, token=tokens["resident"])
    assert again["data"]["redeemReward"]["redemption"]["id"] == held["id"]
    # and a third item is over the per-person limit
    more = {"rewardId": ctx["reward"], "quantity": 1, "idempotencyKey": "r-2"}
    body = await gql(client, REDEEM, {"input": more}, token=tokens["resident"])
    assert body["data"]["redeemReward"]["__typename"] == "LimitExceeded"
    # when the community admin hands it over
    body = await gql(client, FULFIL, {"code": held["pickupCode"]}, token=tokens["community_admin"])
    fulfilled = body["data"]["fulfilRedemption"]
    assert fulfilled["__typename"] == "FulfilRedemptionSuccess", body
    assert fulfilled["redemption"]["status"] == "FULFILLED"
    assert fulfilled["redemption"]["pickupCode"] is None  # only the redeemer sees the code
    # then the points are spent
    account = (await gql(client, ACCOUNT, token=tokens["resident"]))["data"]["viewer"]
    assert account["pointsAccount"] == {
        **account["pointsAccount"],
        "balance": 10,
        "held": 0,
        "available": 10,
    }
    assert [e["node"]["kind"] for e in account["pointsAccount"]["entries"]["edges"]] == [
        "REDEMPTION",
        "AWARD",
    ]


async def test_typed_errors_write_nothing(client: httpx.AsyncClient) -> None:
    ctx = await _setup(client)
    tokens = ctx["tokens"]
    entries = await PointsEntry.all().count()
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"quantity": 0}, "INVALID_INPUT", "quantity"),
        ({"quantity": -3}, "INVALID_INPUT", "quantity"),
        ({"ruleCode": "NO_SUCH_RULE"}, "NOT_FOUND", "ruleCode"),
        ({"ruleCode": "TEST_LATE"}, "INVALID_INPUT", "ruleCode"),
        ({"quantity": 11}, "LIMIT_EXCEEDED", "quantity"),  # 40 + 110 > 100 a day
        ({"personId": await _person_id("district_admin")}, "NOT_FOUND", "personId"),
        ({"idempotencyKey": ""}, "INVALID_INPUT", "idempotencyKey"),
    ]
    for change, code, field in cases:
        award = {
            "personId": ctx["receiver"],
            "ruleCode": "TEST_HOUR",
            "quantity": 1,
            "reason": "x",
            "idempotencyKey": f"bad-{code}-{field}-{change}",
            **change,
        }
        body = await gql(client, AWARD, {"input": award}, token=tokens["community_admin"])
        result = body["data"]["awardPoints"]
        assert (result.get("code"), result.get("field")) == (code, field), (change, result)
    # a resident may not grant points
    award = {
        "personId": await _person_id("volunteer"),
        "ruleCode": "TEST_HOUR",
        "reason": "x",
        "idempotencyKey": "by-volunteer",
    }
    body = await gql(client, AWARD, {"input": award}, token=tokens["resident"])
    assert body["data"]["awardPoints"]["code"] in {"NOT_FOUND", "FORBIDDEN"}
    # the same key with another input is a conflict
    first = {
        "personId": ctx["receiver"],
        "ruleCode": "TEST_HOUR",
        "reason": "社区清扫 4 小时",
        "quantity": 5,
        "idempotencyKey": "award-1",
    }
    body = await gql(client, AWARD, {"input": first}, token=tokens["community_admin"])
    assert body["data"]["awardPoints"]["__typename"] == "IdempotencyConflict"
    # anonymous: Unauthenticated
    body = await gql(client, AWARD, {"input": {**first, "idempotencyKey": "anon"}})
    assert body["data"]["awardPoints"]["__typename"] == "Unauthenticated"
    assert await PointsEntry.all().count() == entries


async def test_penalty_above_balance_takes_what_is_there(client: httpx.AsyncClient) -> None:
    ctx = await _setup(client)
    penalty = {
        "personId": ctx["receiver"],
        "ruleCode": "TEST_LATE",
        "reason": "迟报",
        "idempotencyKey": "p-1",
    }
    body = await gql(client, PENALIZE, {"input": penalty}, token=ctx["tokens"]["community_admin"])
    tx = body["data"]["penalizePoints"]["transaction"]
    assert (tx["points"], tx["credit"], tx["shortfall"]) == (-40, -50, 10)
    assert "余额不足" in tx["reason"]
    account = (await gql(client, ACCOUNT, token=ctx["tokens"]["resident"]))["data"]["viewer"]
    assert account["pointsAccount"]["balance"] == 0


async def test_catalogue_is_public_and_codes_cannot_be_probed(client: httpx.AsyncClient) -> None:
    ctx = await _setup(client)
    body = await gql(client, "{ rewards(availableOnly: true) { edges { node { name stock } } } }")
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


async def test_leaderboard_reads_credit_not_balance(client: httpx.AsyncClient) -> None:
    admin = await login(client, "community_admin")
    before = await _statistics(client, admin)
    ctx = await _setup(client)
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
        {"under": await _area_id("颜山社区")},
        token=ctx["tokens"]["community_admin"],
    )
    # the resident spent (held) 30 of 40 points, yet ranks by the 40 earned
    assert {"rank": 2, "points": 40, "name": "李淑芬"} in body["data"]["leaderboard"]
    stats = body["data"]["pointsStatistics"]
    delta = {k: stats[k] - before[k] for k in ("issued", "redeemed", "outstanding", "held")}
    assert delta == {"issued": 40, "redeemed": 0, "outstanding": 40, "held": 30}
    assert {"quantity": 2, "reward": {"name": "测试洗衣液"}} in stats["topRewards"]


async def _statistics(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    query = "query S($u: ID!) { pointsStatistics(under: $u) { issued redeemed outstanding held } }"
    body = await gql(client, query, {"u": await _area_id("颜山社区")}, token=token)
    stats: dict[str, Any] = body["data"]["pointsStatistics"]
    return stats


async def test_transactions_are_nodes_in_scope_only(client: httpx.AsyncClient) -> None:
    await _setup(client)
    tx = await PointsTransaction.filter(kind="AWARD").order_by("-id").first()
    assert tx is not None
    node_id = str(relay.GlobalID("PointsTransaction", str(tx.id)))
    query = "query N($id: ID!) { node(id: $id) { ... on PointsTransaction { points } } }"
    for username, visible in (("resident", True), ("community_admin", True), ("rider", False)):
        token = await login(client, username)
        body = await gql(client, query, {"id": node_id}, token=token)
        assert (body["data"]["node"] is not None) is visible, username


async def test_review_batch_reverse_and_rules_through_the_api(client: httpx.AsyncClient) -> None:
    ctx = await _setup(client)
    admin = ctx["tokens"]["community_admin"]
    district = ctx["tokens"]["district_admin"]
    leader = await login(client, "grid_leader")
    # a rule that needs review, with a cap that is then cleared by an explicit null
    body = await gql(
        client,
        CREATE_RULE,
        {
            "input": {
                "code": "test_deed",
                "name": "好人好事",
                "dimension": "VOLUNTEER_SERVICE",
                "points": 25,
                "requiresReview": True,
                "capPerMonth": 30,
            }
        },
        token=district,
    )
    rule_id = body["data"]["createPointsRule"]["rule"]["id"]
    assert body["data"]["createPointsRule"]["rule"]["code"] == "TEST_DEED"
    update = """
    mutation U($input: UpdatePointsRuleInput!) { updatePointsRule(input: $input) {
      __typename ... on UpdatePointsRuleSuccess { rule { capPerMonth capPerDay name points } }
      ... on Error { code } } }"""
    body = await gql(
        client, update, {"input": {"ruleId": rule_id, "capPerMonth": None}}, token=district
    )
    assert body["data"]["updatePointsRule"]["rule"] == {
        "capPerMonth": None,
        "capPerDay": None,
        "name": "好人好事",
        "points": 25,
    }
    body = await gql(client, update, {"input": {"ruleId": rule_id, "points": 30}}, token=admin)
    assert body["data"]["updatePointsRule"]["code"] == "FORBIDDEN"
    # the grid leader asks; the award waits; the community admin approves
    batch = """
    mutation B($input: AwardPointsBatchInput!) { awardPointsBatch(input: $input) {
      __typename ... on AwardPointsBatchSuccess { awards { id status points person { name } } }
      ... on Error { code field } } }"""
    people = [ctx["receiver"], await _person_id("central_household")]
    variables = {
        "input": {
            "personIds": people,
            "ruleCode": "TEST_DEED",
            "reason": "扶老人过马路",
            "idempotencyKey": "batch-1",
        }
    }
    body = await gql(client, batch, variables, token=leader)
    awards = body["data"]["awardPointsBatch"]["awards"]
    assert [a["status"] for a in awards] == ["PENDING", "PENDING"]
    again = await gql(client, batch, variables, token=leader)
    assert again["data"]["awardPointsBatch"]["awards"] == awards
    pending = await gql(
        client, "{ pendingAwards { totalCount edges { node { id rule { code } } } } }", token=admin
    )
    ids = {e["node"]["id"] for e in pending["data"]["pendingAwards"]["edges"]}
    assert {a["id"] for a in awards} <= ids
    approve = """
    mutation A($id: ID!) { approveAward(input: {awardId: $id}) {
      __typename ... on ApproveAwardSuccess { award { status transaction { id points } } }
      ... on Error { code } } }"""
    body = await gql(client, approve, {"id": awards[0]["id"]}, token=leader)
    assert body["data"]["approveAward"]["code"] == "FORBIDDEN"  # leaders do not review
    body = await gql(client, approve, {"id": awards[0]["id"]}, token=admin)
    approved = body["data"]["approveAward"]["award"]
    assert approved["status"] == "APPROVED" and approved["transaction"]["points"] == 25
    reject = """
    mutation R($id: ID!) { rejectAward(input: {awardId: $id, reason: "证据不足"}) {
      __typename ... on RejectAwardSuccess { award { status reviewReason transaction { id } } }
      ... on Error { code } } }"""
    body = await gql(client, reject, {"id": awards[1]["id"]}, token=admin)
    assert body["data"]["rejectAward"]["award"] == {
        "status": "REJECTED",
        "reviewReason": "证据不足",
        "transaction": None,
    }
    # the approved award is reversed by the admin, once
    reverse = """
    mutation V($input: ReverseTransactionInput!) { reverseTransaction(input: $input) {
      __typename ... on ReverseTransactionSuccess { transaction { kind points credit
        reverses { id } } }
      ... on Error { code } } }"""
    tx_id = approved["transaction"]["id"]
    variables = {"input": {"transactionId": tx_id, "reason": "重复申报", "idempotencyKey": "v1"}}
    body = await gql(client, reverse, variables, token=admin)
    reversal = body["data"]["reverseTransaction"]["transaction"]
    assert reversal == {"kind": "REVERSAL", "points": -25, "credit": -25, "reverses": {"id": tx_id}}
    variables["input"]["idempotencyKey"] = "v2"
    body = await gql(client, reverse, variables, token=admin)
    assert body["data"]["reverseTransaction"]["code"] == "CONFLICT"
    # rules are public: the district defaults and the overrides on the way
    body = await gql(
        client,
        "query R($u: ID) { pointsRules(under: $u, first: 100) { edges { node { code "
        "area { name } } } } }",
        {"u": await _area_id("颜山社区")},
    )
    codes = [(e["node"]["code"], e["node"]["area"]) for e in body["data"]["pointsRules"]["edges"]]
    assert ("TEST_DEED", None) in codes
    assert ("VOLUNTEER_HOUR", {"name": "颜山社区"}) in codes


async def test_policy_and_expiring_points_through_the_api(client: httpx.AsyncClient) -> None:
    ctx = await _setup(client)
    admin = ctx["tokens"]["community_admin"]
    policy = """
    mutation P($input: SetPointsPolicyInput!) { setPointsPolicy(input: $input) {
      __typename ... on SetPointsPolicySuccess { policy { expiry expiryMonths holdDays } }
      ... on Error { code field } } }"""
    area = await _area_id("颜山社区")
    body = await gql(client, policy, {"input": {"areaId": area, "expiry": "MONTHS"}}, token=admin)
    assert body["data"]["setPointsPolicy"] == {
        "__typename": "InvalidInput",
        "code": "INVALID_INPUT",
        "field": "expiryMonths",
    }
    variables = {"input": {"areaId": area, "expiry": "MONTHS", "expiryMonths": 1, "holdDays": 3}}
    body = await gql(client, policy, variables, token=admin)
    assert body["data"]["setPointsPolicy"]["policy"] == {
        "expiry": "MONTHS",
        "expiryMonths": 1,
        "holdDays": 3,
    }
    award = {
        "personId": ctx["receiver"],
        "ruleCode": "TEST_HOUR",
        "reason": "义务巡逻",
        "idempotencyKey": "award-expiring",
    }
    body = await gql(client, AWARD, {"input": award}, token=admin)
    assert body["data"]["awardPoints"]["__typename"] == "AwardPointsSuccess"
    # A month is 28 to 31 days: the award is not yet within 27 days, and is within 31, on
    # whatever day the clock stands.
    query = (
        "query A($p: ID!) { pointsAccount(personId: $p) { balance "
        "soon: expiringSoon(days: 27) { points } month: expiringSoon(days: 31) { points } } }"
    )
    body = await gql(client, query, {"p": ctx["receiver"]}, token=admin)
    assert body["data"]["pointsAccount"] == {"balance": 50, "soon": [], "month": [{"points": 10}]}
    # another resident may not read the account
    body = await gql(client, query, {"p": ctx["receiver"]}, token=await login(client, "rider"))
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
