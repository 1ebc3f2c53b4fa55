"""Reading the party organisation through GraphQL: units on areas, members, reports."""

from __future__ import annotations

import httpx

from seed.demo import COMMERCIAL_GRID as COMMERCIAL_GRID_NAME
from services.models import PartyMemberReport, PartyMembership, PartyUnit
from tests.conftest import gql, login
from tests.schema.grids_support import GRID_G, YANSHAN, area, gid, person_of

AREA_UNITS = """
query Units($id: ID!) {
  node(id: $id) { ... on Area {
    partyUnits { __typename id kind secretaryName secretary { name } memberCount
      members(first: 3) { totalCount edges { node { __typename id person { name } } } } }
    dissolvedPartyUnits(first: 5) { edges { node { id dissolvedAt dissolveReason } } }
  } }
}
"""
REPORTS = """
query Reports($id: ID!) {
  node(id: $id) { ... on Area {
    partyMemberReports(first: 5) { totalCount edges { node { __typename id person { name } } } }
  } }
}
"""
MY_PARTY = """
query Mine($id: ID!) {
  node(id: $id) { ... on Person {
    partyMemberships { partyUnit { kind name } }
    partyMemberReport { community { name } }
  } }
}
"""


class TestAreaPartyUnits:
    async def test_an_admin_sees_units_and_members(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        grid = await area(GRID_G)
        body = await gql(client, AREA_UNITS, {"id": gid("Area", grid.id)}, token=token)
        node = body["data"]["node"]
        (unit,) = node["partyUnits"]
        row = await PartyUnit.get(area_id=grid.id, dissolved_at=None)
        members = await PartyMembership.filter(unit_id=row.id, left_at=None).count()
        assert (unit["__typename"], unit["kind"], unit["secretaryName"]) == (
            "PartyUnit",
            "GRID_PARTY_BRANCH",
            "王德明",
        )
        assert unit["secretary"] == {"name": "王德明"}
        assert unit["memberCount"] == unit["members"]["totalCount"] == members
        assert [e["node"]["__typename"] for e in unit["members"]["edges"]] == [
            "PartyMembership"
        ] * 3
        assert node["dissolvedPartyUnits"]["edges"] == []

    async def test_anonymous_see_the_unit_but_not_its_members(
        self, client: httpx.AsyncClient
    ) -> None:
        grid = await area(GRID_G)
        body = await gql(client, AREA_UNITS, {"id": gid("Area", grid.id)})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert body["errors"][0]["path"][-1] == "members"

    async def test_dissolved_units_are_history(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "resident")
        grid = await area(COMMERCIAL_GRID_NAME)
        body = await gql(
            client,
            AREA_UNITS.replace(
                "members(first: 3) { totalCount edges { node { __typename id person { name } } } }",
                "",
            ),
            {"id": gid("Area", grid.id)},
            token=token,
        )
        node = body["data"]["node"]
        assert len(node["partyUnits"]) == 1
        (old,) = node["dissolvedPartyUnits"]["edges"]
        assert old["node"]["dissolveReason"] and old["node"]["dissolvedAt"]


class TestPartyMemberReports:
    async def test_the_community_admin_lists_them(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        yanshan = await area(YANSHAN)
        body = await gql(client, REPORTS, {"id": gid("Area", yanshan.id)}, token=token)
        reports = body["data"]["node"]["partyMemberReports"]
        assert (
            reports["totalCount"]
            == await PartyMemberReport.filter(community_id=yanshan.id, ended_at=None).count()
        )
        assert [e["node"]["person"]["name"] for e in reports["edges"]] == ["陈志强"]
        assert reports["edges"][0]["node"]["__typename"] == "PartyMemberReport"

    async def test_a_leader_is_refused(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "grid_leader")
        yanshan = await area(YANSHAN)
        body = await gql(client, REPORTS, {"id": gid("Area", yanshan.id)}, token=token)
        assert body["data"]["node"]["partyMemberReports"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class TestPersonParty:
    async def test_own_memberships_and_report(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "central_household")
        me = await person_of("central_household")
        body = await gql(client, MY_PARTY, {"id": gid("Person", me.id)}, token=token)
        node = body["data"]["node"]
        kinds = [m["partyUnit"]["kind"] for m in node["partyMemberships"]]
        assert kinds == ["GRID_PARTY_BRANCH", "MICRO_GRID_PARTY_GROUP"]
        assert node["partyMemberReport"] == {"community": {"name": YANSHAN}}

    async def test_out_of_scope_shows_nothing(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "resident")
        central = await person_of("central_household")
        body = await gql(client, MY_PARTY, {"id": gid("Person", central.id)}, token=token)
        node = body["data"]["node"]
        assert node == {"partyMemberships": [], "partyMemberReport": None}
