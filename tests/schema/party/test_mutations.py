"""The party organisation's mutations through GraphQL: units, members, individual reports."""

from __future__ import annotations

import httpx
import pytest

from services.models import PartyMemberReport, PartyMembership, PartyUnit, Person
from tests.conftest import gql, login
from tests.schema.grids_support import (
    CREATE_AREA,
    GRID_G,
    OTHER_COMMUNITY,
    YANSHAN,
    area,
    gid,
    key_of,
    person_of,
)

ERROR = "... on Error { code message field }"
UNIT = "partyUnit { id kind name secretaryName secretary { name } memberCount dissolvedAt }"
CREATE_PARTY_UNIT = f"""
mutation Unit($input: CreatePartyUnitInput!) {{
  createPartyUnit(input: $input) {{
    __typename
    ... on CreatePartyUnitSuccess {{ {UNIT} }}
    {ERROR}
  }}
}}
"""
UPDATE_PARTY_UNIT = f"""
mutation Update($input: UpdatePartyUnitInput!) {{
  updatePartyUnit(input: $input) {{
    __typename
    ... on UpdatePartyUnitSuccess {{ {UNIT} }}
    {ERROR}
  }}
}}
"""
ADD_PARTY_MEMBER = f"""
mutation Add($input: AddPartyMemberInput!) {{
  addPartyMember(input: $input) {{
    __typename
    ... on AddPartyMemberSuccess {{
      membership {{ id leftAt person {{ name partyMember }} }} {UNIT}
    }}
    {ERROR}
  }}
}}
"""
REMOVE_PARTY_MEMBER = f"""
mutation Remove($input: RemovePartyMemberInput!) {{
  removePartyMember(input: $input) {{
    __typename
    ... on RemovePartyMemberSuccess {{ membership {{ id leftAt leaveReason }} {UNIT} }}
    {ERROR}
  }}
}}
"""
DISSOLVE_PARTY_UNIT = f"""
mutation Dissolve($input: DissolvePartyUnitInput!) {{
  dissolvePartyUnit(input: $input) {{
    __typename
    ... on DissolvePartyUnitSuccess {{ {UNIT} }}
    {ERROR}
  }}
}}
"""
REPORT_TO_COMMUNITY = f"""
mutation Report($input: ReportToCommunityInput!) {{
  reportToCommunity(input: $input) {{
    __typename
    ... on ReportToCommunitySuccess {{
      report {{
        id reportedAt endedAt person {{ name }} community {{ name }} recordedBy {{ name }}
      }}
    }}
    {ERROR}
  }}
}}
"""


async def unit_id(area_name: str) -> str:
    row = await area(area_name)
    unit = await PartyUnit.get(area_id=row.id, dissolved_at=None)
    return gid("PartyUnit", unit.id)


async def newcomer() -> Person:
    """A resident of 颜山社区 who is no party member."""
    yanshan = await area(YANSHAN)
    found = await Person.filter(
        household__path__startswith=yanshan.path, party_member=False
    ).order_by("id")
    return found[0]


