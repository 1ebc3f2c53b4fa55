"""Who sees which lines of a leaderboard, through the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from seed.demo import DEMO_COMMUNITY
from services.models import Area
from tests.conftest import Database, gql, login
from tests.services.volunteering_support import outsider

BOARD = """
query B($under: ID!) {
  leaderboard(under: $under, first: 100) { rank points name person { id name } }
}
"""


PEOPLE = "query P($ids: [ID!]!) { nodes(ids: $ids) { ... on Person { id name } } }"


async def _board(client: httpx.AsyncClient, token: str) -> dict[str, Any]:
    under = str(relay.GlobalID("Area", str((await Area.get(name=DEMO_COMMUNITY)).id)))
    return await gql(client, BOARD, {"under": under}, token=token)


class TestLeaderboardLines:
    """leaderboard: its lines and who may read them."""

    async def test_an_outsider_may_not_read_the_communitys_leaderboard(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        # a volunteer of the neighbouring community, signed in
        token = await login(client, await outsider(), "quiet-harbour-lantern")
        body = await _board(client, token)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    @pytest.mark.parametrize("username", ["resident", "grid_leader", "community_admin"])
    async def test_each_line_is_someone_the_viewer_may_see(
        self, client: httpx.AsyncClient, db: Database, username: str
    ) -> None:
        # given the whole leaderboard of the demo community, as its admin sees it
        admin = (await _board(client, await login(client, "community_admin")))["data"]
        everyone = {line["person"]["id"]: line for line in admin["leaderboard"]}
        assert len(everyone) > 3
        # when the viewer reads it
        token = await login(client, username)
        lines = (await _board(client, token))["data"]["leaderboard"]
        # then each line is as in the whole board (its true rank), with the person named
        assert lines and all(line == everyone[line["person"]["id"]] for line in lines)
        assert all(line["name"] == line["person"]["name"] for line in lines)
        # and by id the viewer sees exactly the people of the lines they were shown
        ids = list(everyone)
        found = (await gql(client, PEOPLE, {"ids": ids}, token=token))["data"]["nodes"]
        assert {p["id"] for p in found if p} == {line["person"]["id"] for line in lines}
        if username == "community_admin":
            assert len(lines) == len(everyone)
        if username == "resident":
            # neighbours without a public role are left out
            assert len(lines) < len(everyone)
