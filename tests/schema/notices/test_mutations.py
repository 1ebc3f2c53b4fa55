"""Notices over GraphQL, the mutations: publish, then read (area, viewer, node) and
acknowledge with points and coverage; typed errors change nothing."""

from __future__ import annotations

import base64

import httpx
import pytest

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services.models import Area, Notice, NoticeAcknowledgement, PointsAward
from tests.conftest import Database, gql, login
from tests.schema.notices_support import ACKNOWLEDGE, NOTICE, PUBLISH, VIEWER, gid, publish

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


def key_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


class TestPublishAndAcknowledge:
    async def test_publish_read_acknowledge_round_trip(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
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

    async def test_typed_errors_change_nothing(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
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
            {
                "input": {
                    "under": gid("Area", community.id),
                    "title": "t",
                    "body": "b",
                    "roles": ["X"],
                }
            },
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
        assert (
            await NoticeAcknowledgement.filter(notice_id=key_of(made["notice"]["id"])).count() == 0
        )
