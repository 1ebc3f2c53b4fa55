"""The volunteering types as nodes: the same visibility as their fields and lists."""

from __future__ import annotations

import httpx
import pytest

from services.kit import clock as service_clock
from tests.conftest import gql, login
from tests.schema.volunteering.support import CREATE_TEAM, JOIN, area_gid, person_gid, result_of
from tests.services.points_support import Clock

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(service_clock.now().replace(second=0, microsecond=0))


class TestNodes:
    """node/nodes on teams and memberships."""

    async def test_nodes_follow_the_same_visibility(
        self, client: httpx.AsyncClient, clock: Clock
    ) -> None:
        admin = await login(client, "community_admin")
        team_input = {
            "areaId": await area_gid(),
            "name": "助老服务队",
            "kind": "ELDERLY_CARE_TEAM",
            "leaderId": await person_gid("central_household"),
        }
        team = result_of(
            await gql(client, CREATE_TEAM, {"input": team_input}, token=admin), "createTeam"
        )
        resident = await login(client, "resident")
        joined = result_of(
            await gql(client, JOIN, {"input": {"teamId": team["team"]["id"]}}, token=resident),
            "joinTeam",
        )
        query = """query N($ids: [ID!]!) { nodes(ids: $ids) { __typename
      ... on VolunteerTeam { name members { totalCount } }
      ... on TeamMembership { status } } }"""
        ids = [team["team"]["id"], joined["membership"]["id"]]
        # the applicant sees the team and their application; anonymous callers see nothing
        body = await gql(client, query, {"ids": [ids[1]]}, token=resident)
        assert body["data"]["nodes"] == [{"__typename": "TeamMembership", "status": "PENDING"}]
        body = await gql(client, query, {"ids": ids})
        assert body["data"]["nodes"] == [None, None]
        # a rider of the grid sees the team but not the application
        rider = await login(client, "rider")
        body = await gql(
            client,
            "query N($ids: [ID!]!) { nodes(ids: $ids) { __typename } }",
            {"ids": ids},
            token=rider,
        )
        assert body["data"]["nodes"] == [{"__typename": "VolunteerTeam"}, None]
        # teams(under) lists it for any signed-in user
        listed = await gql(
            client,
            "query T($u: ID!) { teams(under: $u) { totalCount "
            "edges { node { name memberCount } } } }",
            {"u": await area_gid()},
            token=rider,
        )
        names = [e["node"]["name"] for e in listed["data"]["teams"]["edges"]]
        assert "助老服务队" in names
