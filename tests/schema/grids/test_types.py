"""The territory's types through GraphQL: an area's public part, its coverage, its role holders."""

from __future__ import annotations

import httpx
import pytest

from services.kit.paths import in_subtree
from services.models import Area, CareLink, GridStation, Household
from tests.conftest import gql, login
from tests.schema.grids_support import (
    GRID_G,
    OTHER_COMMUNITY,
    YANSHAN,
    area,
    error_codes,
    gid,
    key_of,
    micro_grid_m,
    person_of,
)

AREA_DETAIL = """
query Area($under: ID!) {
  areas(under: $under, level: GRID, search: "第一网格") {
    edges { node {
      id name level kind contactGroupName contactGroupLink
      parent { id name level }
      ancestors { name level }
      children(first: 10) { totalCount edges { node { id name level kind } } }
      householdCount
      coverage {
        households assignedHouseholds unassignedHouseholds
        microGrids microGridsWithoutLeader centralHouseholdCoverage
      }
      roleHolders { role person { name } }
      station { name address hours }
      partyUnits { kind name secretaryName area { name } }
      households(first: 5) { totalCount edges { node { id address } } }
    } }
  }
}
"""


HOLDERS = """
query Holders($id: ID!) {
  node(id: $id) { ... on Area { roleHolders { role person { name phone partyMember } } } }
}
"""


