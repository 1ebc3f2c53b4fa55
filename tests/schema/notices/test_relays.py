"""Relaying notices to households through GraphQL (recordNoticeRelay) and the households
reached in a notice's coverage; micro-grid leaders publishing to their micro-grid."""

from __future__ import annotations

import httpx

from services.models import Area, Household, Notice, NoticeRelay
from tests.conftest import gql, login
from tests.schema.notices_support import PUBLISH, gid

M = "颜山花园1-2号楼微网格"
WASTE = "关于进一步做好垃圾分类工作的通知"
FIRE = "关于开展冬季消防安全检查的通知"

RELAY = """
mutation Relay($input: RecordNoticeRelayInput!) {
  recordNoticeRelay(input: $input) {
    __typename
    ... on RecordNoticeRelaySuccess {
      notice { title }
      relays { channel relayedAt household { id } relayedBy { name } }
    }
    ... on Error { code message field }
  }
}
"""

COVERAGE = """
query Coverage($id: ID!, $under: ID) {
  node(id: $id) {
    ... on Notice {
      coverage(under: $under) {
        under { recipients acknowledged householdsReached }
        areas { area { name } householdsReached }
      }
    }
  }
}
"""


class TestRecordNoticeRelay:
    async def test_the_micro_grid_leader_records_a_wechat_relay(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the micro-grid leader of M and two of its homes
        token = await login(client, "microgrid_leader")
        waste = await Notice.get(title=WASTE)
        homes = await Household.filter(micro_grid__name=M).order_by("id").limit(2)
        # when they record telling them in the WeChat group
        body = await gql(
            client,
            RELAY,
            {
                "input": {
                    "noticeId": gid("Notice", waste.id),
                    "householdIds": [gid("Household", h.id) for h in homes],
                    "channel": "WECHAT_GROUP",
                }
            },
            token=token,
        )
        # then both relays are recorded
        result = body["data"]["recordNoticeRelay"]
        assert result["__typename"] == "RecordNoticeRelaySuccess", result
        assert result["notice"] == {"title": WASTE}
        assert [(r["channel"], r["relayedBy"]) for r in result["relays"]] == [
            ("WECHAT_GROUP", {"name": "赵桂兰"})
        ] * 2
        assert await NoticeRelay.filter(notice_id=waste.id).count() == 2

    async def test_a_resident_may_not_relay(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "resident")
        waste = await Notice.get(title=WASTE)
        home = await Household.filter(micro_grid__name=M).order_by("-id").first()
        assert home is not None
        body = await gql(
            client,
            RELAY,
            {
                "input": {
                    "noticeId": gid("Notice", waste.id),
                    "householdIds": [gid("Household", home.id)],
                    "channel": "VISIT",
                }
            },
            token=token,
        )
        result = body["data"]["recordNoticeRelay"]
        assert result["__typename"] == "NotFound", result
        assert await NoticeRelay.filter(notice_id=waste.id).count() == 0


class TestHouseholdsReached:
    async def test_coverage_shows_the_households_reached(self, client: httpx.AsyncClient) -> None:
        # given the fire notice, relayed to three homes of M by the demo
        token = await login(client, "grid_leader")
        fire = await Notice.get(title=FIRE)
        grid = await Area.get(name="颜山第一网格")
        body = await gql(
            client,
            COVERAGE,
            {"id": gid("Notice", fire.id), "under": gid("Area", grid.id)},
            token=token,
        )
        coverage = body["data"]["node"]["coverage"]
        assert coverage["under"]["householdsReached"] == 3
        assert {"area": {"name": M}, "householdsReached": 3} in coverage["areas"]


class TestMicroGridLeadersPublish:
    async def test_to_their_own_micro_grid(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "microgrid_leader")
        micro = await Area.get(name=M)
        body = await gql(
            client,
            PUBLISH,
            {
                "input": {
                    "under": gid("Area", micro.id),
                    "title": "本周六楼道清扫",
                    "body": "请配合。",
                }
            },
            token=token,
        )
        result = body["data"]["publishNotice"]
        assert result["__typename"] == "PublishNoticeSuccess", result
        assert result["notice"]["area"] == {"name": M}

    async def test_not_to_their_grid(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "microgrid_leader")
        grid = await Area.get(name="颜山第一网格")
        before = await Notice.all().count()
        body = await gql(
            client,
            PUBLISH,
            {"input": {"under": gid("Area", grid.id), "title": "通知", "body": "正文"}},
            token=token,
        )
        result = body["data"]["publishNotice"]
        assert (result["__typename"], result["code"]) == ("Forbidden", "FORBIDDEN")
        assert await Notice.all().count() == before
