"""The territory's mutations through GraphQL: areas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.enums import AreaKind
from services.models import Area, GridStation
from tests.conftest import gql, login
from tests.schema.grids_support import (
    CREATE_AREA,
    GRID_G,
    OTHER_COMMUNITY,
    YANSHAN,
    area,
    gid,
    key_of,
)

COMMERCIAL = "颜山商业专属网格"


UPDATE_AREA = """
mutation Update($input: UpdateAreaInput!) {
  updateArea(input: $input) {
    __typename
    ... on UpdateAreaSuccess { area { id name kind contactGroupName station { name } } }
    ... on Error { code message field }
  }
}
"""


class TestCreateArea:
    async def test_create_a_grid_with_its_station(self, client: httpx.AsyncClient) -> None:
        # given the community admin of 颜山社区
        token = await login(client, "community_admin")
        community = await area(YANSHAN)
        # when they create a fifth grid with a station
        body = await gql(
            client,
            CREATE_AREA,
            {
                "input": {
                    "parentId": gid("Area", community.id),
                    "name": " 颜山第五网格 ",
                    "level": "GRID",
                    "contactGroupLink": "https://qun.example.com/new",
                    "station": {
                        "name": "新驿站",
                        "address": "颜山路1号",
                        "hours": "每日 9:00-17:00",
                    },
                }
            },
            token=token,
        )
        # then it exists under the community, with its station
        result = body["data"]["createArea"]
        assert result["__typename"] == "CreateAreaSuccess", result
        created = result["area"]
        assert created["name"] == "颜山第五网格"
        assert (created["level"], created["kind"]) == ("GRID", "RESIDENTIAL")
        assert created["parent"] == {"name": YANSHAN}
        assert created["station"] == {"name": "新驿站", "hours": "每日 9:00-17:00"}
        row = await Area.get(id=key_of(created["id"]))
        assert row.path == f"{community.path}{row.id}/"
        assert await GridStation.exists(grid_id=row.id, address="颜山路1号")

    async def test_a_micro_grid_takes_its_grids_kind(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        grid = await area(COMMERCIAL)
        body = await gql(
            client,
            CREATE_AREA,
            {
                "input": {
                    "parentId": gid("Area", grid.id),
                    "name": "四段微网格",
                    "level": "MICRO_GRID",
                }
            },
            token=token,
        )
        result = body["data"]["createArea"]
        assert result["__typename"] == "CreateAreaSuccess", result
        assert result["area"]["kind"] == "COMMERCIAL"

    @pytest.mark.parametrize(
        ("username", "parent", "changes", "typename", "field"),
        [
            # another street's admin may not build in 颜山社区
            ("street_admin", OTHER_COMMUNITY, {}, "Forbidden", None),
            # nor may a grid leader (leaders read, admins change)
            ("grid_leader", GRID_G, {"level": "MICRO_GRID"}, "Forbidden", None),
            # levels nest strictly: no micro-grid straight under a community
            ("community_admin", YANSHAN, {"level": "MICRO_GRID"}, "InvalidInput", "level"),
            ("community_admin", YANSHAN, {"level": "DISTRICT"}, "InvalidInput", "level"),
            (
                "community_admin",
                YANSHAN,
                {"kind": "SPECIAL", "level": "GRID"},
                "CreateAreaSuccess",
                None,
            ),
            (
                "street_admin",
                "城西街道",
                {"level": "COMMUNITY", "kind": "SPECIAL"},
                "InvalidInput",
                "kind",
            ),
            ("community_admin", YANSHAN, {"name": "   "}, "InvalidInput", "name"),
            ("community_admin", YANSHAN, {"name": GRID_G}, "Conflict", "name"),
            (
                "community_admin",
                YANSHAN,
                {"contactGroupLink": "ftp://x"},
                "InvalidInput",
                "contactGroupLink",
            ),
            (
                "community_admin",
                YANSHAN,
                {"station": {"name": "x", "address": "", "hours": "x"}},
                "InvalidInput",
                "station.address",
            ),
            (None, YANSHAN, {}, "Unauthenticated", None),
        ],
    )
    async def test_create_area_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        parent: str,
        changes: dict[str, Any],
        typename: str,
        field: str | None,
    ) -> None:
        # given a user and an area to build under
        token = await login(client, username) if username else None
        parent_area = await area(parent)
        before = await Area.all().count()
        data = {
            "parentId": gid("Area", parent_area.id),
            "name": "新网格",
            "level": "GRID",
            **changes,
        }
        # when they create an area there
        body = await gql(client, CREATE_AREA, {"input": data}, token=token)
        # then the typed result says why not (and names the field)
        result = body["data"]["createArea"]
        assert result["__typename"] == typename, result
        if typename == "CreateAreaSuccess":
            assert await Area.all().count() == before + 1
            return
        assert (
            result["code"]
            == {
                "Forbidden": "FORBIDDEN",
                "InvalidInput": "INVALID_INPUT",
                "Conflict": "CONFLICT",
                "Unauthenticated": "UNAUTHENTICATED",
            }[typename]
        )
        assert result["field"] == field
        # and nothing was written
        assert await Area.all().count() == before

    async def test_create_area_under_a_missing_or_mistyped_parent(
        self, client: httpx.AsyncClient
    ) -> None:
        token = await login(client, "district_admin")
        body = await gql(
            client,
            CREATE_AREA,
            {"input": {"parentId": gid("Area", 99999), "name": "新网格", "level": "GRID"}},
            token=token,
        )
        result = body["data"]["createArea"]
        assert result["__typename"] == "NotFound", result
        assert result["field"] == "areaId"
        # the id of a household is refused before execution (schema.core.ids)
        body = await gql(
            client,
            CREATE_AREA,
            {"input": {"parentId": gid("Household", 1), "name": "新网格", "level": "GRID"}},
            token=token,
        )
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["field"] == "parentId"


class TestUpdateArea:
    async def test_update_area_renames_and_changes_a_grids_kind(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the community admin and grid G
        token = await login(client, "community_admin")
        grid = await area(GRID_G)
        # when G is renamed, made a SPECIAL grid and given a new station
        body = await gql(
            client,
            UPDATE_AREA,
            {
                "input": {
                    "areaId": gid("Area", grid.id),
                    "name": "颜山一网格",
                    "kind": "SPECIAL",
                    "contactGroupName": "一网格群",
                    "station": {"name": "新驿站", "address": "颜山路2号", "hours": "全天"},
                }
            },
            token=token,
        )
        # then the area is changed, and its micro-grids follow its kind
        result = body["data"]["updateArea"]
        assert result["__typename"] == "UpdateAreaSuccess", result
        assert result["area"] == {
            "id": gid("Area", grid.id),
            "name": "颜山一网格",
            "kind": "SPECIAL",
            "contactGroupName": "一网格群",
            "station": {"name": "新驿站"},
        }
        kinds = set(await Area.filter(parent_id=grid.id).values_list("kind", flat=True))
        assert kinds == {AreaKind.SPECIAL}
        assert await GridStation.filter(grid_id=grid.id).count() == 1

    @pytest.mark.parametrize(
        ("username", "target", "changes", "typename", "field"),
        [
            ("street_admin", OTHER_COMMUNITY, {"name": "改名"}, "Forbidden", None),
            ("community_admin", YANSHAN, {"kind": "COMMERCIAL"}, "InvalidInput", "kind"),
            (
                "community_admin",
                YANSHAN,
                {"station": {"name": "a", "address": "b", "hours": "c"}},
                "InvalidInput",
                "station",
            ),
            ("community_admin", GRID_G, {"name": "颜山第二网格"}, "Conflict", "name"),
            (
                "community_admin",
                GRID_G,
                {"contactGroupLink": "javascript:alert(1)"},
                "InvalidInput",
                "contactGroupLink",
            ),
            (None, GRID_G, {"name": "改名"}, "Unauthenticated", None),
        ],
    )
    async def test_update_area_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        target: str,
        changes: dict[str, Any],
        typename: str,
        field: str | None,
    ) -> None:
        token = await login(client, username) if username else None
        row = await area(target)
        body = await gql(
            client, UPDATE_AREA, {"input": {"areaId": gid("Area", row.id), **changes}}, token=token
        )
        result = body["data"]["updateArea"]
        assert result["__typename"] == typename, result
        assert result["field"] == field
        # nothing changed
        after = await Area.get(id=row.id)
        assert (after.name, after.kind, after.contact_group_link) == (
            row.name,
            row.kind,
            row.contact_group_link,
        )
