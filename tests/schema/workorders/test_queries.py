"""GraphQL queries of work orders: figures and categories, and lists whose statements do not
grow with the page."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from services.kit import clock
from services.models import Area, WorkOrder
from tests.conftest import Database, gql, login
from tests.schema.test_statement_count import _count_statements
from tests.schema.workorders_support import CATEGORIES, RESULT, gid, run
from tests.services.workorders_support import grid, place

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


STATS = """
query S($under: ID!, $period: String!) { workOrderStats(under: $under, period: $period) {
  orders open closed rejected cancelled medianMinutesToAccept medianMinutesToResolve
  breached breachRate rated meanRating } }"""


CREATE_CATEGORY = f"""
mutation K($input: CreateWorkOrderCategoryInput!) {{ createWorkOrderCategory(input: $input) {{
  {RESULT} ... on CreateWorkOrderCategorySuccess {{ category {{ id code name }} }} }} }}"""


UPDATE_CATEGORY = f"""
mutation U($input: UpdateWorkOrderCategoryInput!) {{ updateWorkOrderCategory(input: $input) {{
  {RESULT} ... on UpdateWorkOrderCategorySuccess {{ category {{ code active }} }} }} }}"""


def _recent() -> str:
    """The last twenty days up to tomorrow, as a period."""
    today = clock.now().date()
    return f"{today - timedelta(days=20)}..{today + timedelta(days=1)}"


PAGE = """
query P($under: ID!, $first: Int!) { workOrders(under: $under, first: $first) {
  edges { node { id status category { name } assignee { name } reporter { name }
    microGrid { name } household { address }
    timeline { action actor { name } targetArea { name } } } } } }"""


class TestWorkOrderStats:
    """Figures, with the categories they are counted by."""

    async def test_figures_and_categories(self, db: Database, client: httpx.AsyncClient) -> None:
        admin = await login(client, "community_admin")
        community = gid("Area", (await Area.get(name="颜山社区")).id)
        # the demo story's orders, all placed in the last ten days
        stats = await gql(
            client, STATS, {"under": community, "period": "2000-01-01..2002-12-31"}, token=admin
        )
        assert stats["data"]["workOrderStats"]["orders"] == 0
        assert stats["data"]["workOrderStats"]["breachRate"] is None
        total = await WorkOrder.all().count()
        stats = await gql(client, STATS, {"under": community, "period": _recent()}, token=admin)
        figures = stats["data"]["workOrderStats"]
        assert figures["orders"] == total
        ended = figures["closed"] + figures["rejected"] + figures["cancelled"]
        assert ended + figures["open"] == total
        assert figures["cancelled"] == 1  # the demo's errand the resident did herself
        assert figures["rated"] == 1 and figures["meanRating"] == 5.0
        assert figures["breached"] == 2
        for period in ("Q4", "9999Q4", "0001-01", "9999-12-01..9999-12-31"):
            bad = await gql(client, STATS, {"under": community, "period": period}, token=admin)
            assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT", period
        district = await login(client, "district_admin")
        created = await run(
            client,
            district,
            CREATE_CATEGORY,
            "createWorkOrderCategory",
            kind="PROBLEM_REPORT",
            code="GREEN_SPACE",
            name="绿化破坏",
            acceptWithinMinutes=60,
            resolveWithinHours=48,
        )
        assert created["category"]["code"] == "GREEN_SPACE"
        refused = await run(
            client,
            admin,
            CREATE_CATEGORY,
            "createWorkOrderCategory",
            kind="PROBLEM_REPORT",
            code="OTHER",
            name="其他",
            acceptWithinMinutes=60,
            resolveWithinHours=48,
        )
        assert refused["__typename"] == "Forbidden"
        retired = await run(
            client,
            district,
            UPDATE_CATEGORY,
            "updateWorkOrderCategory",
            categoryId=created["category"]["id"],
            active=False,
        )
        assert retired["category"] == {"code": "GREEN_SPACE", "active": False}
        listed = await gql(client, CATEGORIES, {"kind": "PROBLEM_REPORT"})
        assert "GREEN_SPACE" not in [c["code"] for c in listed["data"]["workOrderCategories"]]


class TestWorkOrders:
    @pytest.mark.parametrize("sizes", [(2, 8)])
    async def test_statements_do_not_grow_with_the_page(
        self,
        db: Database,
        client: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
        sizes: tuple[int, int],
    ) -> None:
        for _ in range(8):
            await place()
        token = await login(client, "grid_leader")
        under = gid("Area", (await grid()).id)
        counts = []
        for first in sizes:
            async with _count_statements(caplog, db.backend) as seen:
                body = await gql(client, PAGE, {"under": under, "first": first}, token=token)
            assert "errors" not in body, body
            edges = body["data"]["workOrders"]["edges"]
            assert len(edges) == first
            assert all(e["node"]["timeline"] for e in edges)
            counts.append(len(seen.logged))
        assert counts[0] == counts[1], counts
        assert counts[0] <= 20
