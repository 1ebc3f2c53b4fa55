"""The points mutations through the API: awards, penalties, reviews, reversals, rules, policies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from seed.volunteering import TEAM_NAME
from services.enums import MembershipStatus
from services.models import PointsEntry, TeamMembership, VolunteerTeam
from tests.conftest import gql, login
from tests.schema.points_support import (
    ACCOUNT,
    AWARD,
    CREATE_RULE,
    FULFIL,
    PENALIZE,
    REDEEM,
    area_gid,
    person_gid,
    setup,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestAwardPoints:
    """awardPoints (and what the points buy)."""

    async def test_award_redeem_fulfil_through_the_api(self, client: httpx.AsyncClient) -> None:
        # given a funded resident and a reward
        ctx = await setup(client)
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
        body = await gql(
            client, FULFIL, {"code": held["pickupCode"]}, token=tokens["community_admin"]
        )
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

    async def test_typed_errors_write_nothing(self, client: httpx.AsyncClient) -> None:
        ctx = await setup(client)
        tokens = ctx["tokens"]
        entries = await PointsEntry.all().count()
        cases: list[tuple[dict[str, Any], str, str]] = [
            ({"quantity": 0}, "INVALID_INPUT", "quantity"),
            ({"quantity": -3}, "INVALID_INPUT", "quantity"),
            ({"ruleCode": "NO_SUCH_RULE"}, "NOT_FOUND", "ruleCode"),
            ({"ruleCode": "TEST_LATE"}, "INVALID_INPUT", "ruleCode"),
            ({"quantity": 11}, "LIMIT_EXCEEDED", "quantity"),  # 40 + 110 > 100 a day
            ({"personId": await person_gid("district_admin")}, "NOT_FOUND", "personId"),
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
            "personId": await person_gid("volunteer"),
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


class TestPenalizePoints:
    """penalizePoints."""

    async def test_penalty_above_balance_takes_what_is_there(
        self, client: httpx.AsyncClient
    ) -> None:
        ctx = await setup(client)
        penalty = {
            "personId": ctx["receiver"],
            "ruleCode": "TEST_LATE",
            "reason": "迟报",
            "idempotencyKey": "p-1",
        }
        body = await gql(
            client, PENALIZE, {"input": penalty}, token=ctx["tokens"]["community_admin"]
        )
        tx = body["data"]["penalizePoints"]["transaction"]
        assert (tx["points"], tx["credit"], tx["shortfall"]) == (-40, -50, 10)
        assert "余额不足" in tx["reason"]
        account = (await gql(client, ACCOUNT, token=ctx["tokens"]["resident"]))["data"]["viewer"]
        assert account["pointsAccount"]["balance"] == 0


class TestReviewsBatchesReversalsAndRules:
    """approveAward, rejectAward, awardPointsBatch, reverseTransaction and the rule mutations."""

    async def test_review_batch_reverse_and_rules_through_the_api(
        self, client: httpx.AsyncClient
    ) -> None:
        ctx = await setup(client)
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
        people = [ctx["receiver"], await person_gid("central_household")]
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
            client,
            "{ pendingAwards { totalCount edges { node { id rule { code } } } } }",
            token=admin,
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
        variables = {
            "input": {"transactionId": tx_id, "reason": "重复申报", "idempotencyKey": "v1"}
        }
        body = await gql(client, reverse, variables, token=admin)
        reversal = body["data"]["reverseTransaction"]["transaction"]
        assert reversal == {
            "kind": "REVERSAL",
            "points": -25,
            "credit": -25,
            "reverses": {"id": tx_id},
        }
        variables["input"]["idempotencyKey"] = "v2"
        body = await gql(client, reverse, variables, token=admin)
        assert body["data"]["reverseTransaction"]["code"] == "CONFLICT"
        # rules are public: the district defaults and the overrides on the way
        body = await gql(
            client,
            "query R($u: ID) { pointsRules(under: $u, first: 100) { edges { node { code "
            "area { name } } } } }",
            {"u": await area_gid("颜山社区")},
        )
        codes = [
            (e["node"]["code"], e["node"]["area"]) for e in body["data"]["pointsRules"]["edges"]
        ]
        assert ("TEST_DEED", None) in codes
        assert ("VOLUNTEER_HOUR", {"name": "颜山社区"}) in codes


class TestSetPointsPolicy:
    """setPointsPolicy and what it makes expire."""

    async def test_policy_and_expiring_points_through_the_api(
        self, client: httpx.AsyncClient
    ) -> None:
        ctx = await setup(client)
        admin = ctx["tokens"]["community_admin"]
        policy = """
        mutation P($input: SetPointsPolicyInput!) { setPointsPolicy(input: $input) {
          __typename ... on SetPointsPolicySuccess { policy { expiry expiryMonths holdDays } }
          ... on Error { code field } } }"""
        area = await area_gid("颜山社区")
        body = await gql(
            client, policy, {"input": {"areaId": area, "expiry": "MONTHS"}}, token=admin
        )
        assert body["data"]["setPointsPolicy"] == {
            "__typename": "InvalidInput",
            "code": "INVALID_INPUT",
            "field": "expiryMonths",
        }
        variables = {
            "input": {"areaId": area, "expiry": "MONTHS", "expiryMonths": 1, "holdDays": 3}
        }
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
        assert body["data"]["pointsAccount"] == {
            "balance": 50,
            "soon": [],
            "month": [{"points": 10}],
        }
        # another resident may not read the account
        body = await gql(client, query, {"p": ctx["receiver"]}, token=await login(client, "rider"))
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


BATCH = """
mutation B($input: AwardPointsBatchInput!) { awardPointsBatch(input: $input) {
  __typename
  ... on AwardPointsBatchSuccess {
    awards { points }
    outcomes { personId award { points } error { __typename code field } }
  }
  ... on AwardPointsBatchRefused {
    code field refusals { personId award { id } error { __typename code } }
  }
  ... on Error { code field } } }"""


class TestAwardPointsBatch:
    """awardPointsBatch: per-person outcomes, atomic batches, teams."""

    async def test_a_capped_person_is_named_and_the_others_awarded(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the resident holding 40 of TEST_HOUR's 100 a day
        ctx = await setup(client)
        admin = ctx["tokens"]["community_admin"]
        resident, volunteer = ctx["receiver"], await person_gid("volunteer")
        batch = {
            "personIds": [volunteer, resident],
            "ruleCode": "TEST_HOUR",
            "quantity": 7,
            "reason": "社区清扫",
            "idempotencyKey": "b-1",
        }
        # when an atomic batch of 70 each is asked for, then nobody is awarded and it says who
        body = await gql(client, BATCH, {"input": {**batch, "atomic": True}}, token=admin)
        refused = body["data"]["awardPointsBatch"]
        assert refused["__typename"] == "AwardPointsBatchRefused", body
        assert refused["code"] == "LIMIT_EXCEEDED"
        assert refused["refusals"] == [
            {
                "personId": resident,
                "award": None,
                "error": {"__typename": "LimitExceeded", "code": "LIMIT_EXCEEDED"},
            }
        ]
        assert not await PointsEntry.filter(reason="社区清扫", points=70).exists()
        # when the same batch runs without `atomic`, then the volunteer is awarded, the resident
        # refused with the cap, both listed in person order
        body = await gql(client, BATCH, {"input": batch}, token=admin)
        result = body["data"]["awardPointsBatch"]
        assert result["__typename"] == "AwardPointsBatchSuccess", body
        outcomes = {o["personId"]: o for o in result["outcomes"]}
        assert [o["personId"] for o in result["outcomes"]] == sorted(
            outcomes, key=lambda g: int(relay.GlobalID.from_id(g).node_id)
        )
        assert outcomes[volunteer]["award"] == {"points": 70}
        assert outcomes[resident]["error"] == {
            "__typename": "LimitExceeded",
            "code": "LIMIT_EXCEEDED",
            "field": "quantity",
        }
        assert [a["points"] for a in result["awards"]] == [70]
        assert await PointsEntry.filter(reason="社区清扫", points=70).count() == 1
        # and a retry answers the same, awarding nothing more
        again = await gql(client, BATCH, {"input": batch}, token=admin)
        assert again["data"]["awardPointsBatch"] == result
        assert await PointsEntry.filter(reason="社区清扫", points=70).count() == 1

    async def test_a_team_is_awarded_member_by_member(self, client: httpx.AsyncClient) -> None:
        ctx = await setup(client)
        admin = ctx["tokens"]["community_admin"]
        team = await VolunteerTeam.filter(name=TEAM_NAME).first()
        assert team is not None
        members = await TeamMembership.filter(
            team_id=team.id, status=MembershipStatus.APPROVED
        ).count()
        batch = {
            "teamId": str(relay.GlobalID("VolunteerTeam", str(team.id))),
            "ruleCode": "TEST_HOUR",
            "reason": "团队服务",
            "idempotencyKey": "t-1",
        }
        body = await gql(client, BATCH, {"input": batch}, token=admin)
        result = body["data"]["awardPointsBatch"]
        assert result["__typename"] == "AwardPointsBatchSuccess", body
        assert len(result["outcomes"]) == members > 0
        assert await PointsEntry.filter(reason="团队服务").count() == 2 * len(result["awards"])
        # both a team and people, or neither: a field error, nothing written
        both = {**batch, "personIds": [ctx["receiver"]], "idempotencyKey": "t-2"}
        body = await gql(client, BATCH, {"input": both}, token=admin)
        assert body["data"]["awardPointsBatch"] == {
            "__typename": "InvalidInput",
            "code": "INVALID_INPUT",
            "field": "teamId",
        }
