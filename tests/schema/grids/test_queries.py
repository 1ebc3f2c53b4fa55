"""The territory's queries through GraphQL: listing and paging areas."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from services.enums import AreaKind, AreaLevel
from services.kit.paths import in_subtree
from services.models import Area
from tests.conftest import gql, login
from tests.schema.grids_support import YANSHAN, area, error_codes, gid, key_of

OTHER_STREET = "山头街道"


AREAS_PAGE = """
query Areas($level: AreaLevel, $kind: AreaKind, $under: ID, $search: String,
            $first: Int, $after: String) {
  areas(level: $level, kind: $kind, under: $under, search: $search, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name level kind } }
  }
}
"""


async def _walk(http: httpx.AsyncClient, size: int, **filters: Any) -> list[dict[str, Any]]:
    """Every node of `areas(...)`, page by page, checking the page info on the way."""
    seen: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        body = await gql(http, AREAS_PAGE, {**filters, "first": size, "after": after})
        assert "errors" not in body, body
        conn = body["data"]["areas"]
        edges, info = conn["edges"], conn["pageInfo"]
        assert len(edges) <= size
        assert info["hasPreviousPage"] is (after is not None)
        if edges:
            assert info["startCursor"] == edges[0]["cursor"]
            assert info["endCursor"] == edges[-1]["cursor"]
        seen += [e["node"] for e in edges]
        pages += 1
        assert pages <= 100, "paging does not end"
        if not info["hasNextPage"]:
            assert conn["totalCount"] == len(seen)
            return seen
        assert len(edges) == size
        after = info["endCursor"]


class TestAreas:
    """`areas(...)`: filters, paging and reading ahead."""

    async def test_walking_all_pages_visits_every_area_once(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo district's areas
        expected = set(await Area.all().values_list("id", flat=True))
        # when an anonymous client walks them 7 at a time
        nodes = await _walk(client, 7)
        # then every area appears exactly once, in a stable order
        keys = [key_of(n["id"]) for n in nodes]
        assert len(keys) == len(set(keys))
        assert set(keys) == expected
        assert keys == sorted(keys)

    @pytest.mark.parametrize(
        ("filters", "size"),
        [
            ({"level": "COMMUNITY"}, 2),
            ({"kind": "COMMERCIAL"}, 1),
            ({"search": "颜山"}, 4),
            ({"level": "MICRO_GRID", "under": YANSHAN}, 3),
            ({"under": OTHER_STREET}, 5),
            ({"level": "GRID", "kind": "RESIDENTIAL", "under": YANSHAN}, 2),
        ],
    )
    async def test_area_filters_match_the_database(
        self, client: httpx.AsyncClient, filters: dict[str, Any], size: int
    ) -> None:
        # given a filter on level, kind, subtree and/or name
        query = Area.all()
        variables = dict(filters)
        if "under" in filters:
            root = await area(filters["under"])
            query = query.filter(in_subtree(root.path))
            variables["under"] = gid("Area", root.id)
        if "level" in filters:
            query = query.filter(level=AreaLevel(filters["level"]))
        if "kind" in filters:
            query = query.filter(kind=AreaKind(filters["kind"]))
        if "search" in filters:
            query = query.filter(name__icontains=filters["search"])
        expected = set(await query.values_list("id", flat=True))
        assert expected, "the filter should match something in the demo district"
        # when all pages are read
        nodes = await _walk(client, size, **variables)
        # then exactly the matching areas come back, each once
        keys = [key_of(n["id"]) for n in nodes]
        assert len(keys) == len(set(keys))
        assert set(keys) == expected
        for node in nodes:
            if "level" in filters:
                assert node["level"] == filters["level"]
            if "kind" in filters:
                assert node["kind"] == filters["kind"]

    async def test_an_empty_page_and_a_zero_size_page(self, client: httpx.AsyncClient) -> None:
        # given a search that matches nothing, and a page of size 0
        body = await gql(client, AREAS_PAGE, {"search": "没有这个地方"})
        conn = body["data"]["areas"]
        # then the connection is empty but well formed
        assert conn["totalCount"] == 0
        assert conn["edges"] == []
        assert conn["pageInfo"]["startCursor"] is None
        assert conn["pageInfo"]["hasNextPage"] is False
        body = await gql(client, AREAS_PAGE, {"first": 0})
        assert body["data"]["areas"]["edges"] == []
        assert body["data"]["areas"]["totalCount"] == await Area.all().count()

    @pytest.mark.parametrize(
        ("variables", "field"),
        [
            ({"after": "not-a-cursor"}, "after"),
            ({"after": base64.b64encode(b"other:5").decode()}, "after"),
            ({"under": gid("Household", 1)}, "under"),
            ({"first": -1}, "first"),
        ],
    )
    async def test_bad_paging_arguments_are_invalid_input(
        self, client: httpx.AsyncClient, variables: dict[str, Any], field: str
    ) -> None:
        # when a malformed cursor, an id of the wrong type or a negative size is sent
        body = await gql(client, AREAS_PAGE, variables)
        # then the request fails with an input error naming the argument
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "INVALID_INPUT"
        assert error["extensions"]["field"] == field

    async def test_under_an_unknown_area_is_not_found(self, client: httpx.AsyncClient) -> None:
        body = await gql(client, AREAS_PAGE, {"under": gid("Area", 99999)})
        assert body["data"] is None
        assert error_codes(body) == ["NOT_FOUND"]

    async def test_a_page_reads_ahead_through_fragments_and_aliases(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the grid leader of G, who may read G's coverage but not its siblings'
        token = await login(client, "grid_leader")
        community = await area(YANSHAN)
        plain = """query($u: ID!) { areas(under: $u, level: GRID) { edges { node {
        name coverage { households } roleHolders { role person { name } } } } } }"""
        fragments = """query($u: ID!) { areas(under: $u, level: GRID) { edges { ...E } } }
        fragment E on AreaEdge { node { name ... on Area { ...C } holders: roleHolders {
            role person { name } } } }
        fragment C on Area { cover: coverage { households } }"""
        # when the same page is read with plain fields and through fragments and aliases
        first = await gql(client, plain, {"u": gid("Area", community.id)}, token=token)
        second = await gql(client, fragments, {"u": gid("Area", community.id)}, token=token)
        # then both carry the same figures, holders and FORBIDDEN errors
        for a, b in zip(
            first["data"]["areas"]["edges"], second["data"]["areas"]["edges"], strict=True
        ):
            assert a["node"]["coverage"] == b["node"]["cover"]
            assert a["node"]["roleHolders"] == b["node"]["holders"]
        assert any(e["node"]["roleHolders"] for e in first["data"]["areas"]["edges"])
        paths = sorted(tuple(e["path"][:3]) for e in first["errors"])
        assert paths == sorted(tuple(e["path"][:3]) for e in second["errors"])
        assert set(error_codes(first)) == set(error_codes(second)) == {"FORBIDDEN"}


class TestAreaByCode:
    """`areaByCode`: the area with the district's own code, for anyone (the map is public)."""

    async def test_found_by_code_or_null(self, client: httpx.AsyncClient) -> None:
        community = await area(YANSHAN)
        query = "query($code: String!) { areaByCode(code: $code) { id name code level } }"
        body = await gql(client, query, {"code": community.code})
        assert body["data"]["areaByCode"] == {
            "id": gid("Area", community.id),
            "name": YANSHAN,
            "code": community.code,
            "level": "COMMUNITY",
        }
        for missing in ("nope", "", "x" * 500):
            body = await gql(client, query, {"code": missing})
            assert body["data"] == {"areaByCode": None}

    async def test_a_code_is_set_through_update_area(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "district_admin")
        community = await area(YANSHAN)
        mutation = """
        mutation($input: UpdateAreaInput!) {
          updateArea(input: $input) {
            __typename
            ... on UpdateAreaSuccess { area { code } }
            ... on Error { code field }
          }
        }"""
        ok = await gql(
            client,
            mutation,
            {"input": {"areaId": gid("Area", community.id), "code": "YANSHAN"}},
            token=token,
        )
        assert ok["data"]["updateArea"]["area"] == {"code": "YANSHAN"}
        bad = await gql(
            client,
            mutation,
            {"input": {"areaId": gid("Area", community.id), "code": "颜山"}},
            token=token,
        )
        assert bad["data"]["updateArea"] == {
            "__typename": "InvalidInput",
            "code": "INVALID_INPUT",
            "field": "code",
        }
