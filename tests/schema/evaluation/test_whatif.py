"""GraphQL simulateEvaluation: side by side over HTTP, typed errors, nothing written."""

from __future__ import annotations

import httpx
import pytest
from strawberry import relay

from services.enums import Role
from services.kit import clock as service_clock
from services.models import EvaluationHonour, EvaluationResult, Person, PointsTransaction
from tests.conftest import gql, login
from tests.services.evaluation_support import (
    CODES,
    POLICY,
    PROBLEMS,
    SIBLING,
    give,
    holders,
    make_rules,
    publish,
    scored,
    set_scheme,
)
from tests.services.points_support import Clock

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

SIMULATE = """
mutation Simulate($input: SimulateEvaluationInput!) {
  simulateEvaluation(input: $input) {
    __typename
    ... on SimulateEvaluationSuccess {
      evaluated moved
      moves { role total simulatedTotal rank simulatedRank rankChange person { name } }
      redFlags { kind rank score person { name } }
      simulatedRedFlags { kind rank score person { name } }
      simulatedScheme { exitThreshold roles { role dimensions { dimension weight } } }
    }
    ... on Error { code message field }
  }
}
"""

PROBLEMS_FIRST = [
    {"dimension": "PROBLEM_HANDLING", "weight": 70},
    {"dimension": "POLICY_COMMUNICATION", "weight": 10},
    {"dimension": "MANAGEMENT_SERVICE", "weight": 10},
    {"dimension": "INFORMATION_REPORTING", "weight": 10},
]


@pytest.fixture
def clock() -> Clock:
    """The ledger's clock, set by `give` to a moment inside the quarter being credited."""
    return Clock(service_clock.now())


class TestSimulateEvaluation:
    async def test_problem_handling_first_over_graphql(
        self, client: httpx.AsyncClient, clock: Clock
    ) -> None:
        # given the sibling community's 2025Q1 published with one red-flag household (policy 30
        # ahead of problems 20)
        await set_scheme(exit_threshold=0)
        await make_rules()
        households = await holders(SIBLING, Role.CENTRAL_HOUSEHOLD)
        await give(clock, "2025Q1", households[0].person_id, CODES[POLICY], 30)
        await give(clock, "2025Q1", households[1].person_id, CODES[PROBLEMS], 20)
        period = await publish(await scored(SIBLING, "2025Q1"))
        period_id = str(relay.GlobalID("EvaluationPeriod", str(period.id)))
        head = await PointsTransaction.all().order_by("-id").first()
        counts = (await EvaluationResult.all().count(), await EvaluationHonour.all().count())
        admin = await login(client, "street_admin")
        # when problem handling weighs 70
        body = await gql(
            client,
            SIMULATE,
            {"input": {"periodId": period_id, "changes": {"weights": PROBLEMS_FIRST}}},
            token=admin,
        )
        result = body["data"]["simulateEvaluation"]
        assert result["__typename"] == "SimulateEvaluationSuccess", result
        # then the problems household rises to first, and the household red flag moves to it
        moves = {m["person"]["name"]: m for m in result["moves"]}
        problems = await Person.get(id=households[1].person_id)
        assert (moves[problems.name]["rank"], moves[problems.name]["simulatedRank"]) == (2, 1)
        assert moves[problems.name]["simulatedTotal"] == 14.0
        flag = next(f for f in result["redFlags"] if f["kind"] == "RED_FLAG_CENTRAL_HOUSEHOLD")
        tried = next(
            f for f in result["simulatedRedFlags"] if f["kind"] == "RED_FLAG_CENTRAL_HOUSEHOLD"
        )
        assert flag["person"]["name"] != problems.name
        assert tried["person"]["name"] == problems.name
        weights = result["simulatedScheme"]["roles"][0]["dimensions"]
        assert {d["dimension"]: d["weight"] for d in weights}["PROBLEM_HANDLING"] == 70
        # and nothing was written
        assert await PointsTransaction.all().order_by("-id").first() == head
        assert (
            await EvaluationResult.all().count(),
            await EvaluationHonour.all().count(),
        ) == counts
        # and weights that do not sum to 100 are an InvalidInput on the field
        body = await gql(
            client,
            SIMULATE,
            {
                "input": {
                    "periodId": period_id,
                    "changes": {"weights": [{"dimension": "PROBLEM_HANDLING", "weight": 40}]},
                }
            },
            token=admin,
        )
        refused = body["data"]["simulateEvaluation"]
        assert (refused["__typename"], refused["field"]) == ("InvalidInput", "changes.weights")
        # and a grid leader is Forbidden
        body = await gql(
            client,
            SIMULATE,
            {"input": {"periodId": period_id, "changes": {}}},
            token=await login(client, "grid_leader"),
        )
        assert body["data"]["simulateEvaluation"]["__typename"] == "Forbidden"
