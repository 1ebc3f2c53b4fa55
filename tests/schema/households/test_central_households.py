"""Central households (中心户) through the API: the viewer's cared households with members and
phones, errands (代办) placed for them, and what endRole hands over."""

from __future__ import annotations

import httpx
import pytest

from services.enums import Role
from services.models import CareLink, Household, Person, RoleAssignment, WorkOrderErrand
from tests.conftest import Database, actor_for, gql, login
from tests.schema.grids_support import gid, key_of

CARED = """
query C($first: Int, $after: String) { viewer { caredHouseholds(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  edges { node { id address members { name phone } } } } } }"""

PLACE = """
mutation P($input: PlaceOrderInput!) { placeOrder(input: $input) {
  __typename ... on Error { code field }
  ... on PlaceOrderSuccess { workOrder { id placedBy { name } onBehalfOf { id }
    placedOnBehalfAs household { id } microGrid { level }
    timeline { action note } } } } }"""

END_ROLE = """
mutation E($input: EndRoleInput!) { endRole(input: $input) {
  __typename ... on Error { code field }
  ... on EndRoleSuccess { assignment { until } movedCareLinkCount transferredWorkOrderCount
    movedCareLinks { household { id } centralHousehold { name } } } } }"""


async def _cared(person_id: int) -> list[int]:
    return sorted(
        await CareLink.filter(central_id=person_id).values_list("household_id", flat=True)
    )


class TestViewerCaredHouseholds:
    async def test_pages_the_households_with_members_and_phones(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given the demo central household
        central = await actor_for("central_household")
        cared = await _cared(central.person_id)
        token = await login(client, "central_household")
        # when they list the households they look after, a page at a time
        first = (await gql(client, CARED, {"first": 3}, token=token))["data"]["viewer"]
        page = first["caredHouseholds"]
        rest = (
            await gql(
                client, CARED, {"first": 100, "after": page["pageInfo"]["endCursor"]}, token=token
            )
        )["data"]["viewer"]["caredHouseholds"]
        # then every household is there once, in order, with its members and their phones
        ids = [key_of(e["node"]["id"]) for e in page["edges"] + rest["edges"]]
        assert ids == cared and page["totalCount"] == len(cared)
        assert page["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
        resident = await Person.get(id=(await actor_for("resident")).person_id)
        members = [m for e in page["edges"] + rest["edges"] for m in e["node"]["members"]]
        assert {"name": resident.name, "phone": resident.phone} in members

    async def test_a_resident_has_none(self, db: Database, client: httpx.AsyncClient) -> None:
        token = await login(client, "resident")
        body = await gql(client, CARED, {"first": 5}, token=token)
        assert body["data"]["viewer"]["caredHouseholds"]["totalCount"] == 0


class TestPlaceOrderOnBehalf:
    @pytest.mark.calendar
    async def test_the_central_household_places_an_errand(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given a household the demo central household looks after, where no demo account lives
        central = await actor_for("central_household")
        homes = {(await actor_for(u)).household_id for u in ("resident", "microgrid_leader")}
        home = next(
            h for h in await _cared(central.person_id) if h not in homes | {central.household_id}
        )
        token = await login(client, "central_household")
        # when they place an order on its behalf
        body = await gql(
            client,
            PLACE,
            {
                "input": {
                    "category": "ELDERLY_CARE",
                    "description": "帮独居老人申请助餐",
                    "onBehalfOfHouseholdId": gid("Household", home),
                }
            },
            token=token,
        )
        # then it is the household's order, placed by them on its behalf, noted on the timeline
        result = body["data"]["placeOrder"]
        assert result["__typename"] == "PlaceOrderSuccess", body
        order = result["workOrder"]
        assert order["placedBy"] == {"name": "陈志强"}
        assert order["onBehalfOf"] == {"id": gid("Household", home)} == order["household"]
        assert order["placedOnBehalfAs"] == "CENTRAL_HOUSEHOLD"
        assert order["microGrid"] == {"level": "MICRO_GRID"}
        assert order["timeline"][0] == {"action": "SUBMIT", "note": "中心户代办"}
        errand = await WorkOrderErrand.get(work_order_id=key_of(order["id"]))
        assert (errand.household_id, errand.placed_by_id) == (home, central.person_id)

    async def test_others_are_refused(self, db: Database, client: httpx.AsyncClient) -> None:
        home = (await _cared((await actor_for("central_household")).person_id))[-1]
        for username, household, code in (
            ("resident", home, "FORBIDDEN"),
            ("central_household", 999_999, "NOT_FOUND"),
        ):
            token = await login(client, username)
            body = await gql(
                client,
                PLACE,
                {
                    "input": {
                        "category": "ELDERLY_CARE",
                        "description": "代办",
                        "onBehalfOfHouseholdId": gid("Household", household),
                    }
                },
                token=token,
            )
            result = body["data"]["placeOrder"]
            assert (result["__typename"], result["code"], result["field"]) == (
                code.title().replace("_", ""),
                code,
                "onBehalfOfHouseholdId",
            )
        assert not await WorkOrderErrand.exists()


class TestEndRoleHandsOver:
    async def test_the_care_links_go_to_the_micro_grid_leader(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given the demo central household's role
        central = await actor_for("central_household")
        cared = await _cared(central.person_id)
        role = await RoleAssignment.get(person_id=central.person_id, role=Role.CENTRAL_HOUSEHOLD)
        leader = await actor_for("microgrid_leader")
        token = await login(client, "community_admin")
        # when the community admin ends it
        body = await gql(
            client,
            END_ROLE,
            {"input": {"assignmentId": gid("RoleAssignment", role.id), "reason": "搬离本社区"}},
            token=token,
        )
        # then the result lists the links that moved, now the leader's
        result = body["data"]["endRole"]
        assert result["__typename"] == "EndRoleSuccess", body
        assert result["movedCareLinkCount"] == len(cared)
        assert [key_of(c["household"]["id"]) for c in result["movedCareLinks"]] == cared
        assert {c["centralHousehold"]["name"] for c in result["movedCareLinks"]} == {"赵桂兰"}
        assert set(await _cared(leader.person_id)) == set(cared)
        # and the leader now lists them among the households they look after
        mine = await gql(
            client, CARED, {"first": 100}, token=await login(client, "microgrid_leader")
        )
        listed = [
            key_of(e["node"]["id"]) for e in mine["data"]["viewer"]["caredHouseholds"]["edges"]
        ]
        assert listed == cared

    async def test_a_bad_successor_is_refused(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        central = await actor_for("central_household")
        role = await RoleAssignment.get(person_id=central.person_id, role=Role.CENTRAL_HOUSEHOLD)
        token = await login(client, "community_admin")
        body = await gql(
            client,
            END_ROLE,
            {
                "input": {
                    "assignmentId": gid("RoleAssignment", role.id),
                    "reason": "调整",
                    "handOverToPersonId": gid("Person", central.person_id),
                }
            },
            token=token,
        )
        result = body["data"]["endRole"]
        assert (result["__typename"], result["code"], result["field"]) == (
            "InvalidInput",
            "INVALID_INPUT",
            "handOverToPersonId",
        )
        assert (await RoleAssignment.get(id=role.id)).until is None
        assert await Household.filter(care_link__central_id=central.person_id).exists()
