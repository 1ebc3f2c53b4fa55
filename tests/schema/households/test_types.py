"""Households through the API: a central household (中心户) reads the households it looks after
while its role lasts, and no longer once the role has ended."""

from __future__ import annotations

import httpx
from strawberry import relay

from services.enums import Role
from services.models import CareLink, Household, RoleAssignment
from tests.conftest import Database, actor_for, gql, login

READ = """
query R($person: ID!, $home: ID!, $area: ID!) {
  person: node(id: $person) { ... on Person { name phone } }
  home: node(id: $home) { ... on Household { address centralHousehold { name } } }
  area: node(id: $area) { ... on Area { coverage { centralHouseholdCoverage } } }
}
"""


END_ROLE = """
mutation E($input: EndRoleInput!) { endRole(input: $input) {
  __typename ... on EndRoleSuccess { assignment { until endReason } } ... on Error { code } } }
"""


def gid(type_name: str, key: int) -> str:
    return str(relay.GlobalID(type_name, str(key)))


class TestCentralHouseholdReads:
    async def test_a_central_household_loses_its_households_with_its_role(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        # given the demo central household, looking after the resident's household in M
        central = await actor_for("central_household")
        resident = await actor_for("resident")
        assert resident.household_id is not None
        role = await RoleAssignment.get(
            person_id=central.person_id, role=Role.CENTRAL_HOUSEHOLD, until=None
        )
        assert role.area_id is not None
        variables = {
            "person": gid("Person", resident.person_id),
            "home": gid("Household", resident.household_id),
            "area": gid("Area", role.area_id),
        }
        cared = await CareLink.filter(central_id=central.person_id).count()
        in_m = await Household.filter(micro_grid_id=role.area_id).count()
        linked_in_m = await CareLink.filter(household__micro_grid_id=role.area_id).count()
        token = await login(client, "central_household")
        admin = await login(client, "community_admin")
        seen = (await gql(client, READ, variables, token=token))["data"]
        assert seen["person"]["phone"] is not None
        assert seen["home"]["centralHousehold"] == {"name": "陈志强"}
        coverage = (await gql(client, READ, variables, token=admin))["data"]["area"]["coverage"]
        assert coverage["centralHouseholdCoverage"] == round(linked_in_m / in_m, 4)
        # when the community admin ends the role
        body = await gql(
            client,
            END_ROLE,
            {"input": {"assignmentId": gid("RoleAssignment", role.id), "reason": "搬离本社区"}},
            token=admin,
        )
        assert body["data"]["endRole"]["__typename"] == "EndRoleSuccess"
        # then the same token reads neither the household nor the resident's phone
        seen = (await gql(client, READ, variables, token=token))["data"]
        assert seen["person"] is None and seen["home"] is None
        # and the micro-grid's coverage no longer counts the households they looked after,
        # which the micro-grid leader looks after meanwhile (handed over)
        after = (await gql(client, READ, variables, token=admin))["data"]
        assert after["home"]["centralHousehold"] == {"name": "赵桂兰"}
        assert after["area"]["coverage"]["centralHouseholdCoverage"] == round(
            (linked_in_m - cared) / in_m, 4
        )