class TestArea:
    """What an area shows, and to whom."""

    async def test_an_area_in_full_for_its_community_admin(self, client: httpx.AsyncClient) -> None:
        # given the community admin of 颜山社区 and its first grid G
        token = await login(client, "community_admin")
        community, grid = await area(YANSHAN), await area(GRID_G)
        # when they read G with all its relations
        body = await gql(client, AREA_DETAIL, {"under": gid("Area", community.id)}, token=token)
        # then everything is there and agrees with the database
        assert "errors" not in body, body
        (edge,) = body["data"]["areas"]["edges"]
        node = edge["node"]
        assert node["id"] == gid("Area", grid.id)
        assert (node["name"], node["level"], node["kind"]) == (GRID_G, "GRID", "RESIDENTIAL")
        assert node["contactGroupName"] == grid.contact_group_name
        assert node["parent"] == {
            "id": gid("Area", community.id),
            "name": YANSHAN,
            "level": "COMMUNITY",
        }
        assert [(a["name"], a["level"]) for a in node["ancestors"]] == [
            ("博山区", "DISTRICT"),
            ("城西街道", "STREET"),
            (YANSHAN, "COMMUNITY"),
        ]
        micro_ids = await Area.filter(parent_id=grid.id).order_by("id").values_list("id", flat=True)
        children = node["children"]
        assert children["totalCount"] == len(micro_ids)
        assert [key_of(e["node"]["id"]) for e in children["edges"]] == list(micro_ids)
        assert {e["node"]["level"] for e in children["edges"]} == {"MICRO_GRID"}
        households = await Household.filter(in_subtree(grid.path)).count()
        cared = await CareLink.filter(household__path__startswith=grid.path).count()
        assert node["householdCount"] == households
        assert node["coverage"] == {
            "households": households,
            "assignedHouseholds": households,
            "unassignedHouseholds": 0,
            "microGrids": len(micro_ids),
            "microGridsWithoutLeader": 0,
            "centralHouseholdCoverage": round(cared / households, 4),
        }
        holders = {(h["role"], h["person"]["name"]) for h in node["roleHolders"]}
        assert holders == {("GRID_LEADER", "王德明"), ("PART_TIME_GRID_MEMBER", "马小军")}
        station = await GridStation.get(grid_id=grid.id)
        assert node["station"] == {
            "name": station.name,
            "address": station.address,
            "hours": station.hours,
        }
        assert node["partyUnits"] == [
            {
                "kind": "GRID_PARTY_BRANCH",
                "name": f"{GRID_G}党支部",
                "secretaryName": "王德明",
                "area": {"name": GRID_G},
            }
        ]
        assert node["households"]["totalCount"] == households
        assert len(node["households"]["edges"]) == 5

    async def test_the_public_part_of_an_area_for_an_anonymous_reader(
        self,
        client: httpx.AsyncClient,
    ) -> None:
        # given no sign-in
        community = await area(YANSHAN)
        # when the same area is read
        body = await gql(client, AREA_DETAIL, {"under": gid("Area", community.id)})
        # then the public fields are there (partial data) ...
        (edge,) = body["data"]["areas"]["edges"]
        node = edge["node"]
        assert node["name"] == GRID_G
        assert node["householdCount"] > 0
        assert node["station"] is not None
        assert len(node["roleHolders"]) == 2
        # ... but coverage and households are null, each with its own error
        assert node["coverage"] is None
        assert node["households"] is None
        by_path = {tuple(e["path"][-1:]): e["extensions"]["code"] for e in body["errors"]}
        assert by_path == {("coverage",): "FORBIDDEN", ("households",): "UNAUTHENTICATED"}

    @pytest.mark.parametrize("username", ["community_admin", "resident", "rider"])
    async def test_coverage_out_of_scope_is_forbidden(
        self, client: httpx.AsyncClient, username: str
    ) -> None:
        # given a signed-in user who does not run 古窑社区 (another street's community)
        token = await login(client, username)
        other = await area(OTHER_COMMUNITY)
        # when they ask for its coverage next to its public name
        body = await gql(
            client,
            """query($u: ID!) { areas(under: $u, level: COMMUNITY) {
             edges { node { name householdCount coverage { households } } } } }""",
            {"u": gid("Area", other.id)},
            token=token,
        )
        # then the name comes back and coverage is a FORBIDDEN error at its path
        (edge,) = body["data"]["areas"]["edges"]
        assert edge["node"]["name"] == OTHER_COMMUNITY
        assert edge["node"]["householdCount"] > 0
        assert edge["node"]["coverage"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["path"] == ["areas", "edges", 0, "node", "coverage"]

    async def test_a_grid_leader_sees_coverage_of_their_grid_only(
        self, client: httpx.AsyncClient
    ) -> None:
        # given G's grid leader
        token = await login(client, "grid_leader")
        community = await area(YANSHAN)
        # when they read the coverage of every grid of 颜山社区
        body = await gql(
            client,
            """query($u: ID!) { areas(under: $u, level: GRID) {
             edges { node { name coverage { households } } } } }""",
            {"u": gid("Area", community.id)},
            token=token,
        )
        # then only G's figures are shown; the other grids' are FORBIDDEN
        shown = {e["node"]["name"]: e["node"]["coverage"] for e in body["data"]["areas"]["edges"]}
        assert shown[GRID_G] is not None
        assert [name for name, c in shown.items() if c is None] == [n for n in shown if n != GRID_G]
        assert set(error_codes(body)) == {"FORBIDDEN"}
        assert len(body["errors"]) == len(shown) - 1


class TestRoleHolders:
    """Role holders are public by name; their phones follow the viewer's scope."""

    @pytest.mark.parametrize(
        ("username", "phone_shown"),
        [(None, False), ("resident", False), ("grid_leader", True), ("community_admin", True)],
    )
    async def test_micro_grid_leader_card_shows_phone_only_in_scope(
        self, client: httpx.AsyncClient, username: str | None, phone_shown: bool
    ) -> None:
        # given micro-grid M, led by `microgrid_leader`
        m = await micro_grid_m()
        leader = await person_of("microgrid_leader")
        token = await login(client, username) if username else None
        # when its role holders are read
        body = await gql(client, HOLDERS, {"id": gid("Area", m.id)}, token=token)
        # then everyone sees the leader's name, and only viewers in scope the phone
        assert "errors" not in body, body
        holders = body["data"]["node"]["roleHolders"]
        row = next(h for h in holders if h["role"] == "MICRO_GRID_LEADER")
        assert row["person"]["name"] == leader.name
        assert row["person"]["phone"] == (leader.phone if phone_shown else None)

    async def test_an_admin_of_another_community_sees_no_phone(
        self, client: httpx.AsyncClient
    ) -> None:
        # given another community's holders, read by 颜山社区's admin (outside their subtree)
        other = await area("古窑社区")
        token = await login(client, "community_admin")
        body = await gql(client, HOLDERS, {"id": gid("Area", other.id)}, token=token)
        holders = body["data"]["node"]["roleHolders"]
        assert holders, "the demo community has a community admin"
        assert all(h["person"]["phone"] is None for h in holders)
        assert all(h["person"]["name"] for h in holders)


GAPS = """
query G($id: ID!) { node(id: $id) { ... on Area { coverage { unassignedHouseholds
  microGridsWithoutLeader households householdsWithoutCentralHousehold }
  coverageGaps {
    unassignedHouseholds(first: 10) { totalCount edges { node { address } } }
    microGridsWithoutLeader(first: 10) { totalCount edges { node { name } } }
    householdsWithoutCentralHousehold(first: 1) { totalCount pageInfo { hasNextPage } }
  } } } }"""


class TestCoverageGaps:
    async def test_the_street_admin_reads_the_lists_behind_the_figures(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo street (its community 西冶街社区 has the demo's gaps)
        street = await Area.get(name="城西街道")
        token = await login(client, "street_admin")
        # when its admin reads the figures and the gaps
        body = await gql(client, GAPS, {"id": gid("Area", street.id)}, token=token)
        # then the lists hold what the figures count
        assert "errors" not in body, body
        node = body["data"]["node"]
        figures, gaps = node["coverage"], node["coverageGaps"]
        assert gaps["unassignedHouseholds"]["totalCount"] == figures["unassignedHouseholds"] == 1
        assert [e["node"]["name"] for e in gaps["microGridsWithoutLeader"]["edges"]] == [
            "琉璃苑新建楼微网格"
        ]
        assert figures["microGridsWithoutLeader"] == 1
        uncared = gaps["householdsWithoutCentralHousehold"]
        assert uncared["totalCount"] == figures["householdsWithoutCentralHousehold"] == 3
        assert uncared["pageInfo"]["hasNextPage"]

    async def test_a_leader_gets_forbidden(self, client: httpx.AsyncClient) -> None:
        grid = await Area.get(name=GRID_G)
        token = await login(client, "grid_leader")
        body = await gql(client, GAPS, {"id": gid("Area", grid.id)}, token=token)
        assert body["data"]["node"]["coverageGaps"] is None
        assert "FORBIDDEN" in error_codes(body)
