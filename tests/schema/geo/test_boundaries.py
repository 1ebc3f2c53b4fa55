"""Boundaries from the admin console: importBoundaries over the multipart request spec (dry run,
scope, invalid polygons, the index answering at once) and boundaryProblems (overlap, gap, child
outside, each drawable), admins only."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from shapely.geometry import shape

from seed.demo import DEMO_STREET, DISTRICT_CODE
from seed.onboarding import M
from services.enums import AreaLevel
from services.geo.boundaries import boundary_of, import_boundaries_as_operator, load_boundary
from services.geo.datum import wgs84_to_gcj02
from services.models import Area, AreaBoundary
from tests.api.multipart_support import gql_upload
from tests.conftest import Database, gql, login
from tests.schema.grids_support import gid, key_of
from tests.services.geo.shapes import box, collection

IMPORT = """
mutation ($input: ImportBoundariesInput!) {
  importBoundaries(input: $input) {
    __typename
    ... on ImportBoundariesSuccess {
      features areasUpdated dryRun problemCount
      problems { index areaCode code message }
    }
    ... on Error { code message }
    ... on InvalidInput { field }
  }
}
"""

PROBLEMS = """
query ($under: ID!, $first: Int, $after: String) {
  boundaryProblems(under: $under, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { code areas message size geometry(datum: GCJ02) } }
  }
}
"""

AREA_AT = "query ($lon: Float!, $lat: Float!) { areaAt(longitude: $lon, latitude: $lat) { id } }"


async def _import(
    client: httpx.AsyncClient,
    token: str,
    file: dict[str, Any] | bytes,
    *,
    dry_run: bool = False,
) -> dict[str, Any]:
    data = file if isinstance(file, bytes) else json.dumps(file).encode()
    response = await gql_upload(
        client,
        IMPORT,
        {"input": {"dryRun": dry_run}},
        {"input.file": ("net.geojson", data, "application/geo+json")},
        token=token,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["importBoundaries"]
    return result


async def _bounds(area: Area) -> tuple[float, float, float, float]:
    drawn = await boundary_of(area.id)
    assert drawn is not None
    x0, y0, x1, y1 = load_boundary(drawn).bounds
    return x0, y0, x1, y1


async def _versions() -> list[tuple[int, int]]:
    return sorted(await AreaBoundary.all().values_list("area_id", "version"))


class TestImportBoundaries:
    async def test_dry_run_writes_nothing_then_the_import_is_seen_by_area_at(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given micro-grid M redrawn as its southern half, and a point in its northern half
        micro = await Area.get(name=M)
        assert micro.code is not None
        x0, y0, x1, y1 = await _bounds(micro)
        middle = y0 + (y1 - y0) / 2
        north = {"lon": (x0 + x1) / 2, "lat": y0 + (y1 - y0) * 0.75}
        south = {"lon": (x0 + x1) / 2, "lat": y0 + (y1 - y0) * 0.25}
        found = await gql(client, AREA_AT, north)
        assert key_of(found["data"]["areaAt"]["id"]) == micro.id
        file = collection((micro.code, box(x0, y0, x1, middle)))
        token = await login(client, "district_admin")
        before = await _versions()
        # when the district admin dry-runs the file
        dry = await _import(client, token, file, dry_run=True)
        # then it passes and nothing is written
        assert dry == {
            "__typename": "ImportBoundariesSuccess",
            "features": 1,
            "areasUpdated": 0,
            "dryRun": True,
            "problemCount": 0,
            "problems": [],
        }
        assert await _versions() == before
        # when imported for real
        done = await _import(client, token, file)
        assert (done["areasUpdated"], done["dryRun"], done["problems"]) == (1, False, [])
        # then areaAt answers from the new boundary at once: the north half is no one's now
        assert (await gql(client, AREA_AT, north))["data"]["areaAt"] is None
        found = await gql(client, AREA_AT, south)
        assert key_of(found["data"]["areaAt"]["id"]) == micro.id
        stored = await boundary_of(micro.id)
        assert stored is not None and load_boundary(stored).bounds == (x0, y0, x1, middle)

    async def test_out_of_scope_and_invalid_features_refuse_the_whole_file(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given a file with a good feature for M, an area of another street, and a bowtie
        micro = await Area.get(name=M)
        grid = await Area.get(id=micro.parent_id)
        other = await Area.filter(level=AreaLevel.STREET, name__not=DEMO_STREET).first()
        assert other is not None and other.code and micro.code and grid.code
        x0, y0, x1, y1 = await _bounds(micro)
        bowtie = {
            "type": "Polygon",
            "coordinates": [[[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]],
        }
        file = collection(
            (micro.code, box(x0, y0, x1, y1)),
            (other.code, box(x0, y0, x1, y1)),
            (grid.code, bowtie),
        )
        before = await _versions()
        # when the street admin imports it
        result = await _import(client, await login(client, "street_admin"), file)
        # then both problems are listed by feature, and nothing is written
        assert result["__typename"] == "ImportBoundariesSuccess"
        assert result["areasUpdated"] == 0 and result["problemCount"] == 2
        problems = result["problems"]
        assert [(p["index"], p["areaCode"], p["code"]) for p in problems] == [
            (1, other.code, "NOT_ADMINISTERED"),
            (2, grid.code, "INVALID_GEOMETRY"),
        ]
        assert "Self-intersection" in problems[1]["message"]
        assert await _versions() == before

    async def test_not_json_is_a_field_error(self, db: Database, client: httpx.AsyncClient) -> None:
        result = await _import(client, await login(client, "district_admin"), b"\xff\xfe{")
        assert (result["__typename"], result["code"], result["field"]) == (
            "InvalidInput",
            "INVALID_INPUT",
            "file",
        )

    async def test_not_for_non_admins(self, db: Database, client: httpx.AsyncClient) -> None:
        micro = await Area.get(name=M)
        assert micro.code is not None
        before = await _versions()
        file = collection((micro.code, box(*await _bounds(micro))))
        result = await _import(client, await login(client, "grid_leader"), file)
        assert (result["__typename"], result["code"]) == ("Forbidden", "FORBIDDEN")
        assert await _versions() == before


class TestBoundaryProblems:
    async def test_overlap_gap_and_child_outside_each_drawable(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given M grown west out of its grid and north over its sibling, and the grid's
        # northernmost micro-grid shrunk to its southern half (a gap in the grid)
        micro = await Area.get(name=M)
        grid = await Area.get(id=micro.parent_id)
        kids = [a for a in await Area.filter(parent_id=grid.id) if a.id != micro.id]
        bounds = {a.id: await _bounds(a) for a in kids}
        last = max(kids, key=lambda a: bounds[a.id][3])
        assert micro.code and last.code and grid.code
        x0, y0, x1, y1 = await _bounds(micro)
        w, h = x1 - x0, y1 - y0
        lx0, ly0, lx1, ly1 = bounds[last.id]
        file = collection(
            (micro.code, box(x0 - w / 2, y0, x1, y1 + h / 2)),
            (last.code, box(lx0, ly0, lx1, ly0 + (ly1 - ly0) / 2)),
        )
        # (by the operator at the shell: an admin's import may not stick out of the area above)
        assert (await import_boundaries_as_operator(collection=file)).imported == 2
        # when the community admin lists the problems under the grid
        community = await login(client, "community_admin")
        body = await gql(client, PROBLEMS, {"under": gid("Area", grid.id)}, token=community)
        # then the overlap, the gap and the child outside are there, each with its piece
        assert "errors" not in body, body
        nodes = [e["node"] for e in body["data"]["boundaryProblems"]["edges"]]
        assert body["data"]["boundaryProblems"]["totalCount"] == len(nodes)
        by_code = {n["code"]: n for n in nodes}
        assert {"OVERLAP", "GAP", "OUTSIDE_PARENT"} <= set(by_code)
        assert by_code["OUTSIDE_PARENT"]["areas"] == [micro.code, grid.code]
        assert micro.code in by_code["OVERLAP"]["areas"]
        assert by_code["GAP"]["areas"] == [grid.code]
        for node in nodes:
            assert node["size"] > 0 and "Polygon" in node["geometry"]["type"]
            assert shape(node["geometry"]).is_valid
        # the piece outside is the strip west of the grid, in GCJ-02 as asked
        outside = shape(by_code["OUTSIDE_PARENT"]["geometry"])
        west, south = wgs84_to_gcj02(x0 - w / 2, y0)
        # (to ~10 m: the datum shifts each vertex by its own few hundred metres)
        assert outside.bounds[:2] == pytest.approx((west, south), abs=1e-4)
        assert abs(outside.bounds[0] - (x0 - w / 2)) > 1e-3

    async def test_paged(self, db: Database, client: httpx.AsyncClient) -> None:
        # given M grown west out of its grid and north over its sibling (two problems at least)
        micro = await Area.get(name=M)
        grid = await Area.get(id=micro.parent_id)
        assert micro.code is not None
        x0, y0, x1, y1 = await _bounds(micro)
        w, h = x1 - x0, y1 - y0
        token = await login(client, "district_admin")
        file = collection((micro.code, box(x0 - w / 2, y0, x1, y1 + h / 2)))
        assert (await import_boundaries_as_operator(collection=file)).imported == 1
        under = gid("Area", grid.id)
        whole = await gql(client, PROBLEMS, {"under": under}, token=token)
        everything = [e["node"] for e in whole["data"]["boundaryProblems"]["edges"]]
        assert len(everything) >= 2
        # when read one at a time
        seen = []
        after = None
        while True:
            body = await gql(
                client, PROBLEMS, {"under": under, "first": 1, "after": after}, token=token
            )
            page = body["data"]["boundaryProblems"]
            seen += [e["node"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        # then the pages hold the whole list, in order
        assert seen == everything

    async def test_admins_of_the_subtree_only(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        district = await Area.get(code=DISTRICT_CODE)
        micro = await Area.get(name=M)
        for user, under in (("community_admin", district.id), ("microgrid_leader", micro.id)):
            body = await gql(
                client, PROBLEMS, {"under": gid("Area", under)}, token=await login(client, user)
            )
            assert body["data"] is None or body["data"]["boundaryProblems"] is None
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
