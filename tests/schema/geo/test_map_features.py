"""mapFeatures: the net as a GeoJSON layer, its figures, scope, and a constant statement count."""

from __future__ import annotations

import httpx
import pytest
from shapely.geometry import shape

from seed.demo import DEMO_COMMUNITY, DEMO_GRID
from services.enums import AreaLevel
from services.geo import features as features_module
from services.grids.coverage import coverage_figures
from services.kit.paths import in_subtree
from services.models import Area
from tests.conftest import Database, gql, login
from tests.schema.grids_support import gid
from tests.schema.test_statement_count import _count_statements

MAP = """
query Map($under: ID!, $level: AreaLevel, $datum: Datum!) {
  mapFeatures(under: $under, level: $level, datum: $datum)
}
"""


async def _map(
    client: httpx.AsyncClient, under: Area, token: str | None, level: str | None = "MICRO_GRID"
) -> dict[str, object]:
    body = await gql(
        client,
        MAP,
        {"under": gid("Area", under.id), "level": level, "datum": "WGS84"},
        token=token,
    )
    assert "errors" not in body, body
    result: dict[str, object] = body["data"]["mapFeatures"]
    return result


class TestMapFeatures:
    async def test_shape_and_figures(self, client: httpx.AsyncClient, db: Database) -> None:
        # given the community admin and the micro-grids of the community
        community = await Area.get(name=DEMO_COMMUNITY)
        micro = await Area.filter(in_subtree(community.path), level=AreaLevel.MICRO_GRID).order_by(
            "id"
        )
        token = await login(client, "community_admin")
        # when the micro-grid layer is asked for
        layer = await _map(client, community, token)
        # then a FeatureCollection, one feature per micro-grid, with its figures
        assert layer["type"] == "FeatureCollection"
        features = layer["features"]
        assert isinstance(features, list)
        assert [f["properties"]["id"] for f in features] == [gid("Area", m.id) for m in micro]
        assert [f["id"] for f in features] == [gid("Area", m.id) for m in micro]
        first = features[0]
        assert first["geometry"]["type"] == "Polygon"
        (figures,) = await coverage_figures([micro[0].id])
        props = first["properties"]
        assert props["code"] == micro[0].code and props["level"] == "MICRO_GRID"
        assert props["households"] == figures.households
        assert props["assignedHouseholds"] == figures.assigned_households
        assert isinstance(props["openWorkOrders"], int)
        assert any(h["role"] == "MICRO_GRID_LEADER" for h in props["leaders"])

    async def test_default_level_and_anonymous(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        community = await Area.get(name=DEMO_COMMUNITY)
        grids = await Area.filter(parent_id=community.id).count()
        layer = await _map(client, community, None, level=None)
        features = layer["features"]
        assert isinstance(features, list) and len(features) == grids
        props = features[0]["properties"]
        assert props["level"] == "GRID" and props["leaders"]
        assert props["households"] is None and props["openWorkOrders"] is None

    async def test_feature_id_is_the_global_id_area_at_gives(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        # given the micro-grid layer of the demo community, and a point inside its first feature
        community = await Area.get(name=DEMO_COMMUNITY)
        layer = await _map(client, community, None)
        features = layer["features"]
        assert isinstance(features, list)
        point = shape(features[0]["geometry"]).representative_point()
        # when areaAt is asked there, then it names the feature's id
        body = await gql(
            client,
            "query($lon: Float!, $lat: Float!) { areaAt(longitude: $lon, latitude: $lat) { id } }",
            {"lon": point.x, "lat": point.y},
        )
        assert body["data"]["areaAt"]["id"] == features[0]["id"]

    async def test_anonymous_callers_get_a_smaller_layer(
        self, client: httpx.AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a cap for callers not signed in below the community's micro-grids
        monkeypatch.setattr(features_module, "ANONYMOUS_MAX_FEATURES", 1)
        community = await Area.get(name=DEMO_COMMUNITY)
        variables = {"under": gid("Area", community.id), "level": "MICRO_GRID", "datum": "WGS84"}
        # when asked without signing in, then refused with a hint; signed in, answered
        body = await gql(client, MAP, variables)
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        assert "sign in" in body["errors"][0]["message"]
        assert len((await _map(client, community, await login(client, "resident")))["features"]) > 1  # type: ignore[arg-type]

    async def test_statements_do_not_grow_with_the_areas(
        self, client: httpx.AsyncClient, db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        token = await login(client, "community_admin")
        grid = await Area.get(name=DEMO_GRID)
        community = await Area.get(name=DEMO_COMMUNITY)
        counts = []
        sizes = []
        for under in (grid, community):
            async with _count_statements(caplog, db.backend) as seen:
                layer = await _map(client, under, token)
            features = layer["features"]
            assert isinstance(features, list)
            sizes.append(len(features))
            counts.append(len(seen.logged))
        assert sizes[0] < sizes[1]
        assert counts[0] == counts[1], counts
