"""GraphQL of the evaluation scheme: the demo's published quarter, a whole quarter run over
GraphQL by the street admin, visibility, typed errors, nodes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import relay

from services.models import Area
from tests.conftest import gql, login

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

OTHER = "西冶街社区"  # a sibling of the demo community: a clean slate for a whole quarter


async def _area_id(name: str) -> str:
    area = await Area.get(name=name)
    return str(relay.GlobalID("Area", str(area.id)))


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
RANKINGS = """
query Rankings($under: ID!, $period: ID!, $role: Role!, $first: Int, $after: String) {
  rankings(under: $under, periodId: $period, role: $role, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id total communityRank streetRank person { name } } }
  }
}
"""


async def test_demo_quarter_is_published_with_red_flags(client: httpx.AsyncClient) -> None:
    token = await login(client, "grid_leader")
    community = await _area_id("颜山社区")
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
        {"id": (await _area_id("颜山第一网格"))},
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
        {"under": community, "period": published["id"], "role": "CENTRAL_HOUSEHOLD", "first": 2},
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
        {"under": await _area_id("城西街道"), "period": published["id"], "role": "GRID_LEADER"},
        token=resident,
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(client, RED_FLAGS, {"under": community})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


SCHEME = """
mutation Scheme($input: UpdateEvaluationSchemeInput!) {
  updateEvaluationScheme(input: $input) {
    __typename
    ... on UpdateEvaluationSchemeSuccess {
      scheme { version detailedRules { version manualItems { code maxScore } } }
    }
    ... on Error { code message field }
  }
}
"""
OPEN = """
mutation Open($input: OpenEvaluationPeriodInput!) {
  openEvaluationPeriod(input: $input) {
    __typename
    ... on EvaluationPeriodSuccess { period { id quarter status } }
    ... on Error { code message field }
  }
}
"""
START = """
mutation Start($input: PeriodInput!) {
  startScoring(input: $input) {
    __typename
    ... on EvaluationPeriodSuccess { period { id status scoringStartedAt } }
    ... on Error { code message field }
  }
}
"""
ADJUST = """
mutation Adjust($input: AdjustEvaluationScoreInput!) {
  adjustEvaluationScore(input: $input) {
    __typename
    ... on AdjustEvaluationScoreSuccess {
      adjustment { id points itemCode }
      evaluation { total dimensions { dimension score } }
    }
    ... on Error { code message field }
  }
}
"""
PUBLISH = """
mutation Publish($input: PeriodInput!) {
  publishEvaluationPeriod(input: $input) {
    __typename
    ... on PublishEvaluationPeriodSuccess { period { status publishedAt } redFlags { kind } }
    ... on Error { code message field }
  }
}
"""


def _result(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]
    return result


async def test_a_quarter_run_over_graphql(client: httpx.AsyncClient) -> None:
    admin = await login(client, "street_admin")
    community = await _area_id(OTHER)
    body = await gql(
        client,
        SCHEME,
        {
            "input": {
                "areaId": community,
                "manualItems": [
                    {
                        "code": "monthly_meeting",
                        "name": "参加月度例会",
                        "dimension": "MANAGEMENT_SERVICE",
                        "maxScore": 5,
                    }
                ],
            }
        },
        token=admin,
    )
    scheme = _result(body, "updateEvaluationScheme")["scheme"]
    assert scheme["detailedRules"]["manualItems"] == [{"code": "MONTHLY_MEETING", "maxScore": 5}]
    # bad input is a typed error and changes nothing
    body = await gql(
        client, SCHEME, {"input": {"areaId": community, "exitThreshold": 50}}, token=admin
    )
    assert _result(body, "updateEvaluationScheme")["code"] == "INVALID_INPUT"

    body = await gql(
        client, OPEN, {"input": {"areaId": community, "quarter": "2026Q1"}}, token=admin
    )
    period = _result(body, "openEvaluationPeriod")["period"]
    assert period["status"] == "OPEN"
    body = await gql(
        client, OPEN, {"input": {"areaId": community, "quarter": "2026Q1"}}, token=admin
    )
    assert _result(body, "openEvaluationPeriod")["code"] == "CONFLICT"
    body = await gql(
        client, OPEN, {"input": {"areaId": community, "quarter": "2099Q1"}}, token=admin
    )
    assert _result(body, "openEvaluationPeriod")["field"] == "quarter"
    # a micro-grid leader may not run it
    leader = await login(client, "microgrid_leader")
    body = await gql(client, START, {"input": {"periodId": period["id"]}}, token=leader)
    assert _result(body, "startScoring")["__typename"] in {"NotFound", "Forbidden"}
    body = await gql(client, START, {"input": {"periodId": period["id"]}}, token=admin)
    assert _result(body, "startScoring")["period"]["status"] == "SCORING"

    body = await gql(
        client,
        RANKINGS,
        {"under": community, "period": period["id"], "role": "MICRO_GRID_LEADER", "first": 100},
        token=admin,
    )
    ranked = _result(body, "rankings")
    assert ranked["totalCount"] == len(ranked["edges"]) > 1
    assert [e["node"]["communityRank"] for e in ranked["edges"]] == list(
        range(1, ranked["totalCount"] + 1)
    )
    last = ranked["edges"][-1]["node"]
    body = await gql(
        client,
        ADJUST,
        {
            "input": {
                "evaluationId": last["id"],
                "itemCode": "MONTHLY_MEETING",
                "points": 5,
                "reason": "全勤",
            }
        },
        token=admin,
    )
    adjusted = _result(body, "adjustEvaluationScore")
    assert adjusted["adjustment"]["itemCode"] == "MONTHLY_MEETING"
    management = next(
        d for d in adjusted["evaluation"]["dimensions"] if d["dimension"] == "MANAGEMENT_SERVICE"
    )
    assert management["score"] >= 5
    body = await gql(
        client,
        ADJUST,
        {
            "input": {
                "evaluationId": last["id"],
                "itemCode": "MONTHLY_MEETING",
                "points": 9,
                "reason": "超出上限",
            }
        },
        token=admin,
    )
    assert _result(body, "adjustEvaluationScore")["field"] == "points"

    body = await gql(client, PUBLISH, {"input": {"periodId": period["id"]}}, token=admin)
    published = _result(body, "publishEvaluationPeriod")
    assert published["period"]["status"] == "PUBLISHED"
    again = await gql(client, PUBLISH, {"input": {"periodId": period["id"]}}, token=admin)
    assert _result(again, "publishEvaluationPeriod")["redFlags"] == published["redFlags"]
    body = await gql(
        client,
        ADJUST,
        {
            "input": {
                "evaluationId": last["id"],
                "dimension": "PROBLEM_HANDLING",
                "points": 3,
                "reason": "迟到的调整",
            }
        },
        token=admin,
    )
    assert _result(body, "adjustEvaluationScore")["code"] == "CONFLICT"
    # The evaluation is a node; people of the demo community cannot read it.
    body = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Evaluation { total } } }",
        {"id": last["id"]},
        token=await login(client, "resident"),
    )
    assert body["data"]["node"] is None


async def test_training_over_graphql(client: httpx.AsyncClient) -> None:
    admin = await login(client, "community_admin")
    community = await _area_id("颜山社区")
    body = await gql(
        client,
        """mutation($input: CreateTrainingSessionInput!) { createTrainingSession(input: $input) {
             __typename ... on TrainingSessionSuccess { session { id topic attendanceCount } }
             ... on Error { code field } } }""",
        {
            "input": {
                "areaId": community,
                "topic": "消防安全培训",
                "place": "社区会议室",
                "startsAt": "2026-01-05T09:00:00+08:00",
            }
        },
        token=admin,
    )
    session = _result(body, "createTrainingSession")["session"]
    people = await gql(
        client, "{ viewer { person { id } } }", token=await login(client, "grid_leader")
    )
    person = people["data"]["viewer"]["person"]["id"]
    record = """mutation($input: RecordAttendanceInput!) { recordAttendance(input: $input) {
        __typename ... on TrainingSessionSuccess { session { attendanceCount attendees { name } } }
        ... on Error { code field } } }"""
    for _ in range(2):  # recording twice changes nothing
        body = await gql(
            client,
            record,
            {"input": {"sessionId": session["id"], "personIds": [person]}},
            token=admin,
        )
        recorded = _result(body, "recordAttendance")["session"]
        assert recorded["attendanceCount"] == 1
        assert recorded["attendees"] == [{"name": "王德明"}]
    body = await gql(
        client,
        """query($id: ID!) { node(id: $id) { ... on Area {
             trainingCoverage(year: 2026) { year holders trained share } } } }""",
        {"id": community},
        token=admin,
    )
    coverage = body["data"]["node"]["trainingCoverage"]
    assert coverage["year"] == 2026 and coverage["trained"] >= 1
    assert 0 < coverage["share"] <= 1
    body = await gql(
        client,
        "query($u: ID!) { trainingSessions(under: $u) { totalCount edges { node { topic } } } }",
        {"u": await _area_id("颜山第一网格")},
        token=await login(client, "resident"),
    )
    topics = [e["node"]["topic"] for e in body["data"]["trainingSessions"]["edges"]]
    assert "消防安全培训" in topics


AREA_RANKINGS = """
query Areas($under: ID!, $period: ID!, $level: AreaLevel!) {
  areaRankings(under: $under, periodId: $period, level: $level, first: 3) {
    totalCount
    edges { node { rank score holders holdersMean activity area { name level } } }
  }
}
"""


async def test_area_rankings_of_the_published_quarter(client: httpx.AsyncClient) -> None:
    resident = await login(client, "resident")
    community = await _area_id("颜山社区")
    body = await gql(client, PERIODS, {"under": community}, token=resident)
    published = body["data"]["evaluationPeriods"]["edges"][1]["node"]
    body = await gql(
        client,
        AREA_RANKINGS,
        {"under": community, "period": published["id"], "level": "GRID"},
        token=resident,
    )
    ranked = _result(body, "areaRankings")
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
        {"under": await _area_id("城西街道"), "period": published["id"], "level": "GRID"},
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
