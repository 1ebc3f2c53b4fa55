"""Notices over GraphQL, the queries: roles narrow who reads, and a page of notices in a fixed
number of statements."""

from __future__ import annotations

import httpx
import pytest

from seed.demo import DEMO_COMMUNITY
from services.models import Area
from tests.conftest import Database, gql, login
from tests.schema.notices_support import ACKNOWLEDGE, NOTICE, VIEWER, gid, publish
from tests.schema.test_statement_count import _count_statements

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


AREA_NOTICES = """
query AreaNotices($under: ID!, $first: Int!) {
  notices(under: $under, first: $first) {
    totalCount
    edges { node {
      id title roles publishedAt recipientCount acknowledgedCount
      area { name } publisher { name }
      deliveredToMe acknowledgedByMe myAcknowledgedAt
      coverage { under { recipients acknowledged share } areas { area { name } share } }
      acknowledgements(first: 2) { totalCount edges { node { acknowledgedAt } } }
    } }
  }
}
"""


class TestNotices:
    async def test_roles_narrow_who_reads(self, db: Database, client: httpx.AsyncClient) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        admin = await login(client, "community_admin")
        made = await publish(client, admin, community, ["CENTRAL_HOUSEHOLD"])
        assert made["notice"]["roles"] == ["CENTRAL_HOUSEHOLD"]
        for username, sees in (("central_household", True), ("resident", False)):
            token = await login(client, username)
            mine = await gql(client, VIEWER, {"only": False}, token=token)
            ids = [e["node"]["id"] for e in mine["data"]["viewer"]["notices"]["edges"]]
            assert (made["notice"]["id"] in ids) is sees, username
            node = await gql(client, NOTICE, {"id": made["notice"]["id"]}, token=token)
            assert (node["data"]["node"] is not None) is sees, username

    async def test_a_page_of_notices_is_a_fixed_number_of_statements(
        self, db: Database, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        token = await login(client, "community_admin")
        leader = await login(client, "microgrid_leader")
        for _ in range(3):
            made = await publish(client, token, community)
            assert made["__typename"] == "PublishNoticeSuccess"
            acknowledged = await gql(
                client, ACKNOWLEDGE, {"id": made["notice"]["id"]}, token=leader
            )
            assert acknowledged["data"]["acknowledgeNotice"]["__typename"] == (
                "AcknowledgeNoticeSuccess"
            )
        counts = []
        for first in (2, 8):
            async with _count_statements(caplog, db.backend) as seen:
                body = await gql(
                    client,
                    AREA_NOTICES,
                    {"under": gid("Area", community.id), "first": first},
                    token=token,
                )
            assert "errors" not in body, body
            edges = body["data"]["notices"]["edges"]
            assert len(edges) == first
            for edge in edges:  # everything is there, so nothing was skipped to save statements
                assert edge["node"]["area"]["name"] and edge["node"]["publisher"]["name"]
                assert edge["node"]["coverage"]["under"]["recipients"] >= 0
                listed = edge["node"]["acknowledgements"]
                assert listed["totalCount"] == edge["node"]["acknowledgedCount"]
                assert len(listed["edges"]) == min(2, listed["totalCount"])
            # the newest notices (just published) were each acknowledged once
            assert edges[0]["node"]["acknowledgements"]["totalCount"] == 1
            counts.append(len(seen.logged))
        assert counts[0] == counts[1], counts
        # the viewer, the area, the page and its total, counts, areas, publishers, receipts,
        # coverage (recipients, acknowledgements, child areas), and the acknowledgements of
        # every notice on the page (their rows, their totals)
        assert counts[0] <= 14, counts
