"""Notices over GraphQL: publish, read (area, viewer, node), acknowledge with points, coverage,
typed errors, and a page of notices in a fixed number of statements."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services.models import Area, Notice, NoticeAcknowledgement, PointsAward
from tests.conftest import Database, gql, login
from tests.schema.test_statement_count import _count_statements

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

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


def key_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


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


async def test_publish_read_acknowledge_round_trip(db: Database, client: httpx.AsyncClient) -> None:
    community = await Area.get(name=DEMO_COMMUNITY)
    admin = await login(client, "community_admin")
    # when the community admin publishes to the community
    result = await publish(client, admin, community)
    assert result["__typename"] == "PublishNoticeSuccess", result
    notice = result["notice"]
    assert notice["area"]["name"] == DEMO_COMMUNITY
    assert notice["publisher"]["name"] == "张红梅"
    assert (notice["roles"], notice["acknowledgedCount"]) == ([], 0)
    assert notice["recipientCount"] > 5
    # then 赵桂兰 finds it waiting for her acknowledgement
    leader = await login(client, "microgrid_leader")
    mine = await gql(client, VIEWER, {"only": True}, token=leader)
    waiting = mine["data"]["viewer"]["notices"]["edges"]
    assert notice["id"] in [e["node"]["id"] for e in waiting]
    assert all(e["node"]["deliveredToMe"] for e in waiting)
    assert not any(e["node"]["acknowledgedByMe"] for e in waiting)
    # when she acknowledges it twice
    first = (await gql(client, ACKNOWLEDGE, {"id": notice["id"]}, token=leader))["data"]
    again = (await gql(client, ACKNOWLEDGE, {"id": notice["id"]}, token=leader))["data"]
    first, again = first["acknowledgeNotice"], again["acknowledgeNotice"]
    # then the first earned points and the second returns it without more
    assert first["__typename"] == again["__typename"] == "AcknowledgeNoticeSuccess", first
    assert (first["firstTime"], again["firstTime"]) == (True, False)
    assert again["acknowledgedAt"] == first["acknowledgedAt"]
    assert first["award"] == again["award"] == {"points": 5}
    assert first["notice"] == {
        "acknowledgedCount": 1,
        "acknowledgedByMe": True,
        "myAcknowledgedAt": first["acknowledgedAt"],
        "deliveredToMe": True,
    }
    notice_id = key_of(notice["id"])
    assert await NoticeAcknowledgement.filter(notice_id=notice_id).count() == 1
    assert await PointsAward.filter(source_type="NoticeAcknowledgement").count() == (
        await NoticeAcknowledgement.filter(award_id__not_isnull=True).count()
    )
    # and the community admin sees the coverage per grid and who acknowledged
    read = await gql(client, NOTICE, {"id": notice["id"]}, token=admin)
    assert "errors" not in read, read
    node = read["data"]["node"]
    cover = node["coverage"]
    assert cover["under"]["area"]["name"] == DEMO_COMMUNITY
    assert cover["under"]["acknowledged"] == 1
    assert cover["under"]["recipients"] == node["recipientCount"]
    assert cover["under"]["share"] == pytest.approx(1 / node["recipientCount"])
    by_grid = {a["area"]["name"]: a for a in cover["areas"]}
    assert by_grid[DEMO_GRID]["acknowledged"] == 1
    assert sum(a["recipients"] for a in cover["areas"]) == node["recipientCount"]
    (ack,) = node["acknowledgements"]["edges"]
    assert ack["node"]["person"]["name"] == "赵桂兰"
    assert ack["node"]["award"] == {"points": 5}
    # while the resident reads the notice without its coverage or acknowledgements list
    resident = await login(client, "resident")
    seen = await gql(client, NOTICE, {"id": notice["id"]}, token=resident)
    assert seen["data"]["node"]["title"] == "关于做好冬季供暖保障的通知"
    assert seen["data"]["node"]["coverage"] is None
    assert seen["errors"][0]["path"][-1] == "acknowledgements"


async def test_typed_errors_change_nothing(db: Database, client: httpx.AsyncClient) -> None:
    community = await Area.get(name=DEMO_COMMUNITY)
    sibling = await Area.get(name="西冶街社区")
    before = await Notice.all().count()
    admin = await login(client, "community_admin")
    assert (await publish(client, admin, sibling))["code"] == "FORBIDDEN"
    leader = await login(client, "microgrid_leader")
    assert (await publish(client, leader, community))["code"] == "FORBIDDEN"
    body = await gql(
        client,
        PUBLISH,
        {"input": {"under": gid("Area", community.id), "title": "", "body": "x", "roles": []}},
        token=admin,
    )
    assert body["data"]["publishNotice"]["__typename"] == "InvalidInput"
    assert body["data"]["publishNotice"]["field"] == "title"
    wrong_type = await gql(
        client,
        PUBLISH,
        {"input": {"under": gid("Person", 1), "title": "t", "body": "b", "roles": []}},
        token=admin,
    )
    # an id of another type is refused before execution (schema.core.ids)
    assert wrong_type["data"] is None
    assert wrong_type["errors"][0]["extensions"]["field"] == "under"
    unknown_role = await gql(
        client,
        PUBLISH,
        {"input": {"under": gid("Area", community.id), "title": "t", "body": "b", "roles": ["X"]}},
        token=admin,
    )
    assert "errors" in unknown_role  # not a Role: refused by GraphQL before anything runs
    anonymous = await publish(client, "", community)
    assert anonymous["__typename"] == "Unauthenticated"
    assert await Notice.all().count() == before
    # acknowledging: not delivered (the publisher), unknown, not a notice id
    made = await publish(client, admin, community)
    for token, notice_id, code in (
        (admin, made["notice"]["id"], "FORBIDDEN"),
        (leader, gid("Notice", 10**9), "NOT_FOUND"),
    ):
        result = (await gql(client, ACKNOWLEDGE, {"id": notice_id}, token=token))["data"]
        assert result["acknowledgeNotice"]["code"] == code
    # not a notice id: refused before execution (schema.core.ids)
    refused = await gql(client, ACKNOWLEDGE, {"id": gid("Area", community.id)}, token=leader)
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert await NoticeAcknowledgement.filter(notice_id=key_of(made["notice"]["id"])).count() == 0


async def test_roles_narrow_who_reads(db: Database, client: httpx.AsyncClient) -> None:
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


async def test_a_page_of_notices_is_a_fixed_number_of_statements(
    db: Database, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    community = await Area.get(name=DEMO_COMMUNITY)
    token = await login(client, "community_admin")
    leader = await login(client, "microgrid_leader")
    for _ in range(3):
        made = await publish(client, token, community)
        assert made["__typename"] == "PublishNoticeSuccess"
        acknowledged = await gql(client, ACKNOWLEDGE, {"id": made["notice"]["id"]}, token=leader)
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
