"""GraphQL queries of partners: the demo's units, lists, projects and cadres, viewer.partnerUnit."""

from __future__ import annotations

import httpx
import pytest
from strawberry import relay

from services.models import Area
from tests.conftest import gql, login

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


def gid(type_name: str, key: int) -> str:
    return str(relay.GlobalID(type_name, str(key)))


async def _area(name: str) -> str:
    return gid("Area", (await Area.get(name=name)).id)


class TestPartnerQueries:
    async def test_the_demo_partners_are_readable(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "partner")
        community = await _area("颜山社区")
        body = await gql(
            client,
            """query($under: ID!) {
              viewer { partnerUnit { name kind status members { manager person { name } } } }
              partnerUnits(under: $under) { totalCount edges { node { name kind status } } }
              projects(under: $under) { edges { node { title status claimable
                participants { role unit { name } } milestones { title progress }
                needs { title committed stillNeeded } totals { matches units peopleServed progress }
              } } }
              resourceOffers(under: $under, availableOnly: true, first: 50) { totalCount }
              needs(under: $under, first: 50) { totalCount }
              cadreAssignments(under: $under) { edges { node { minutesServed person { name }
                area { name } services { minutes description } } } }
            }""",
            {"under": community},
            token=token,
        )
        data = body["data"]
        assert data["viewer"]["partnerUnit"]["name"] == "博山颜山物业服务有限公司"
        assert data["viewer"]["partnerUnit"]["members"][0]["manager"] is True
        units = [e["node"] for e in data["partnerUnits"]["edges"]]
        # approved units of every kind; the pending one is hidden from a partner of another unit
        assert {u["kind"] for u in units} == {
            "PROPERTY_COMPANY",
            "MERCHANT",
            "GOVERNMENT_AGENCY",
            "PUBLIC_INSTITUTION",
            "ENTERPRISE",
        }
        assert {u["status"] for u in units} == {"APPROVED"}
        projects = {p["node"]["title"]: p["node"] for p in data["projects"]["edges"]}
        active = projects["关爱困难家庭共建项目"]
        assert active["status"] == "ACTIVE"
        assert active["participants"] == [{"role": "PARTNER", "unit": {"name": "颜山佳和便民超市"}}]
        assert [m["progress"] for m in active["milestones"]] == [100, 60, 0]
        assert active["totals"] == {"matches": 1, "units": 1, "peopleServed": 30, "progress": 53}
        assert projects["老旧小区楼道清理认领项目"]["claimable"] is True
        assert data["resourceOffers"]["totalCount"] >= 12
        assert data["needs"]["totalCount"] == 13
        cadre = data["cadreAssignments"]["edges"][0]["node"]
        assert cadre["minutesServed"] == 300 and cadre["area"]["name"] == "颜山第一网格"
        # the community admin also sees the pending social organisation
        admin = await login(client, "community_admin")
        body = await gql(
            client,
            "query($u: ID!) { partnerUnits(under: $u, status: PENDING) "
            "{ edges { node { name } } } }",
            {"u": community},
            token=admin,
        )
        assert [e["node"]["name"] for e in body["data"]["partnerUnits"]["edges"]] == [
            "博山区颜山社工服务中心"
        ]