class TestCreatePartyUnit:
    async def test_create_with_a_secretary(self, client: httpx.AsyncClient) -> None:
        # given a new micro-grid (the demo ones all have their party group already)
        token = await login(client, "community_admin")
        grid = await area(GRID_G)
        created = await gql(
            client,
            CREATE_AREA,
            {
                "input": {
                    "parentId": gid("Area", grid.id),
                    "name": "新微网格",
                    "level": "MICRO_GRID",
                }
            },
            token=token,
        )
        micro_id = created["data"]["createArea"]["area"]["id"]
        person = await newcomer()
        # when its party group is set up with a secretary
        body = await gql(
            client,
            CREATE_PARTY_UNIT,
            {
                "input": {
                    "areaId": micro_id,
                    "kind": "MICRO_GRID_PARTY_GROUP",
                    "name": "新微网格党小组",
                    "secretaryId": gid("Person", person.id),
                }
            },
            token=token,
        )
        # then it exists with the person as secretary and first member
        result = body["data"]["createPartyUnit"]
        assert result["__typename"] == "CreatePartyUnitSuccess", result
        assert result["partyUnit"]["secretaryName"] == person.name
        assert result["partyUnit"]["secretary"] == {"name": person.name}
        assert result["partyUnit"]["memberCount"] == 1
        unit = await PartyUnit.get(area_id=key_of(micro_id))
        assert unit.secretary_id == person.id
        # and a second one of the same kind is a conflict
        again = await gql(
            client,
            CREATE_PARTY_UNIT,
            {"input": {"areaId": micro_id, "kind": "MICRO_GRID_PARTY_GROUP", "name": "重复"}},
            token=token,
        )
        assert again["data"]["createPartyUnit"]["__typename"] == "Conflict"
        assert await PartyUnit.filter(area_id=key_of(micro_id)).count() == 1

    @pytest.mark.parametrize(
        ("username", "target", "kind", "typename", "field"),
        [
            ("community_admin", YANSHAN, "GRID_PARTY_BRANCH", "InvalidInput", "kind"),
            ("street_admin", "城西街道", "STREET_PARTY_WORKING_COMMITTEE", "Conflict", "kind"),
            ("street_admin", OTHER_COMMUNITY, "COMMUNITY_PARTY_ORGANIZATION", "Forbidden", None),
            (None, YANSHAN, "COMMUNITY_PARTY_ORGANIZATION", "Unauthenticated", None),
        ],
    )
    async def test_create_party_unit_errors(
        self,
        client: httpx.AsyncClient,
        username: str | None,
        target: str,
        kind: str,
        typename: str,
        field: str | None,
    ) -> None:
        token = await login(client, username) if username else None
        row = await area(target)
        before = await PartyUnit.all().count()
        body = await gql(
            client,
            CREATE_PARTY_UNIT,
            {"input": {"areaId": gid("Area", row.id), "kind": kind, "name": "某党组织"}},
            token=token,
        )
        result = body["data"]["createPartyUnit"]
        assert result["__typename"] == typename, result
        assert result["field"] == field
        assert await PartyUnit.all().count() == before


