"""Relay `node` / `nodes`: the same authorization as every other path; bad ids are input errors."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from services.enums import Role
from services.models import Area, Household, PartyUnit, Person, RoleAssignment, UserAccount
from services.people import end_role
from tests.conftest import actor_for, gql, login

NODE = """
query Node($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Household { address members { name } }
    ... on Person { name phone household { id } }
    ... on RoleAssignment { role until }
    ... on Area { name level }
    ... on DutyCard { name phone role }
    ... on PartyUnit { name }
  }
}
"""

NODES = """
query Nodes($ids: [ID!]!) {
  nodes(ids: $ids) { __typename id ... on Household { address } ... on Area { name } }
}
"""


def gid(type_name: str, key: int | str) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


async def person_of(username: str) -> Person:
    account = await UserAccount.get(username=username)
    return await Person.get(id=account.person_id)


async def _node(http: httpx.AsyncClient, global_id: str, token: str | None) -> Any:
    body = await gql(http, NODE, {"id": global_id}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]


async def _resident_home() -> Household:
    return await Household.get(id=(await person_of("resident")).household_id)


# --- households ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        # its own member
        ("resident", True),
        # the central household (中心户) looking after it
        ("central_household", True),
        # the leader of its micro-grid, the leader of its grid, its community admin, above
        ("microgrid_leader", True),
        ("grid_leader", True),
        ("community_admin", True),
        ("street_admin", True),
        ("district_admin", True),
        # a resident of another household, a rider of the grid, a partner: no
        ("volunteer", False),
        ("rider", False),
        ("partner", False),
        (None, False),
    ],
)
async def test_a_household_by_id_is_visible_to_its_circle_only(
    client: httpx.AsyncClient, username: str | None, visible: bool
) -> None:
    # given the demo resident's household in micro-grid M
    home = await _resident_home()
    token = await login(client, username) if username else None
    # when it is fetched by global id, alone and in a list
    node = await _node(client, gid("Household", home.id), token)
    body = await gql(client, NODES, {"ids": [gid("Household", home.id)]}, token=token)
    assert "errors" not in body, body
    (listed,) = body["data"]["nodes"]
    # then it is there for its circle, and null (not an error) for everyone else
    if visible:
        assert node["__typename"] == "Household"
        assert node["id"] == gid("Household", home.id)
        assert node["address"] == home.address
        assert "李淑芬" in [m["name"] for m in node["members"]]
        assert listed == {"__typename": "Household", "id": node["id"], "address": home.address}
    else:
        assert node is None
        assert listed is None


async def test_nodes_keeps_order_and_nulls_what_is_hidden(client: httpx.AsyncClient) -> None:
    # given the resident: their own household, a neighbour's, a missing one and an area
    token = await login(client, "resident")
    home = await _resident_home()
    neighbour = await Household.filter(micro_grid_id=home.micro_grid_id).exclude(id=home.id).first()
    assert neighbour is not None
    community = await Area.get(name="颜山社区")
    ids = [
        gid("Area", community.id),
        gid("Household", neighbour.id),
        gid("Household", home.id),
        gid("Household", 999999),
    ]
    # when they are fetched together
    body = await gql(client, NODES, {"ids": ids}, token=token)
    # then each position holds its object or null
    assert "errors" not in body, body
    assert body["data"]["nodes"] == [
        {"__typename": "Area", "id": ids[0], "name": "颜山社区"},
        None,
        {"__typename": "Household", "id": ids[2], "address": home.address},
        None,
    ]


# --- people and roles ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "phone_shown"),
    [
        ("microgrid_leader", True),  # themselves
        ("community_admin", True),  # in scope
        ("grid_leader", True),  # in scope
        ("resident", False),  # a neighbour
        ("partner", False),
        (None, False),
    ],
)
async def test_a_duty_holders_phone_only_in_scope(
    client: httpx.AsyncClient, username: str | None, phone_shown: bool
) -> None:
    # given M's micro-grid leader, a public duty-role holder
    leader = await person_of("microgrid_leader")
    token = await login(client, username) if username else None
    # when they are fetched by id
    node = await _node(client, gid("Person", leader.id), token)
    # then the name is public, the phone and household only in scope
    assert node["__typename"] == "Person"
    assert node["name"] == "赵桂兰"
    if phone_shown:
        assert node["phone"] == leader.phone
        assert node["household"] == {"id": gid("Household", leader.household_id or 0)}
    else:
        assert node["phone"] is None
        assert node["household"] is None


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("resident", True),
        ("central_household", True),
        ("community_admin", True),
        ("volunteer", False),
        ("rider", False),
        (None, False),
    ],
)
async def test_a_plain_resident_is_hidden_outside_their_circle(
    client: httpx.AsyncClient, username: str | None, visible: bool
) -> None:
    # given the demo resident, who holds no duty role
    resident = await person_of("resident")
    token = await login(client, username) if username else None
    # when they are fetched by id
    node = await _node(client, gid("Person", resident.id), token)
    # then only their circle sees them at all
    if visible:
        assert (node["name"], node["phone"]) == ("李淑芬", resident.phone)
    else:
        assert node is None


async def test_an_ended_role_is_hidden_from_the_public(client: httpx.AsyncClient) -> None:
    # given the rider's part-time role, ended by the community admin
    rider = await person_of("rider")
    assignment = await RoleAssignment.get(person_id=rider.id, role=Role.PART_TIME_GRID_MEMBER)
    open_id = gid("RoleAssignment", assignment.id)
    assert (await _node(client, open_id, None))["role"] == "PART_TIME_GRID_MEMBER"
    await end_role(
        actor=await actor_for("community_admin"), assignment_id=assignment.id, reason="离职"
    )
    # when it is fetched anonymously, by another resident, by the rider and by the admin
    anonymous = await _node(client, open_id, None)
    neighbour = await _node(client, open_id, await login(client, "resident"))
    own = await _node(client, open_id, await login(client, "rider"))
    admin = await _node(client, open_id, await login(client, "community_admin"))
    # then only the rider and the admin see the history
    assert anonymous is None
    assert neighbour is None
    assert own["until"] is not None
    assert admin["until"] is not None
    # and its duty card is gone for everyone
    card = await _node(client, gid("DutyCard", assignment.id), None)
    assert card is None


async def test_someone_elses_resident_role_is_not_public(client: httpx.AsyncClient) -> None:
    resident = await person_of("resident")
    assignment = await RoleAssignment.get(person_id=resident.id, role=Role.RESIDENT)
    assert await _node(client, gid("RoleAssignment", assignment.id), None) is None
    token = await login(client, "volunteer")
    assert await _node(client, gid("RoleAssignment", assignment.id), token) is None
    token = await login(client, "resident")
    assert (await _node(client, gid("RoleAssignment", assignment.id), token))["role"] == "RESIDENT"


# --- public nodes --------------------------------------------------------------------------------


async def test_areas_duty_cards_and_party_units_are_public(client: httpx.AsyncClient) -> None:
    # given no sign-in
    community = await Area.get(name="颜山社区")
    leader = await person_of("microgrid_leader")
    card = await RoleAssignment.get(person_id=leader.id, role=Role.MICRO_GRID_LEADER)
    unit = await PartyUnit.get(area_id=community.id)
    # when each is fetched by id
    area = await _node(client, gid("Area", community.id), None)
    duty = await _node(client, gid("DutyCard", card.id), None)
    party = await _node(client, gid("PartyUnit", unit.id), None)
    # then they are there, the duty card with the phone it publishes
    assert (area["__typename"], area["name"], area["level"]) == ("Area", "颜山社区", "COMMUNITY")
    assert duty == {
        "__typename": "DutyCard",
        "id": gid("DutyCard", card.id),
        "name": "赵桂兰",
        "phone": leader.phone,
        "role": "MICRO_GRID_LEADER",
    }
    assert party == {"__typename": "PartyUnit", "id": gid("PartyUnit", unit.id), "name": unit.name}


async def test_a_missing_object_is_null(client: httpx.AsyncClient) -> None:
    for type_name in ("Area", "Household", "Person", "RoleAssignment", "DutyCard", "PartyUnit"):
        assert await _node(client, gid(type_name, 999999), None) is None


# --- malformed ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_id",
    [
        "garbage!",
        base64.b64encode(b"no-colon").decode(),
        gid("Area", "abc"),
        gid("NoSuchType", 1),
        gid("Viewer", 1),  # a real type, but not a Node
        gid("Coverage", 1),
    ],
)
async def test_a_malformed_id_is_a_graphql_error_not_a_crash(
    client: httpx.AsyncClient, bad_id: str
) -> None:
    # when a malformed id is sent to node and nodes
    for query, variables in ((NODE, {"id": bad_id}), (NODES, {"ids": [bad_id]})):
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        # then the answer is an ordinary GraphQL error about the input, not a server failure
        assert response.status_code in (200, 400), response.text
        body = response.json()
        assert body.get("data") in (None, {"node": None}, {"nodes": None}), body
        assert body["errors"], body
        codes = [e.get("extensions", {}).get("code") for e in body["errors"]]
        assert "INTERNAL" not in codes, body
        assert set(codes) <= {None, "INVALID_INPUT"}, body


async def test_a_malformed_id_inline_in_the_query(client: httpx.AsyncClient) -> None:
    for literal in ("not base64!", gid("Area", "x")):
        body = await gql(client, f'{{ node(id: "{literal}") {{ id }} }}')
        assert body["errors"]
        assert "INTERNAL" not in [e.get("extensions", {}).get("code") for e in body["errors"]]


# --- ids of the wrong type in mutations ----------------------------------------------------------


async def test_ids_of_the_wrong_type_in_mutations_are_refused_before_execution(
    client: httpx.AsyncClient,
) -> None:
    # given the community admin and real ids of other types
    token = await login(client, "community_admin")
    home = await _resident_home()
    micro = await Area.get(id=home.micro_grid_id)
    resident = await person_of("resident")
    card = await RoleAssignment.get(person_id=resident.id, role=Role.RESIDENT)
    household_id, area_id = gid("Household", home.id), gid("Area", micro.id)
    person_id = gid("Person", resident.id)
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        (
            "createArea",
            "CreateAreaInput",
            {"parentId": household_id, "name": "x", "level": "GRID"},
            "parentId",
        ),
        ("updateArea", "UpdateAreaInput", {"areaId": person_id, "name": "x"}, "areaId"),
        (
            "createHousehold",
            "CreateHouseholdInput",
            {"areaId": household_id, "address": "x"},
            "areaId",
        ),
        (
            "assignHousehold",
            "AssignHouseholdInput",
            {"householdId": area_id, "microGridId": area_id},
            "householdId",
        ),
        (
            "assignHousehold",
            "AssignHouseholdInput",
            {"householdId": household_id, "microGridId": household_id},
            "microGridId",
        ),
        (
            "addHouseholdMember",
            "AddHouseholdMemberInput",
            {"householdId": household_id, "personId": household_id},
            "personId",
        ),
        (
            "linkCentralHousehold",
            "LinkCentralHouseholdInput",
            {"householdId": household_id, "centralPersonId": area_id},
            "centralPersonId",
        ),
        (
            "createPerson",
            "CreatePersonInput",
            {"name": "x", "householdId": person_id},
            "householdId",
        ),
        (
            "assignRole",
            "AssignRoleInput",
            {"personId": area_id, "role": "VOLUNTEER", "areaId": area_id},
            "personId",
        ),
        # a duty card is not the role assignment behind it, as far as ids go
        (
            "endRole",
            "EndRoleInput",
            {"assignmentId": gid("DutyCard", card.id), "reason": "x"},
            "assignmentId",
        ),
        (
            "createPartyUnit",
            "CreatePartyUnitInput",
            {"areaId": gid("Area", "abc"), "kind": "MICRO_GRID_PARTY_GROUP", "name": "x"},
            "areaId",
        ),
    ]
    counts_before = await _counts()
    for mutation, input_type, data, field in cases:
        # when the mutation gets an id of another type
        body = await gql(
            client,
            f"mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ __typename "
            "... on Error { code field } } }",
            {"input": data},
            token=token,
        )
        # then it is refused before execution (INVALID_INPUT naming the field), nothing changes
        assert body["data"] is None, (mutation, body)
        (error,) = body["errors"]
        assert error["extensions"] == {
            "code": "INVALID_INPUT",
            "field": field,
            "argument": f"$input.{field}",
        }, (mutation, error)
    assert await _counts() == counts_before


async def _counts() -> tuple[int, ...]:
    return (
        await Area.all().count(),
        await Household.all().count(),
        await Person.all().count(),
        await RoleAssignment.filter(until=None).count(),
        await PartyUnit.all().count(),
    )
