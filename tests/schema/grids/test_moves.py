"""Moving areas and households through GraphQL (moveArea, moveHouseholds, Area.moves)."""

from __future__ import annotations

import httpx

from services.models import Area, AreaMove, Household, WorkOrder
from tests.conftest import actor_for, gql, login
from tests.schema.grids_support import GRID_G, area, gid, key_of, micro_grid_m
from tests.services.workorders_support import place

MOVE_AREA = """
mutation Move($input: MoveAreaInput!) {
  moveArea(input: $input) {
    __typename
    ... on MoveAreaSuccess {
      area { id name parent { name } }
      move { id subject fromArea { name } toArea { name } movedBy { name } area { name } }
    }
    ... on Error { code message field }
  }
}
"""

MOVE_HOUSEHOLDS = """
mutation Move($input: MoveHouseholdsInput!) {
  moveHouseholds(input: $input) {
    __typename
    ... on MoveHouseholdsSuccess {
      households { id microGrid { name } }
      moves { subject household { id } fromArea { name } toArea { name } }
    }
    ... on Error { code message field }
  }
}
"""

MOVES = """
query Moves($id: ID!) {
  node(id: $id) {
    ... on Area { moves(first: 10) { totalCount edges { node { subject area { name } } } } }
  }
}
"""

M2 = "颜山花园3-4号楼微网格"


class TestMoveArea:
    async def test_a_micro_grid_moves_to_another_grid(self, client: httpx.AsyncClient) -> None:
        # given the community admin, M and the second grid of 颜山社区
        token = await login(client, "community_admin")
        micro, target = await micro_grid_m(), await area("颜山第二网格")
        # when they move M there
        body = await gql(
            client,
            MOVE_AREA,
            {"input": {"areaId": gid("Area", micro.id), "parentId": gid("Area", target.id)}},
            token=token,
        )
        # then M lies under the new grid and the move is kept
        result = body["data"]["moveArea"]
        assert result["__typename"] == "MoveAreaSuccess", result
        assert result["area"]["parent"] == {"name": "颜山第二网格"}
        move = result["move"]
        assert (move["subject"], move["fromArea"], move["toArea"], move["area"]) == (
            "AREA",
            {"name": GRID_G},
            {"name": "颜山第二网格"},
            {"name": micro.name},
        )
        assert move["movedBy"] == {"name": "张红梅"}
        assert (await Area.get(id=micro.id)).path == f"{target.path}{micro.id}/"
        # and the history is listed on the area
        body = await gql(client, MOVES, {"id": gid("Area", micro.id)}, token=token)
        moves = body["data"]["node"]["moves"]
        assert moves["totalCount"] == 1
        assert moves["edges"][0]["node"] == {"subject": "AREA", "area": {"name": micro.name}}

    async def test_a_level_mismatch_is_invalid_input(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        micro, community = await micro_grid_m(), await area("颜山社区")
        body = await gql(
            client,
            MOVE_AREA,
            {"input": {"areaId": gid("Area", micro.id), "parentId": gid("Area", community.id)}},
            token=token,
        )
        result = body["data"]["moveArea"]
        assert (result["__typename"], result["code"], result["field"]) == (
            "InvalidInput",
            "INVALID_INPUT",
            "parentId",
        )
        assert (await Area.get(id=micro.id)).path == micro.path
        assert await AreaMove.all().count() == 0

    async def test_the_history_is_hidden_from_residents(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "resident")
        body = await gql(client, MOVES, {"id": gid("Area", (await micro_grid_m()).id)}, token=token)
        assert body["data"]["node"]["moves"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class TestMoveHouseholds:
    async def test_a_household_moves_with_its_open_order(self, client: httpx.AsyncClient) -> None:
        # given the resident's household in M with an open order
        token = await login(client, "community_admin")
        home = (await actor_for("resident")).household_id or 0
        order = await place()
        target = await area(M2)
        # when the admin moves it to M's sibling
        body = await gql(
            client,
            MOVE_HOUSEHOLDS,
            {
                "input": {
                    "householdIds": [gid("Household", home)],
                    "microGridId": gid("Area", target.id),
                }
            },
            token=token,
        )
        # then it is there, the move kept, and the order follows
        result = body["data"]["moveHouseholds"]
        assert result["__typename"] == "MoveHouseholdsSuccess", result
        assert [h["microGrid"] for h in result["households"]] == [{"name": M2}]
        (move,) = result["moves"]
        assert move["subject"] == "HOUSEHOLD" and move["toArea"] == {"name": M2}
        assert key_of(move["household"]["id"]) == home
        assert (await Household.get(id=home)).micro_grid_id == target.id
        assert (await WorkOrder.get(id=order.id)).handling_area_id == target.id

    async def test_a_central_households_home_is_a_conflict(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        home = (await actor_for("central_household")).household_id or 0
        before = (await Household.get(id=home)).micro_grid_id
        body = await gql(
            client,
            MOVE_HOUSEHOLDS,
            {
                "input": {
                    "householdIds": [gid("Household", home)],
                    "microGridId": gid("Area", (await area(M2)).id),
                }
            },
            token=token,
        )
        result = body["data"]["moveHouseholds"]
        assert (result["__typename"], result["code"]) == ("Conflict", "CONFLICT")
        assert (await Household.get(id=home)).micro_grid_id == before
