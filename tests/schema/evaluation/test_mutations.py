"""GraphQL mutations of the evaluation scheme: a whole quarter run by the street admin
(scheme, open, score, adjust, publish) with typed errors, and training.
"""

from __future__ import annotations

import httpx
import pytest
from strawberry import relay

from services.enums import PeriodStatus
from services.kit import clock as service_clock
from services.models import EvaluationPeriod, EvaluationResult, ExitReview
from tests.conftest import gql, login
from tests.schema.evaluation.support import OTHER, RANKINGS, area_id, result_of
from tests.services.points_support import Clock

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


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


class TestPublishEvaluationPeriod:
    """A quarter run over GraphQL from scheme to publication."""

    async def test_a_quarter_run_over_graphql(self, client: httpx.AsyncClient) -> None:
        admin = await login(client, "street_admin")
        community = await area_id(OTHER)
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
        scheme = result_of(body, "updateEvaluationScheme")["scheme"]
        assert scheme["detailedRules"]["manualItems"] == [
            {"code": "MONTHLY_MEETING", "maxScore": 5}
        ]
        # bad input is a typed error and changes nothing
        body = await gql(
            client, SCHEME, {"input": {"areaId": community, "exitThreshold": 50}}, token=admin
        )
        assert result_of(body, "updateEvaluationScheme")["code"] == "INVALID_INPUT"

        body = await gql(
            client, OPEN, {"input": {"areaId": community, "quarter": "2026Q1"}}, token=admin
        )
        period = result_of(body, "openEvaluationPeriod")["period"]
        assert period["status"] == "OPEN"
        body = await gql(
            client, OPEN, {"input": {"areaId": community, "quarter": "2026Q1"}}, token=admin
        )
        assert result_of(body, "openEvaluationPeriod")["code"] == "CONFLICT"
        body = await gql(
            client, OPEN, {"input": {"areaId": community, "quarter": "2099Q1"}}, token=admin
        )
        assert result_of(body, "openEvaluationPeriod")["field"] == "quarter"
        # a micro-grid leader may not run it
        leader = await login(client, "microgrid_leader")
        body = await gql(client, START, {"input": {"periodId": period["id"]}}, token=leader)
        assert result_of(body, "startScoring")["__typename"] in {"NotFound", "Forbidden"}
        body = await gql(client, START, {"input": {"periodId": period["id"]}}, token=admin)
        assert result_of(body, "startScoring")["period"]["status"] == "SCORING"

        body = await gql(
            client,
            RANKINGS,
            {"under": community, "period": period["id"], "role": "MICRO_GRID_LEADER", "first": 100},
            token=admin,
        )
        ranked = result_of(body, "rankings")
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
        adjusted = result_of(body, "adjustEvaluationScore")
        assert adjusted["adjustment"]["itemCode"] == "MONTHLY_MEETING"
        management = next(
            d
            for d in adjusted["evaluation"]["dimensions"]
            if d["dimension"] == "MANAGEMENT_SERVICE"
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
        assert result_of(body, "adjustEvaluationScore")["field"] == "points"

        body = await gql(client, PUBLISH, {"input": {"periodId": period["id"]}}, token=admin)
        published = result_of(body, "publishEvaluationPeriod")
        assert published["period"]["status"] == "PUBLISHED"
        again = await gql(client, PUBLISH, {"input": {"periodId": period["id"]}}, token=admin)
        assert result_of(again, "publishEvaluationPeriod")["redFlags"] == published["redFlags"]
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
        assert result_of(body, "adjustEvaluationScore")["code"] == "CONFLICT"
        # The evaluation is a node; people of the demo community cannot read it.
        body = await gql(
            client,
            "query($id: ID!) { node(id: $id) { ... on Evaluation { total } } }",
            {"id": last["id"]},
            token=await login(client, "resident"),
        )
        assert body["data"]["node"] is None


class TestRecordAttendance:
    """Training sessions and attendance over GraphQL."""

    async def test_training_over_graphql(self, client: httpx.AsyncClient) -> None:
        admin = await login(client, "community_admin")
        community = await area_id("颜山社区")
        body = await gql(
            client,
            """mutation($input: CreateTrainingSessionInput!) {
             createTrainingSession(input: $input) {
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
        session = result_of(body, "createTrainingSession")["session"]
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
            recorded = result_of(body, "recordAttendance")["session"]
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
            "query($u: ID!) { trainingSessions(under: $u) "
            "{ totalCount edges { node { topic } } } }",
            {"u": await area_id("颜山第一网格")},
            token=await login(client, "resident"),
        )
        topics = [e["node"]["topic"] for e in body["data"]["trainingSessions"]["edges"]]
        assert "消防安全培训" in topics


START_EARLY = """
mutation Start($input: PeriodInput!) {
  startScoring(input: $input) {
    __typename
    ... on EvaluationPeriodSuccess { period { id status scoredEarlyReason } }
    ... on Error { code message field }
  }
}
"""


PUBLISH_EARLY = """
mutation Publish($input: PeriodInput!) {
  publishEvaluationPeriod(input: $input) {
    __typename
    ... on PublishEvaluationPeriodSuccess { period { status publishedEarlyReason } }
    ... on Error { code message field }
  }
}
"""


class TestEarlyEvaluation:
    """A quarter still running is scored and published only with an admin's reason."""

    async def test_the_running_quarter_needs_an_early_reason(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the current quarter opened for the sibling community (the clock stopped, so it
        # does not end during the test at a calendar edge)
        Clock(service_clock.now())
        admin = await login(client, "street_admin")
        body = await gql(client, OPEN, {"input": {"areaId": await area_id(OTHER)}}, token=admin)
        period_id = result_of(body, "openEvaluationPeriod")["period"]["id"]
        key = int(relay.GlobalID.from_id(period_id).node_id)
        # when it is scored without a reason, then it is refused and nothing is scored
        body = await gql(client, START_EARLY, {"input": {"periodId": period_id}}, token=admin)
        refused = result_of(body, "startScoring")
        assert (refused["__typename"], refused["code"], refused["field"]) == (
            "Conflict",
            "CONFLICT",
            "earlyReason",
        )
        assert (await EvaluationPeriod.get(id=key)).status is PeriodStatus.OPEN
        assert await EvaluationResult.filter(period_id=key).count() == 0
        # when it is scored and published with a reason, then both reasons are recorded
        early = {"periodId": period_id, "earlyReason": "换届前提前评估"}
        body = await gql(client, START_EARLY, {"input": early}, token=admin)
        assert result_of(body, "startScoring")["period"]["scoredEarlyReason"] == "换届前提前评估"
        body = await gql(client, PUBLISH_EARLY, {"input": {"periodId": period_id}}, token=admin)
        assert result_of(body, "publishEvaluationPeriod")["field"] == "earlyReason"
        assert await ExitReview.filter(period_id=key).count() == 0
        body = await gql(client, PUBLISH_EARLY, {"input": early}, token=admin)
        published = result_of(body, "publishEvaluationPeriod")["period"]
        assert published == {"status": "PUBLISHED", "publishedEarlyReason": "换届前提前评估"}
        stored = await EvaluationPeriod.get(id=key)
        assert (stored.status, stored.scored_early_reason, stored.published_early_reason) == (
            PeriodStatus.PUBLISHED,
            "换届前提前评估",
            "换届前提前评估",
        )
