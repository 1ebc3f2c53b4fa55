"""People queries through GraphQL: people under an area, the public duty cards."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.enums import Role
from services.kit.paths import in_subtree
from services.models import Person, RoleAssignment
from tests.conftest import gql, login
from tests.schema.grids_support import (
    GRID_G,
    OTHER_COMMUNITY,
    YANSHAN,
    area,
    error_codes,
    gid,
    key_of,
)

PEOPLE = """
query People($under: ID, $role: Role, $search: String, $after: String) {
  people(under: $under, role: $role, search: $search, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name phone } }
  }
}
"""


async def _all_people(
    http: httpx.AsyncClient, token: str, **variables: Any
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        body = await gql(http, PEOPLE, {**variables, "after": after}, token=token)
        assert "errors" not in body, body
        conn = body["data"]["people"]
        seen += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            assert conn["totalCount"] == len(seen)
            return seen
        after = conn["pageInfo"]["endCursor"]


class TestPeople:
    """`people(...)`: for admins and leaders, in scope."""

    async def test_people_under_an_area_for_its_admin(self, client: httpx.AsyncClient) -> None:
        # given the community admin of 颜山社区
        token = await login(client, "community_admin")
        community = await area(YANSHAN)
        living = set(
            await Person.filter(household__path__startswith=community.path).values_list(
                "id", flat=True
            )
        )
        serving = set(
            await RoleAssignment.filter(
                in_subtree(community.path, "area_path"), until=None
            ).values_list("person_id", flat=True)
        )
        # when they list everyone under the community (and with no `under`: all they run)
        for variables in ({"under": gid("Area", community.id)}, {}):
            people = await _all_people(client, token, **variables)
            # then it is everyone living or serving there, each once, with phones
            keys = [key_of(p["id"]) for p in people]
            assert len(keys) == len(set(keys))
            assert set(keys) == living | serving
            assert all(p["phone"] for p in people if key_of(p["id"]) in serving)

    async def test_people_by_role_and_search(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        community = await area(YANSHAN)
        under = gid("Area", community.id)
        centrals = await RoleAssignment.filter(
            in_subtree(community.path, "area_path"), until=None, role=Role.CENTRAL_HOUSEHOLD
        ).values_list("person_id", flat=True)
        # by role: the central households of the community
        people = await _all_people(client, token, under=under, role="CENTRAL_HOUSEHOLD")
        assert sorted(key_of(p["id"]) for p in people) == sorted(set(centrals))
        # by name
        people = await _all_people(client, token, under=under, search="陈志强")
        assert [p["name"] for p in people] == ["陈志强"]
        # by the start of the phone number
        people = await _all_people(client, token, under=under, search="1395331000")
        assert {p["name"] for p in people} >= {"赵桂兰", "陈志强", "李淑芬"}
        assert all(p["phone"].startswith("1395331000") for p in people)

    @pytest.mark.parametrize(
        ("username", "under", "code"),
        [
            (None, None, "UNAUTHENTICATED"),
            ("resident", None, "FORBIDDEN"),
            ("community_admin", OTHER_COMMUNITY, "FORBIDDEN"),
            ("grid_leader", YANSHAN, "FORBIDDEN"),
        ],
    )
    async def test_people_out_of_scope(
        self, client: httpx.AsyncClient, username: str | None, under: str | None, code: str
    ) -> None:
        token = await login(client, username) if username else None
        variables = {"under": gid("Area", (await area(under)).id)} if under else {}
        body = await gql(client, PEOPLE, variables, token=token)
        assert body["data"] is None
        assert error_codes(body) == [code]

    async def test_a_grid_leader_lists_the_people_of_their_grid(
        self, client: httpx.AsyncClient
    ) -> None:
        token = await login(client, "grid_leader")
        grid = await area(GRID_G)
        people = await _all_people(client, token, under=gid("Area", grid.id))
        names = {p["name"] for p in people}
        assert {"李淑芬", "陈志强", "赵桂兰", "马小军", "王德明"} <= names
        assert "张红梅" not in names  # the community admin serves above the grid


class TestDutyCards:
    async def test_duty_cards_are_public(self, client: httpx.AsyncClient) -> None:
        # given no sign-in and grid G
        grid = await area(GRID_G)
        expected = await RoleAssignment.filter(
            in_subtree(grid.path, "area_path"),
            until=None,
            role__in=[
                Role.GRID_LEADER,
                Role.MICRO_GRID_LEADER,
                Role.CENTRAL_HOUSEHOLD,
                Role.PART_TIME_GRID_MEMBER,
            ],
        ).count()
        cards: list[dict[str, Any]] = []
        after = None
        # when the duty cards under G are read page by page
        while True:
            body = await gql(
                client,
                """query($u: ID, $after: String) { dutyCards(under: $u, first: 4, after: $after) {
                 totalCount pageInfo { hasNextPage endCursor }
                 edges { node { id role name phone partyMember duties area { name } } } } }""",
                {"u": gid("Area", grid.id), "after": after},
            )
            assert "errors" not in body, body
            conn = body["data"]["dutyCards"]
            assert conn["totalCount"] == expected
            cards += [e["node"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        # then every card is there once, with the holder's name, phone and duties
        assert len(cards) == expected == len({c["id"] for c in cards})
        leader = next(
            c for c in cards if c["role"] == "MICRO_GRID_LEADER" and c["name"] == "赵桂兰"
        )
        assert leader["phone"] == "13953310004"
        assert leader["duties"]
        assert leader["area"]["name"].startswith("颜山花园")
        rider = next(c for c in cards if c["role"] == "PART_TIME_GRID_MEMBER")
        assert (rider["name"], rider["area"]["name"]) == ("马小军", GRID_G)
        # and residents and volunteers have no card
        assert {c["role"] for c in cards} <= {
            "GRID_LEADER",
            "MICRO_GRID_LEADER",
            "CENTRAL_HOUSEHOLD",
            "PART_TIME_GRID_MEMBER",
        }


class TestFindNewSignUps:
    async def test_an_admin_finds_an_unplaced_sign_up_by_phone(
        self, client: httpx.AsyncClient
    ) -> None:
        token = await login(client, "community_admin")
        body = await gql(client, PEOPLE, {"search": "13953319901"}, token=token)
        nodes = [e["node"] for e in body["data"]["people"]["edges"]]
        assert [(n["name"], n["phone"]) for n in nodes] == [("吴晓燕", "13953319901")]
        body = await gql(client, PEOPLE, {"search": "1395331990"}, token=token)
        assert body["data"]["people"]["edges"] == []

    async def test_a_leader_does_not(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "grid_leader")
        body = await gql(client, PEOPLE, {"search": "newcomer"}, token=token)
        assert body["data"]["people"]["edges"] == []
