"""GraphQL simulatePointsRule: a rule's past awards replayed over HTTP, typed errors, nothing
written."""

from __future__ import annotations

import httpx
import pytest
from strawberry import relay

from services.models import PointsAward, PointsTransaction
from tests.conftest import gql, login
from tests.services.points_support import Clock, award, community, local, rule

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

SIMULATE = """
mutation Simulate($input: SimulatePointsRuleInput!) {
  simulatePointsRule(input: $input) {
    __typename
    ... on SimulatePointsRuleSuccess {
      ruleCode awards refused cost simulatedCost difference peopleCount changedCount cappedCount
      people { name received simulated difference refused capsHit person { name } }
      capped { name capsHit community { name } }
      communityCount
      communities {
        cost simulatedCost community { name }
        rule { points capPerDay } simulatedRule { points capPerDay capPerMonth }
      }
    }
    ... on Error { code message field }
  }
}
"""


class TestSimulatePointsRule:
    async def test_a_day_cap_tried_over_graphql(self, client: httpx.AsyncClient) -> None:
        # given three awards of T_HOUR (10 a unit, no cap) in the demo community
        clock = Clock(local(2026, 5, 4, 9))
        await rule()
        await award("resident", quantity=2)
        clock.set(local(2026, 5, 4, 10))
        await award("resident", quantity=2)
        await award("volunteer", quantity=1)
        clock.set(local(2026, 5, 12, 9))
        written = (await PointsAward.all().count(), await PointsTransaction.all().count())
        under = str(relay.GlobalID("Area", str((await community()).id)))
        admin = await login(client, "community_admin")
        variables = {
            "input": {
                "ruleCode": "t_hour",
                "under": under,
                "changes": {"capPerDay": 30, "capPerMonth": 100},
                "from": "2026-05-01T00:00:00+08:00",
                "to": "2026-05-12T00:00:00+08:00",
            }
        }
        # when a day cap of 30 is tried
        body = await gql(client, SIMULATE, variables, token=admin)
        result = body["data"]["simulatePointsRule"]
        assert result["__typename"] == "SimulatePointsRuleSuccess", result
        # then the resident's second award is refused by it
        assert (result["ruleCode"], result["awards"], result["refused"]) == ("T_HOUR", 3, 1)
        assert (result["cost"], result["simulatedCost"], result["difference"]) == (50, 30, -20)
        assert (result["peopleCount"], result["changedCount"], result["cappedCount"]) == (2, 1, 1)
        (person,) = result["people"]
        assert (person["received"], person["simulated"], person["capsHit"]) == (40, 20, ["DAY"])
        assert person["person"]["name"] == person["name"]
        assert result["capped"][0]["community"]["name"] == "颜山社区"
        (pool,) = result["communities"]
        assert pool["rule"] == {"points": 10, "capPerDay": None}
        assert pool["simulatedRule"] == {"points": 10, "capPerDay": 30, "capPerMonth": 100}
        assert (pool["cost"], pool["simulatedCost"], result["communityCount"]) == (50, 30, 1)
        # and nothing was written
        assert (await PointsAward.all().count(), await PointsTransaction.all().count()) == written
        # and a window reaching into the future is an InvalidInput on `to`
        variables["input"]["to"] = "2026-06-01T00:00:00+08:00"
        body = await gql(client, SIMULATE, variables, token=admin)
        refused = body["data"]["simulatePointsRule"]
        assert (refused["__typename"], refused["field"]) == ("InvalidInput", "to")
        # and a grid leader is Forbidden
        variables["input"]["to"] = "2026-05-12T00:00:00+08:00"
        body = await gql(client, SIMULATE, variables, token=await login(client, "grid_leader"))
        assert body["data"]["simulatePointsRule"]["__typename"] == "Forbidden"
