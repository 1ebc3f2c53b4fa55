"""People mutations through GraphQL: register a person, assign and end roles."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.enums import Role
from services.kit.paths import in_subtree
from services.models import Household, Person, RoleAssignment, UserAccount
from tests.conftest import gql, login
from tests.schema.grids_support import (
    CREATE_AREA,
    OTHER_COMMUNITY,
    YANSHAN,
    area,
    gid,
    key_of,
    micro_grid_m,
    person_of,
)

CREATE_PERSON = """
mutation($input: CreatePersonInput!) {
  createPerson(input: $input) {
    __typename
    ... on CreatePersonSuccess { person { id name phone partyMember household { id } } }
    ... on Error { code field }
  }
}
"""


ASSIGN_ROLE = """
mutation($input: AssignRoleInput!) {
  assignRole(input: $input) {
    __typename
    ... on AssignRoleSuccess { assignment { id role until duties area { name } person { name } } }
    ... on Error { code field }
  }
}
"""


END_ROLE = """
mutation($input: EndRoleInput!) {
  endRole(input: $input) {
    __typename
    ... on EndRoleSuccess { assignment { id role until endReason } }
    ... on Error { code field }
  }
}
"""


class TestCreatePerson:
    async def test_create_person_in_a_household(self, client: httpx.AsyncClient) -> None:
        # given the community admin and resident's household
        token = await login(client, "community_admin")
        home = (await person_of("resident")).household_id or 0
        # when an elderly relative is registered there
        body = await gql(
            client,
            CREATE_PERSON,
            {
                "input": {
                    "name": "李大爷",
                    "phone": "139-5331-0000",
                    "partyMember": True,
                    "householdId": gid("Household", home),
                }
            },
            token=token,
        )
        # then the person exists, in that household
        result = body["data"]["createPerson"]
        assert result["__typename"] == "CreatePersonSuccess", result
        person = result["person"]
        assert (person["name"], person["phone"], person["partyMember"]) == (
            "李大爷",
            "13953310000",
            True,
        )
        assert person["household"] == {"id": gid("Household", home)}
        row = await Person.get(id=key_of(person["id"]))
        assert (row.household_id, row.phone) == (home, "13953310000")

    @pytest.mark.parametrize(
        ("username", "values", "typename", "field"),
        [
            ("resident", {}, "Forbidden", None),
            ("community_admin", {"phone": "12ab"}, "InvalidInput", "phone"),
            ("community_admin", {"name": " "}, "InvalidInput", "name"),
            ("community_admin", {"householdId": "other-community"}, "NotFound", "householdId"),
            # an Area id is refused before execution (schema.core.ids)
            ("community_admin", {"householdId": "area-id"}, None, "householdId"),
            (None, {}, "Unauthenticated", None),
        ],
    )
    async def test_create_person_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        values: dict[str, Any],
        typename: str | None,
        field: str | None,
    ) -> None:
        token = await login(client, username) if username else None
        if values.get("householdId") == "other-community":
            other = await Household.filter(in_subtree((await area(OTHER_COMMUNITY)).path)).first()
            assert other is not None
            values = {"householdId": gid("Household", other.id)}
        elif values.get("householdId") == "area-id":
            values = {"householdId": gid("Area", (await area(YANSHAN)).id)}
        before = await Person.all().count()
        body = await gql(client, CREATE_PERSON, {"input": {"name": "某人", **values}}, token=token)
        if typename is None:
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["field"] == field
        else:
            result = body["data"]["createPerson"]
            assert result["__typename"] == typename, result
            assert result["field"] == field
        assert await Person.all().count() == before


class TestAssignRole:
    async def test_assign_and_end_a_role(self, client: httpx.AsyncClient) -> None:
        # given the community admin and a resident of 颜山社区
        token = await login(client, "community_admin")
        resident = await person_of("resident")
        community = await area(YANSHAN)
        # when the resident is appointed a volunteer of the community
        body = await gql(
            client,
            ASSIGN_ROLE,
            {
                "input": {
                    "personId": gid("Person", resident.id),
                    "role": "VOLUNTEER",
                    "areaId": gid("Area", community.id),
                }
            },
            token=token,
        )
        # then they hold the role
        result = body["data"]["assignRole"]
        assert result["__typename"] == "AssignRoleSuccess", result
        assignment = result["assignment"]
        assert (assignment["role"], assignment["until"]) == ("VOLUNTEER", None)
        assert assignment["area"] == {"name": YANSHAN}
        assert assignment["person"] == {"name": "李淑芬"}
        assert assignment["duties"]
        row = await RoleAssignment.get(id=key_of(assignment["id"]))
        assert (row.person_id, row.area_id, row.until) == (resident.id, community.id, None)
        # when the role is ended with a reason
        body = await gql(
            client,
            END_ROLE,
            {"input": {"assignmentId": assignment["id"], "reason": "动态退出"}},
            token=token,
        )
        # then it is kept as history
        ended = body["data"]["endRole"]
        assert ended["__typename"] == "EndRoleSuccess", ended
        assert ended["assignment"]["until"] is not None
        assert ended["assignment"]["endReason"] == "动态退出"
        row = await RoleAssignment.get(id=row.id)
        assert row.until is not None
        assert row.ended_by_id == (await UserAccount.get(username="community_admin")).id
        # and ending it again is a conflict
        again = await gql(
            client,
            END_ROLE,
            {"input": {"assignmentId": assignment["id"], "reason": "再次"}},
            token=token,
        )
        assert again["data"]["endRole"] == {
            "__typename": "Conflict",
            "code": "CONFLICT",
            "field": "assignmentId",
        }

    @pytest.mark.parametrize(
        ("username", "who", "role", "where", "typename", "field"),
        [
            # one micro-grid leader per micro-grid
            ("community_admin", "resident", "MICRO_GRID_LEADER", "M", "Conflict", "areaId"),
            # admins are appointed from the level above
            ("community_admin", "resident", "COMMUNITY_ADMIN", YANSHAN, "Forbidden", None),
            ("community_admin", "resident", "RESIDENT", YANSHAN, "InvalidInput", "role"),
            ("community_admin", "resident", "GRID_LEADER", YANSHAN, "InvalidInput", "areaId"),
            # a central household lives in the micro-grid it serves
            ("community_admin", "volunteer", "CENTRAL_HOUSEHOLD", "M", "InvalidInput", "personId"),
            ("street_admin", "resident", "VOLUNTEER", OTHER_COMMUNITY, "Forbidden", None),
            (None, "resident", "VOLUNTEER", YANSHAN, "Unauthenticated", None),
        ],
    )
    async def test_assign_role_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        who: str,
        role: str,
        where: str,
        typename: str,
        field: str | None,
    ) -> None:
        token = await login(client, username) if username else None
        person = await person_of(who)
        target = await micro_grid_m() if where == "M" else await area(where)
        before = await RoleAssignment.all().count()
        body = await gql(
            client,
            ASSIGN_ROLE,
            {
                "input": {
                    "personId": gid("Person", person.id),
                    "role": role,
                    "areaId": gid("Area", target.id),
                }
            },
            token=token,
        )
        result = body["data"]["assignRole"]
        assert result["__typename"] == typename, result
        assert result["field"] == field
        assert await RoleAssignment.all().count() == before


class TestEndRole:
    @pytest.mark.parametrize(
        ("username", "holder", "role", "reason", "typename", "field"),
        [
            # admins are removed from the level above, not by themselves
            ("community_admin", "community_admin", Role.COMMUNITY_ADMIN, "辞职", "Forbidden", None),
            (
                "community_admin",
                "rider",
                Role.PART_TIME_GRID_MEMBER,
                "  ",
                "InvalidInput",
                "reason",
            ),
            # a leader reads the grid but does not administer it
            ("grid_leader", "rider", Role.PART_TIME_GRID_MEMBER, "离职", "Forbidden", None),
            # out of scope: cannot even be seen
            ("resident", "rider", Role.PART_TIME_GRID_MEMBER, "离职", "NotFound", "assignmentId"),
            (None, "rider", Role.PART_TIME_GRID_MEMBER, "离职", "Unauthenticated", None),
        ],
    )
    async def test_end_role_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        holder: str,
        role: Role,
        reason: str,
        typename: str,
        field: str | None,
    ) -> None:
        token = await login(client, username) if username else None
        person = await person_of(holder)
        assignment = await RoleAssignment.get(person_id=person.id, role=role)
        body = await gql(
            client,
            END_ROLE,
            {"input": {"assignmentId": gid("RoleAssignment", assignment.id), "reason": reason}},
            token=token,
        )
        result = body["data"]["endRole"]
        assert result["__typename"] == typename, result
        assert result["field"] == field
        assert (await RoleAssignment.get(id=assignment.id)).until is None

    async def test_street_admin_ends_a_community_admin(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "street_admin")
        person = await person_of("community_admin")
        assignment = await RoleAssignment.get(person_id=person.id, role=Role.COMMUNITY_ADMIN)
        body = await gql(
            client,
            END_ROLE,
            {"input": {"assignmentId": gid("RoleAssignment", assignment.id), "reason": "换届"}},
            token=token,
        )
        assert body["data"]["endRole"]["__typename"] == "EndRoleSuccess"
        # the ended admin loses the scope at once: their next request no longer administers
        admin_token = await login(client, "community_admin")
        denied = await gql(
            client,
            CREATE_AREA,
            {
                "input": {
                    "parentId": gid("Area", (await area(YANSHAN)).id),
                    "name": "x",
                    "level": "GRID",
                }
            },
            token=admin_token,
        )
        assert denied["data"]["createArea"]["__typename"] == "Forbidden"
