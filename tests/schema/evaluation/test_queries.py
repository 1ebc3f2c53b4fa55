"""GraphQL queries of the evaluation scheme: the demo's published quarter, red flags,
rankings of role holders and of areas.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import gql, login
from tests.schema.evaluation.support import RANKINGS, area_id, result_of

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


PERIODS = """
query Periods($under: ID!) {
  evaluationPeriods(under: $under) {
    totalCount
    edges { node { id quarter status area { name } scheme { version roles { role } } } }
  }
}
"""


RED_FLAGS = """
query Flags($under: ID!, $period: ID) {
  redFlags(under: $under, periodId: $period) {
    id kind quarter rank score bonusPoints
    area { name level } person { name }
    transaction { points kind }
  }
}
"""


AREA_RANKINGS = """
query Areas($under: ID!, $period: ID!, $level: AreaLevel!) {
  areaRankings(under: $under, periodId: $period, level: $level, first: 3) {
    totalCount
    edges { node { rank score holders holdersMean activity area { name level } } }
  }
}
"""


class TestRedFlags:
    """The demo's published quarter with its red flags and rankings."""

    async def test_demo_quarter_is_published_with_red_flags(
        self, client: httpx.AsyncClient
    ) -> None:
        token = await login(client, "grid_leader")
        community = await area_id("颜山社区")
        body = await gql(client, PERIODS, {"under": community}, token=token)
        periods = [e["node"] for e in body["data"]["evaluationPeriods"]["edges"]]
        assert [p["status"] for p in periods] == ["OPEN", "PUBLISHED"]
        published = periods[1]
        assert published["scheme"]["version"] == 1
        body = await gql(client, RED_FLAGS, {"under": community}, token=token)
        flags = body["data"]["redFlags"]
        kinds = sorted(f["kind"] for f in flags)
        assert kinds.count("RED_FLAG_GRID") == 1
        assert kinds.count("RED_FLAG_CENTRAL_HOUSEHOLD") == 3
        grid = next(f for f in flags if f["kind"] == "RED_FLAG_GRID")
        assert grid["area"] == {"name": "颜山第一网格", "level": "GRID"}
        assert grid["person"]["name"] == "王德明"  # the demo grid leader
        assert grid["transaction"] == {"points": 50, "kind": "AWARD"}  # their own bonus
        # The viewer sees their own evaluation, with its dimensions and the manual items.
        mine = await gql(
            client,
            """{ viewer { evaluations { quarter total communityRank
             dimensions { dimension score maxScore details { kind label counted } }
             adjustments { itemCode points madeBy { name } } person { name } } } }""",
            token=token,
        )
        evaluations = mine["data"]["viewer"]["evaluations"]
        assert [e["quarter"] for e in evaluations] == [published["quarter"]]
        assert evaluations[0]["communityRank"] == 1
        assert len(evaluations[0]["dimensions"]) == 4
        assert {a["itemCode"] for a in evaluations[0]["adjustments"]} >= {"HOUSEHOLD_VISITS"}
        assert evaluations[0]["adjustments"][0]["madeBy"]["name"] == "张红梅"
        # The honours show on people and areas too.
        body = await gql(
            client,
            "query($id: ID!) { node(id: $id) { ... on Area { honours { kind quarter } } } }",
            {"id": (await area_id("颜山第一网格"))},
            token=token,
        )
        assert body["data"]["node"]["honours"] == [
            {"kind": "RED_FLAG_GRID", "quarter": published["quarter"]}
        ]
        # Published rankings are public within the community: a resident reads them ...
        resident = await login(client, "resident")
        body = await gql(
            client,
            RANKINGS,
            {
                "under": community,
                "period": published["id"],
                "role": "CENTRAL_HOUSEHOLD",
                "first": 2,
            },
            token=resident,
        )
        page = body["data"]["rankings"]
        assert [e["node"]["communityRank"] for e in page["edges"]] == [1, 2]
        assert page["pageInfo"]["hasNextPage"] is True
        follow = await gql(
            client,
            RANKINGS,
            {
                "under": community,
                "period": published["id"],
                "role": "CENTRAL_HOUSEHOLD",
                "first": 2,
                "after": page["pageInfo"]["endCursor"],
            },
            token=resident,
        )
        assert [e["node"]["communityRank"] for e in follow["data"]["rankings"]["edges"]] == [3, 4]
        # ... but not under the street, and anonymous callers read nothing.
        body = await gql(
            client,
            RANKINGS,
            {"under": await area_id("城西街道"), "period": published["id"], "role": "GRID_LEADER"},
            token=resident,
        )
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await gql(client, RED_FLAGS, {"under": community})
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


class TestAreaRankings:
    """Grids and micro-grids ranked in a published quarter."""

    async def test_area_rankings_of_the_published_quarter(self, client: httpx.AsyncClient) -> None:
        resident = await login(client, "resident")
        community = await area_id("颜山社区")
        body = await gql(client, PERIODS, {"under": community}, token=resident)
        published = body["data"]["evaluationPeriods"]["edges"][1]["node"]
        body = await gql(
            client,
            AREA_RANKINGS,
            {"under": community, "period": published["id"], "level": "GRID"},
            token=resident,
        )
        ranked = result_of(body, "areaRankings")
        nodes = [e["node"] for e in ranked["edges"]]
        assert [n["rank"] for n in nodes] == list(range(1, len(nodes) + 1))
        assert nodes[0]["area"] == {"name": "颜山第一网格", "level": "GRID"}  # the red flag grid
        assert nodes == sorted(nodes, key=lambda n: -n["score"])
        for node in nodes:  # score = 0.8 x holders' mean + 0.2 x activity
            assert abs(node["score"] - (0.8 * node["holdersMean"] + 0.2 * node["activity"])) < 0.02
        # micro-grids only rank within a community, and a district is refused
        body = await gql(
            client,
            AREA_RANKINGS,
            {"under": await area_id("城西街道"), "period": published["id"], "level": "GRID"},
            token=await login(client, "street_admin"),
        )
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
        body = await gql(
            client,
            AREA_RANKINGS,
            {"under": community, "period": published["id"], "level": "COMMUNITY"},
            token=resident,
        )
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
