"""Household mutations through GraphQL: register, assign, add members, link a central household."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.models import Area, CareLink, Household, Person
from tests.conftest import gql, login
from tests.schema.grids_support import (
    GRID_G,
    OTHER_COMMUNITY,
    YANSHAN,
    area,
    gid,
    key_of,
    micro_grid_m,
    person_of,
)

CREATE_HOUSEHOLD = """
mutation($input: CreateHouseholdInput!) {
  createHousehold(input: $input) {
    __typename
    ... on CreateHouseholdSuccess {
      household { id address building unit room memberCount microGrid { id } community { name } }
    }
    ... on Error { code field }
  }
}
"""


ASSIGN_HOUSEHOLD = """
mutation($input: AssignHouseholdInput!) {
  assignHousehold(input: $input) {
    __typename
    ... on AssignHouseholdSuccess {
      household { id microGrid { id name } centralHousehold { name } }
    }
    ... on Error { code field }
  }
}
"""


ADD_MEMBER = """
mutation($input: AddHouseholdMemberInput!) {
  addHouseholdMember(input: $input) {
    __typename
    ... on AddHouseholdMemberSuccess { person { id name } household { id members { name } } }
    ... on Error { code field }
  }
}
"""


LINK_CENTRAL = """
mutation($input: LinkCentralHouseholdInput!) {
  linkCentralHousehold(input: $input) {
    __typename
    ... on LinkCentralHouseholdSuccess { household { id centralHousehold { name } } }
    ... on Error { code field }
  }
}
"""


async def _new_household(
    http: httpx.AsyncClient, token: str | None, area_id: int, **values: Any
) -> dict[str, Any]:
    data = {"areaId": gid("Area", area_id), "address": "颜山路9号", **values}
    body = await gql(http, CREATE_HOUSEHOLD, {"input": data}, token=token)
    result: dict[str, Any] = body["data"]["createHousehold"]
    return result


class TestCreateHousehold:
    async def test_create_household_in_a_micro_grid_and_in_a_community(
        self,
        client: httpx.AsyncClient,
    ) -> None:
        # given the community admin, micro-grid M and the community
        token = await login(client, "community_admin")
        m, community = await micro_grid_m(), await area(YANSHAN)
        # when a household is registered in M
        result = await _new_household(
            client, token, m.id, building="9号楼", unit="1单元", room="101", memberCount=3
        )
        # then it is assigned to M and registered in the community
        assert result["__typename"] == "CreateHouseholdSuccess", result
        household = result["household"]
        assert household["microGrid"] == {"id": gid("Area", m.id)}
        assert household["community"] == {"name": YANSHAN}
        assert (household["room"], household["memberCount"]) == ("101", 3)
        row = await Household.get(id=key_of(household["id"]))
        assert (row.path, row.micro_grid_id, row.community_id) == (m.path, m.id, community.id)
        # and one registered in the community is not assigned yet (a coverage gap)
        result = await _new_household(client, token, community.id)
        assert result["__typename"] == "CreateHouseholdSuccess", result
        assert result["household"]["microGrid"] is None
        row = await Household.get(id=key_of(result["household"]["id"]))
        assert (row.path, row.micro_grid_id) == (community.path, None)

    @pytest.mark.parametrize(
        ("username", "where", "values", "typename", "field"),
        [
            ("grid_leader", "M", {}, "Forbidden", None),
            ("street_admin", OTHER_COMMUNITY, {}, "Forbidden", None),
            ("community_admin", GRID_G, {}, "InvalidInput", "areaId"),
            ("community_admin", "M", {"memberCount": 51}, "InvalidInput", "memberCount"),
            ("community_admin", "M", {"address": "  "}, "InvalidInput", "address"),
            ("community_admin", "M", {"room": "x" * 21}, "InvalidInput", "room"),
            (None, "M", {}, "Unauthenticated", None),
        ],
    )
    async def test_create_household_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        where: str,
        values: dict[str, Any],
        typename: str,
        field: str | None,
    ) -> None:
        token = await login(client, username) if username else None
        target = await micro_grid_m() if where == "M" else await area(where)
        before = await Household.all().count()
        result = await _new_household(client, token, target.id, **values)
        assert result["__typename"] == typename, result
        assert result["field"] == field
        assert await Household.all().count() == before


class TestAssignHousehold:
    async def test_assign_an_unassigned_household(self, client: httpx.AsyncClient) -> None:
        # given an unassigned household in 颜山社区
        token = await login(client, "community_admin")
        community = await area(YANSHAN)
        created = await _new_household(client, token, community.id)
        household_id = created["household"]["id"]
        target = await Area.get(name="颜山花园3-4号楼微网格")
        # when it is assigned to a micro-grid of the community
        body = await gql(
            client,
            ASSIGN_HOUSEHOLD,
            {"input": {"householdId": household_id, "microGridId": gid("Area", target.id)}},
            token=token,
        )
        # then it belongs there
        result = body["data"]["assignHousehold"]
        assert result["__typename"] == "AssignHouseholdSuccess", result
        assert result["household"]["microGrid"] == {
            "id": gid("Area", target.id),
            "name": target.name,
        }
        row = await Household.get(id=key_of(household_id))
        assert (row.micro_grid_id, row.path) == (target.id, target.path)

    async def test_moving_a_household_drops_its_central_household(
        self, client: httpx.AsyncClient
    ) -> None:
        # given resident's household in M, looked after by `central_household`
        token = await login(client, "community_admin")
        resident = await person_of("resident")
        assert await CareLink.exists(household_id=resident.household_id)
        target = await Area.get(name="颜山花园3-4号楼微网格")
        # when it moves to another micro-grid
        body = await gql(
            client,
            ASSIGN_HOUSEHOLD,
            {
                "input": {
                    "householdId": gid("Household", resident.household_id or 0),
                    "microGridId": gid("Area", target.id),
                }
            },
            token=token,
        )
        # then the old central household no longer looks after it
        result = body["data"]["assignHousehold"]
        assert result["__typename"] == "AssignHouseholdSuccess", result
        assert result["household"]["centralHousehold"] is None
        assert not await CareLink.exists(household_id=resident.household_id)

    @pytest.mark.parametrize(
        ("username", "target", "typename", "field"),
        [
            # a micro-grid of another community (the admin there would be the district admin)
            ("district_admin", "西冶工坊小区1-2号楼微网格", "InvalidInput", "microGridId"),
            ("community_admin", "西冶工坊小区1-2号楼微网格", "Forbidden", None),
            ("community_admin", GRID_G, "InvalidInput", "microGridId"),
            ("microgrid_leader", "颜山花园3-4号楼微网格", "Forbidden", None),
            ("resident", "颜山花园3-4号楼微网格", "NotFound", "householdId"),
            (None, "颜山花园3-4号楼微网格", "Unauthenticated", None),
        ],
    )
    async def test_assign_household_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        target: str,
        typename: str,
        field: str | None,
    ) -> None:
        token = await login(client, username) if username else None
        resident = await person_of("resident")
        before = await Household.get(id=resident.household_id)
        destination = await area(target)
        body = await gql(
            client,
            ASSIGN_HOUSEHOLD,
            {
                "input": {
                    "householdId": gid("Household", before.id),
                    "microGridId": gid("Area", destination.id),
                }
            },
            token=token,
        )
        result = body["data"]["assignHousehold"]
        assert result["__typename"] == typename, result
        assert result["field"] == field
        after = await Household.get(id=before.id)
        assert (after.micro_grid_id, after.path) == (before.micro_grid_id, before.path)
        assert await CareLink.exists(household_id=before.id)


class TestAddHouseholdMember:
    async def test_add_a_household_member(self, client: httpx.AsyncClient) -> None:
        # given a person registered without a household, and resident's household
        token = await login(client, "community_admin")
        newcomer = await Person.create(name="新来的")
        resident = await person_of("resident")
        # when the admin approves them joining it
        body = await gql(
            client,
            ADD_MEMBER,
            {
                "input": {
                    "householdId": gid("Household", resident.household_id or 0),
                    "personId": gid("Person", newcomer.id),
                }
            },
            token=token,
        )
        # then they live there
        result = body["data"]["addHouseholdMember"]
        assert result["__typename"] == "AddHouseholdMemberSuccess", result
        assert result["person"]["name"] == "新来的"
        assert "新来的" in [m["name"] for m in result["household"]["members"]]
        assert (await Person.get(id=newcomer.id)).household_id == resident.household_id

    @pytest.mark.parametrize(
        ("username", "who", "typename", "field"),
        [
            ("community_admin", "volunteer", "Conflict", "personId"),
            ("grid_leader", "newcomer", "Forbidden", None),
            ("street_admin", "newcomer", "AddHouseholdMemberSuccess", None),
            ("resident", "newcomer", "NotFound", "householdId"),
            (None, "newcomer", "Unauthenticated", None),
        ],
    )
    async def test_add_household_member_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        who: str,
        typename: str,
        field: str | None,
    ) -> None:
        token = await login(client, username) if username else None
        person = await Person.create(name="新来的") if who == "newcomer" else await person_of(who)
        home = (await person_of("resident")).household_id
        body = await gql(
            client,
            ADD_MEMBER,
            {
                "input": {
                    "householdId": gid("Household", home or 0),
                    "personId": gid("Person", person.id),
                }
            },
            token=token,
        )
        result = body["data"]["addHouseholdMember"]
        assert result["__typename"] == typename, result
        if typename.endswith("Success"):
            assert (await Person.get(id=person.id)).household_id == home
            return
        assert result["field"] == field
        assert (await Person.get(id=person.id)).household_id == person.household_id


class TestLinkCentralHousehold:
    async def test_link_a_household_to_a_central_household(self, client: httpx.AsyncClient) -> None:
        # given a new household in M and M's demo central household
        token = await login(client, "community_admin")
        m = await micro_grid_m()
        created = await _new_household(client, token, m.id)
        household_id = created["household"]["id"]
        central = await person_of("central_household")
        # when it is put in their care
        body = await gql(
            client,
            LINK_CENTRAL,
            {"input": {"householdId": household_id, "centralPersonId": gid("Person", central.id)}},
            token=token,
        )
        # then the link exists
        result = body["data"]["linkCentralHousehold"]
        assert result["__typename"] == "LinkCentralHouseholdSuccess", result
        assert result["household"]["centralHousehold"] == {"name": "陈志强"}
        link = await CareLink.get(household_id=key_of(household_id))
        assert link.central_id == central.id

    async def test_link_central_household_errors(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        m = await micro_grid_m()
        community = await area(YANSHAN)
        in_m = (await _new_household(client, token, m.id))["household"]["id"]
        unassigned = (await _new_household(client, token, community.id))["household"]["id"]
        central = gid("Person", (await person_of("central_household")).id)
        volunteer = gid("Person", (await person_of("volunteer")).id)
        leader = await login(client, "microgrid_leader")
        for household_id, person_id, user, typename, field in (
            # only a central household of the household's own micro-grid
            (in_m, volunteer, token, "InvalidInput", "centralPersonId"),
            # an unassigned household has no micro-grid yet
            (unassigned, central, token, "InvalidInput", "householdId"),
            # a leader reads the micro-grid but does not administer it
            (in_m, central, leader, "Forbidden", None),
            (in_m, central, None, "Unauthenticated", None),
        ):
            body = await gql(
                client,
                LINK_CENTRAL,
                {"input": {"householdId": household_id, "centralPersonId": person_id}},
                token=user,
            )
            result = body["data"]["linkCentralHousehold"]
            assert result["__typename"] == typename, (household_id, person_id, result)
            assert result["field"] == field
        # a Person id where a Household id belongs: refused before execution (schema.core.ids)
        body = await gql(
            client,
            LINK_CENTRAL,
            {"input": {"householdId": central, "centralPersonId": central}},
            token=token,
        )
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["field"] == "householdId"
        assert not await CareLink.exists(household_id__in=[key_of(in_m), key_of(unassigned)])
