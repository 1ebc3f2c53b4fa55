"""Role holders are public by name; their phones follow the viewer's scope."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import gql, login
from tests.schema.test_grids import area, gid, micro_grid_m, person_of

HOLDERS = """
query Holders($id: ID!) {
  node(id: $id) { ... on Area { roleHolders { role person { name phone partyMember } } } }
}
"""


@pytest.mark.parametrize(
    ("username", "phone_shown"),
    [(None, False), ("resident", False), ("grid_leader", True), ("community_admin", True)],
)
async def test_micro_grid_leader_card_shows_phone_only_in_scope(
    client: httpx.AsyncClient, username: str | None, phone_shown: bool
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


async def test_an_admin_of_another_community_sees_no_phone(client: httpx.AsyncClient) -> None:
    # given another community's holders, read by 颜山社区's admin (outside their subtree)
    other = await area("古窑社区")
    token = await login(client, "community_admin")
    body = await gql(client, HOLDERS, {"id": gid("Area", other.id)}, token=token)
    holders = body["data"]["node"]["roleHolders"]
    assert holders, "the demo community has a community admin"
    assert all(h["person"]["phone"] is None for h in holders)
    assert all(h["person"]["name"] for h in holders)
