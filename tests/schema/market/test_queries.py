"""The marketplace as read through the API."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import gql, login

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestViewerRedemptions:
    """viewer.redemptions and rewards on the demo data."""

    async def test_demo_has_a_pending_redemption(self, client: httpx.AsyncClient) -> None:
        volunteer = await login(client, "volunteer")
        query = """{ viewer { pointsAccount { balance held available }
          redemptions(status: HELD) { edges { node { status pickupCode reward { name
            provider { kind } } } } } } }"""
        body = await gql(client, query, token=volunteer)
        viewer = body["data"]["viewer"]
        assert viewer["pointsAccount"]["held"] == 30
        (held,) = viewer["redemptions"]["edges"]
        assert (
            held["node"]["pickupCode"] and held["node"]["reward"]["provider"]["kind"] == "COMMUNITY"
        )
        body = await gql(client, "{ rewards { edges { node { provider { kind name } } } } }")
        kinds = {e["node"]["provider"]["kind"] for e in body["data"]["rewards"]["edges"]}
        assert kinds == {"COMMUNITY", "PARTNER_UNIT"}