class TestUpdatePartyUnit:
    async def test_rename_and_name_a_secretary(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        person = await newcomer()
        unit = await unit_id(YANSHAN)
        body = await gql(
            client,
            UPDATE_PARTY_UNIT,
            {
                "input": {
                    "partyUnitId": unit,
                    "name": "中共颜山社区总支部委员会",
                    "secretaryId": gid("Person", person.id),
                }
            },
            token=token,
        )
        result = body["data"]["updatePartyUnit"]
        assert result["__typename"] == "UpdatePartyUnitSuccess", result
        assert (result["partyUnit"]["name"], result["partyUnit"]["secretaryName"]) == (
            "中共颜山社区总支部委员会",
            person.name,
        )
        row = await PartyUnit.get(id=key_of(unit))
        assert (row.name, row.secretary_id) == ("中共颜山社区总支部委员会", person.id)
        assert await PartyMembership.exists(unit_id=row.id, person_id=person.id, left_at=None)

    async def test_a_leader_may_not(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "grid_leader")
        unit = await unit_id(GRID_G)
        body = await gql(
            client, UPDATE_PARTY_UNIT, {"input": {"partyUnitId": unit, "name": "改"}}, token=token
        )
        result = body["data"]["updatePartyUnit"]
        assert (result["__typename"], result["code"]) == ("Forbidden", "FORBIDDEN")
        assert (await PartyUnit.get(id=key_of(unit))).name == f"{GRID_G}党支部"


class TestPartyMembers:
    async def test_add_then_remove(self, client: httpx.AsyncClient) -> None:
        # given the community admin and a resident who is no party member
        token = await login(client, "community_admin")
        person = await newcomer()
        unit = await unit_id(YANSHAN)
        variables = {"input": {"partyUnitId": unit, "personId": gid("Person", person.id)}}
        # when the resident is added to the community's party organisation
        body = await gql(client, ADD_PARTY_MEMBER, variables, token=token)
        result = body["data"]["addPartyMember"]
        # then they are a member, recorded as a party member
        assert result["__typename"] == "AddPartyMemberSuccess", result
        assert result["membership"]["person"] == {"name": person.name, "partyMember": True}
        assert result["membership"]["leftAt"] is None
        assert await PartyMembership.exists(unit_id=key_of(unit), person_id=person.id, left_at=None)
        # and adding them again is a conflict
        again = await gql(client, ADD_PARTY_MEMBER, variables, token=token)
        assert again["data"]["addPartyMember"]["__typename"] == "Conflict"
        # when they are removed with a reason
        variables["input"]["reason"] = "组织关系转出"
        body = await gql(client, REMOVE_PARTY_MEMBER, variables, token=token)
        result = body["data"]["removePartyMember"]
        assert result["__typename"] == "RemovePartyMemberSuccess", result
        assert result["membership"]["leaveReason"] == "组织关系转出"
        assert result["membership"]["leftAt"] is not None
        # then the membership is kept, ended
        assert await PartyMembership.exists(
            unit_id=key_of(unit), person_id=person.id, left_at__isnull=False
        )

    async def test_the_secretary_is_not_removed(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        unit = await unit_id(YANSHAN)
        admin = await person_of("community_admin")
        body = await gql(
            client,
            REMOVE_PARTY_MEMBER,
            {"input": {"partyUnitId": unit, "personId": gid("Person", admin.id)}},
            token=token,
        )
        result = body["data"]["removePartyMember"]
        assert (result["__typename"], result["code"], result["field"]) == (
            "Conflict",
            "CONFLICT",
            "personId",
        )
        assert await PartyMembership.exists(unit_id=key_of(unit), person_id=admin.id, left_at=None)


class TestDissolvePartyUnit:
    async def test_dissolve_keeps_history(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        unit = await unit_id(GRID_G)
        body = await gql(
            client,
            DISSOLVE_PARTY_UNIT,
            {"input": {"partyUnitId": unit, "reason": "网格调整"}},
            token=token,
        )
        result = body["data"]["dissolvePartyUnit"]
        assert result["__typename"] == "DissolvePartyUnitSuccess", result
        assert result["partyUnit"]["dissolvedAt"] is not None
        assert result["partyUnit"]["memberCount"] == 0
        row = await PartyUnit.get(id=key_of(unit))
        assert (row.dissolve_reason, row.dissolved_at is not None) == ("网格调整", True)
        # and again is a conflict
        again = await gql(
            client,
            DISSOLVE_PARTY_UNIT,
            {"input": {"partyUnitId": unit, "reason": "再次"}},
            token=token,
        )
        assert again["data"]["dissolvePartyUnit"]["__typename"] == "Conflict"
        assert (await PartyUnit.get(id=key_of(unit))).dissolve_reason == "网格调整"

    async def test_a_reason_is_required(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        unit = await unit_id(GRID_G)
        body = await gql(
            client,
            DISSOLVE_PARTY_UNIT,
            {"input": {"partyUnitId": unit, "reason": " "}},
            token=token,
        )
        result = body["data"]["dissolvePartyUnit"]
        assert (result["__typename"], result["field"]) == ("InvalidInput", "reason")
        assert (await PartyUnit.get(id=key_of(unit))).dissolved_at is None


class TestReportToCommunity:
    async def test_a_member_reports_themselves(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "volunteer")
        yanshan = await area(YANSHAN)
        body = await gql(
            client,
            REPORT_TO_COMMUNITY,
            {"input": {"communityId": gid("Area", yanshan.id)}},
            token=token,
        )
        result = body["data"]["reportToCommunity"]
        assert result["__typename"] == "ReportToCommunitySuccess", result
        report = result["report"]
        assert report["person"] == report["recordedBy"] == {"name": "周晓雯"}
        assert report["community"] == {"name": YANSHAN}
        assert report["endedAt"] is None
        volunteer = await person_of("volunteer")
        assert await PartyMemberReport.exists(
            person_id=volunteer.id, community_id=yanshan.id, ended_at=None
        )

    async def test_a_non_member_may_not(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "resident")
        yanshan = await area(YANSHAN)
        body = await gql(
            client,
            REPORT_TO_COMMUNITY,
            {"input": {"communityId": gid("Area", yanshan.id)}},
            token=token,
        )
        result = body["data"]["reportToCommunity"]
        assert (result["__typename"], result["code"], result["field"]) == (
            "InvalidInput",
            "INVALID_INPUT",
            "personId",
        )
        resident = await person_of("resident")
        assert not await PartyMemberReport.exists(person_id=resident.id)
