"""`Household.number` (户号): the key imports and exports know a household by."""

from __future__ import annotations

import httpx

from services.models import Household
from tests.conftest import gql, login
from tests.schema.grids_support import gid, micro_grid_m


async def test_every_household_shows_its_number(client: httpx.AsyncClient) -> None:
    token = await login(client, "community_admin")
    micro = await micro_grid_m()
    home = await Household.filter(micro_grid_id=micro.id).order_by("id").first()
    assert home is not None
    query = "query ($id: ID!) { node(id: $id) { ... on Household { number address } } }"
    body = await gql(client, query, {"id": gid("Household", home.id)}, token=token)
    # the demo's households were registered through the API: H and the id on 8 digits
    assert body["data"]["node"] == {"number": f"H{home.id:08d}", "address": home.address}
