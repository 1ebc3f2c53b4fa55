"""auditLog through the API, and the rule versions ledger entries show (schema/audit.py)."""

from __future__ import annotations

import httpx
import pytest
from strawberry import relay

from services.models import Area, AuditEntry
from tests.conftest import gql, login
from tests.schema.points_support import area_gid, setup

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

AUDIT = """
query A($under: ID!, $kind: AuditKind, $after: String) {
  auditLog(under: $under, kind: $kind, first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { kind action subjectId before after createdAt actor { name } } } } }"""

UPDATE_RULE = """
mutation U($input: UpdatePointsRuleInput!) { updatePointsRule(input: $input) {
  __typename ... on UpdatePointsRuleSuccess { rule { id version points } }
  ... on Error { code } } }"""

ENTRIES = """
{ viewer { pointsAccount { entries(first: 10) { edges { node { points
  rule { id version points history(first: 5) { edges { node { version points } } } } } } } } } }"""


class TestAuditLog:
    """auditLog(under, kind, first, after)."""

    async def test_an_admin_reads_who_changed_what(self, client: httpx.AsyncClient) -> None:
        # given the setup's award by the community admin, and a rule changed by the district
        ctx = await setup(client)
        tokens = ctx["tokens"]
        community = await area_gid("颜山社区")
        # when the community admin reads the points entries of the community
        body = await gql(
            client, AUDIT, {"under": community, "kind": "POINTS"}, token=tokens["community_admin"]
        )
        log = body["data"]["auditLog"]
        # then the newest is the setup's award, made by the community admin (张红梅)
        newest = log["edges"][0]["node"]
        assert newest["kind"] == "POINTS" and newest["action"] == "awardPoints", body
        assert newest["actor"] == {"name": "张红梅"}
        assert newest["before"] is None and newest["after"]["points"] == 40
        assert relay.GlobalID.from_id(newest["subjectId"]).type_name == "PointsAward"
        assert log["totalCount"] == await AuditEntry.filter(kind="POINTS").count()
        # and the next page continues older
        if log["pageInfo"]["hasNextPage"]:
            more = await gql(
                client,
                AUDIT,
                {"under": community, "kind": "POINTS", "after": log["pageInfo"]["endCursor"]},
                token=tokens["community_admin"],
            )
            older = more["data"]["auditLog"]["edges"][0]["node"]["createdAt"]
            assert older <= log["edges"][-1]["node"]["createdAt"]

    async def test_only_admins_of_the_area_read_it(self, client: httpx.AsyncClient) -> None:
        await setup(client)
        district = await Area.get(parent_id=None)
        under = str(relay.GlobalID("Area", str(district.id)))
        for username in ("community_admin", "grid_leader", "resident"):
            body = await gql(client, AUDIT, {"under": under}, token=await login(client, username))
            assert body["data"] is None or body["data"]["auditLog"] is None, body
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert await AuditEntry.exists()


class TestRuleVersions:
    """updatePointsRule makes a version; entries keep showing the one they were posted by."""

    async def test_old_entries_show_the_rule_as_it_was(self, client: httpx.AsyncClient) -> None:
        # given the resident's 40 points of TEST_HOUR at 10 a unit (version 1)
        ctx = await setup(client)
        tokens = ctx["tokens"]
        before = await gql(client, ENTRIES, token=tokens["resident"])
        rule = before["data"]["viewer"]["pointsAccount"]["entries"]["edges"][0]["node"]["rule"]
        assert (rule["version"], rule["points"]) == (1, 10)
        # when the district admin makes it 20 a unit
        body = await gql(
            client,
            UPDATE_RULE,
            {"input": {"ruleId": rule["id"], "points": 20}},
            token=tokens["district_admin"],
        )
        assert body["data"]["updatePointsRule"]["rule"] == {
            "id": rule["id"],
            "version": 2,
            "points": 20,
        }
        # then the old entry still shows version 1 at 10, and the history lists both
        after = await gql(client, ENTRIES, token=tokens["resident"])
        shown = after["data"]["viewer"]["pointsAccount"]["entries"]["edges"][0]["node"]["rule"]
        assert (shown["version"], shown["points"]) == (1, 10)
        history = [e["node"] for e in shown["history"]["edges"]]
        assert history == [{"version": 2, "points": 20}, {"version": 1, "points": 10}]
