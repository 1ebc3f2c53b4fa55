"""The territory, households and people through GraphQL: queries, paging, scopes and mutations."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from services.enums import AreaKind, AreaLevel, Role
from services.kit.paths import in_subtree
from services.models import (
    Area,
    CareLink,
    GridStation,
    Household,
    PartyUnit,
    Person,
    RoleAssignment,
    UserAccount,
)
from tests.conftest import gql, login

# The demo district (seed/demo.py): 颜山社区 in 城西街道 is the story's community, 颜山第一网格 (G)
# its first grid, and G's first micro-grid (M) is where `resident` and `central_household` live.
YANSHAN = "颜山社区"
GRID_G = "颜山第一网格"
COMMERCIAL = "颜山商业专属网格"
OTHER_STREET = "山头街道"
OTHER_COMMUNITY = "古窑社区"


def gid(type_name: str, key: int) -> str:
    """A Relay global id."""
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def key_of(global_id: str) -> int:
    """The row key inside a global id."""
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


async def area(name: str) -> Area:
    return await Area.get(name=name)


async def micro_grid_m() -> Area:
    grid = await area(GRID_G)
    found = await Area.filter(parent_id=grid.id).order_by("id").first()
    assert found is not None
    return found


async def person_of(username: str) -> Person:
    account = await UserAccount.get(username=username)
    return await Person.get(id=account.person_id)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


# --- areas: filters and paging -------------------------------------------------------------------

AREAS_PAGE = """
query Areas($level: AreaLevel, $kind: AreaKind, $under: ID, $search: String,
            $first: Int, $after: String) {
  areas(level: $level, kind: $kind, under: $under, search: $search, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id name level kind } }
  }
}
"""


async def _walk(http: httpx.AsyncClient, size: int, **filters: Any) -> list[dict[str, Any]]:
    """Every node of `areas(...)`, page by page, checking the page info on the way."""
    seen: list[dict[str, Any]] = []
    after = None
    pages = 0
    while True:
        body = await gql(http, AREAS_PAGE, {**filters, "first": size, "after": after})
        assert "errors" not in body, body
        conn = body["data"]["areas"]
        edges, info = conn["edges"], conn["pageInfo"]
        assert len(edges) <= size
        assert info["hasPreviousPage"] is (after is not None)
        if edges:
            assert info["startCursor"] == edges[0]["cursor"]
            assert info["endCursor"] == edges[-1]["cursor"]
        seen += [e["node"] for e in edges]
        pages += 1
        assert pages <= 100, "paging does not end"
        if not info["hasNextPage"]:
            assert conn["totalCount"] == len(seen)
            return seen
        assert len(edges) == size
        after = info["endCursor"]


async def test_walking_all_pages_visits_every_area_once(client: httpx.AsyncClient) -> None:
    # given the demo district's areas
    expected = set(await Area.all().values_list("id", flat=True))
    # when an anonymous client walks them 7 at a time
    nodes = await _walk(client, 7)
    # then every area appears exactly once, in a stable order
    keys = [key_of(n["id"]) for n in nodes]
    assert len(keys) == len(set(keys))
    assert set(keys) == expected
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("filters", "size"),
    [
        ({"level": "COMMUNITY"}, 2),
        ({"kind": "COMMERCIAL"}, 1),
        ({"search": "颜山"}, 4),
        ({"level": "MICRO_GRID", "under": YANSHAN}, 3),
        ({"under": OTHER_STREET}, 5),
        ({"level": "GRID", "kind": "RESIDENTIAL", "under": YANSHAN}, 2),
    ],
)
async def test_area_filters_match_the_database(
    client: httpx.AsyncClient, filters: dict[str, Any], size: int
) -> None:
    # given a filter on level, kind, subtree and/or name
    query = Area.all()
    variables = dict(filters)
    if "under" in filters:
        root = await area(filters["under"])
        query = query.filter(in_subtree(root.path))
        variables["under"] = gid("Area", root.id)
    if "level" in filters:
        query = query.filter(level=AreaLevel(filters["level"]))
    if "kind" in filters:
        query = query.filter(kind=AreaKind(filters["kind"]))
    if "search" in filters:
        query = query.filter(name__icontains=filters["search"])
    expected = set(await query.values_list("id", flat=True))
    assert expected, "the filter should match something in the demo district"
    # when all pages are read
    nodes = await _walk(client, size, **variables)
    # then exactly the matching areas come back, each once
    keys = [key_of(n["id"]) for n in nodes]
    assert len(keys) == len(set(keys))
    assert set(keys) == expected
    for node in nodes:
        if "level" in filters:
            assert node["level"] == filters["level"]
        if "kind" in filters:
            assert node["kind"] == filters["kind"]


async def test_an_empty_page_and_a_zero_size_page(client: httpx.AsyncClient) -> None:
    # given a search that matches nothing, and a page of size 0
    body = await gql(client, AREAS_PAGE, {"search": "没有这个地方"})
    conn = body["data"]["areas"]
    # then the connection is empty but well formed
    assert conn["totalCount"] == 0
    assert conn["edges"] == []
    assert conn["pageInfo"]["startCursor"] is None
    assert conn["pageInfo"]["hasNextPage"] is False
    body = await gql(client, AREAS_PAGE, {"first": 0})
    assert body["data"]["areas"]["edges"] == []
    assert body["data"]["areas"]["totalCount"] == await Area.all().count()


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"after": "not-a-cursor"}, "after"),
        ({"after": base64.b64encode(b"other:5").decode()}, "after"),
        ({"under": gid("Household", 1)}, "under"),
        ({"first": -1}, "first"),
    ],
)
async def test_bad_paging_arguments_are_invalid_input(
    client: httpx.AsyncClient, variables: dict[str, Any], field: str
) -> None:
    # when a malformed cursor, an id of the wrong type or a negative size is sent
    body = await gql(client, AREAS_PAGE, variables)
    # then the request fails with an input error naming the argument
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "INVALID_INPUT"
    assert error["extensions"]["field"] == field


async def test_under_an_unknown_area_is_not_found(client: httpx.AsyncClient) -> None:
    body = await gql(client, AREAS_PAGE, {"under": gid("Area", 99999)})
    assert body["data"] is None
    assert error_codes(body) == ["NOT_FOUND"]


# --- one area in full ----------------------------------------------------------------------------

AREA_DETAIL = """
query Area($under: ID!) {
  areas(under: $under, level: GRID, search: "第一网格") {
    edges { node {
      id name level kind contactGroupName contactGroupLink
      parent { id name level }
      ancestors { name level }
      children(first: 10) { totalCount edges { node { id name level kind } } }
      householdCount
      coverage {
        households assignedHouseholds unassignedHouseholds
        microGrids microGridsWithoutLeader centralHouseholdCoverage
      }
      roleHolders { role person { name } }
      station { name address hours }
      partyUnits { kind name secretaryName area { name } }
      households(first: 5) { totalCount edges { node { id address } } }
    } }
  }
}
"""


async def test_an_area_in_full_for_its_community_admin(client: httpx.AsyncClient) -> None:
    # given the community admin of 颜山社区 and its first grid G
    token = await login(client, "community_admin")
    community, grid = await area(YANSHAN), await area(GRID_G)
    # when they read G with all its relations
    body = await gql(client, AREA_DETAIL, {"under": gid("Area", community.id)}, token=token)
    # then everything is there and agrees with the database
    assert "errors" not in body, body
    (edge,) = body["data"]["areas"]["edges"]
    node = edge["node"]
    assert node["id"] == gid("Area", grid.id)
    assert (node["name"], node["level"], node["kind"]) == (GRID_G, "GRID", "RESIDENTIAL")
    assert node["contactGroupName"] == grid.contact_group_name
    assert node["parent"] == {
        "id": gid("Area", community.id),
        "name": YANSHAN,
        "level": "COMMUNITY",
    }
    assert [(a["name"], a["level"]) for a in node["ancestors"]] == [
        ("博山区", "DISTRICT"),
        ("城西街道", "STREET"),
        (YANSHAN, "COMMUNITY"),
    ]
    micro_ids = await Area.filter(parent_id=grid.id).order_by("id").values_list("id", flat=True)
    children = node["children"]
    assert children["totalCount"] == len(micro_ids)
    assert [key_of(e["node"]["id"]) for e in children["edges"]] == list(micro_ids)
    assert {e["node"]["level"] for e in children["edges"]} == {"MICRO_GRID"}
    households = await Household.filter(in_subtree(grid.path)).count()
    cared = await CareLink.filter(household__path__startswith=grid.path).count()
    assert node["householdCount"] == households
    assert node["coverage"] == {
        "households": households,
        "assignedHouseholds": households,
        "unassignedHouseholds": 0,
        "microGrids": len(micro_ids),
        "microGridsWithoutLeader": 0,
        "centralHouseholdCoverage": round(cared / households, 4),
    }
    holders = {(h["role"], h["person"]["name"]) for h in node["roleHolders"]}
    assert holders == {("GRID_LEADER", "王德明"), ("PART_TIME_GRID_MEMBER", "马小军")}
    station = await GridStation.get(grid_id=grid.id)
    assert node["station"] == {
        "name": station.name,
        "address": station.address,
        "hours": station.hours,
    }
    assert node["partyUnits"] == [
        {
            "kind": "GRID_PARTY_BRANCH",
            "name": f"{GRID_G}党支部",
            "secretaryName": "王德明",
            "area": {"name": GRID_G},
        }
    ]
    assert node["households"]["totalCount"] == households
    assert len(node["households"]["edges"]) == 5


async def test_the_public_part_of_an_area_for_an_anonymous_reader(
    client: httpx.AsyncClient,
) -> None:
    # given no sign-in
    community = await area(YANSHAN)
    # when the same area is read
    body = await gql(client, AREA_DETAIL, {"under": gid("Area", community.id)})
    # then the public fields are there (partial data) ...
    (edge,) = body["data"]["areas"]["edges"]
    node = edge["node"]
    assert node["name"] == GRID_G
    assert node["householdCount"] > 0
    assert node["station"] is not None
    assert len(node["roleHolders"]) == 2
    # ... but coverage and households are null, each with its own error
    assert node["coverage"] is None
    assert node["households"] is None
    by_path = {tuple(e["path"][-1:]): e["extensions"]["code"] for e in body["errors"]}
    assert by_path == {("coverage",): "FORBIDDEN", ("households",): "UNAUTHENTICATED"}


@pytest.mark.parametrize("username", ["community_admin", "resident", "rider"])
async def test_coverage_out_of_scope_is_forbidden(client: httpx.AsyncClient, username: str) -> None:
    # given a signed-in user who does not run 古窑社区 (another street's community)
    token = await login(client, username)
    other = await area(OTHER_COMMUNITY)
    # when they ask for its coverage next to its public name
    body = await gql(
        client,
        """query($u: ID!) { areas(under: $u, level: COMMUNITY) {
             edges { node { name householdCount coverage { households } } } } }""",
        {"u": gid("Area", other.id)},
        token=token,
    )
    # then the name comes back and coverage is a FORBIDDEN error at its path
    (edge,) = body["data"]["areas"]["edges"]
    assert edge["node"]["name"] == OTHER_COMMUNITY
    assert edge["node"]["householdCount"] > 0
    assert edge["node"]["coverage"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["areas", "edges", 0, "node", "coverage"]


async def test_a_grid_leader_sees_coverage_of_their_grid_only(client: httpx.AsyncClient) -> None:
    # given G's grid leader
    token = await login(client, "grid_leader")
    community = await area(YANSHAN)
    # when they read the coverage of every grid of 颜山社区
    body = await gql(
        client,
        """query($u: ID!) { areas(under: $u, level: GRID) {
             edges { node { name coverage { households } } } } }""",
        {"u": gid("Area", community.id)},
        token=token,
    )
    # then only G's figures are shown; the other grids' are FORBIDDEN
    shown = {e["node"]["name"]: e["node"]["coverage"] for e in body["data"]["areas"]["edges"]}
    assert shown[GRID_G] is not None
    assert [name for name, c in shown.items() if c is None] == [n for n in shown if n != GRID_G]
    assert set(error_codes(body)) == {"FORBIDDEN"}
    assert len(body["errors"]) == len(shown) - 1


# --- area mutations ------------------------------------------------------------------------------

CREATE_AREA = """
mutation Create($input: CreateAreaInput!) {
  createArea(input: $input) {
    __typename
    ... on CreateAreaSuccess {
      area { id name level kind contactGroupLink parent { name } station { name hours } }
    }
    ... on Error { code message field }
  }
}
"""

UPDATE_AREA = """
mutation Update($input: UpdateAreaInput!) {
  updateArea(input: $input) {
    __typename
    ... on UpdateAreaSuccess { area { id name kind contactGroupName station { name } } }
    ... on Error { code message field }
  }
}
"""

CREATE_PARTY_UNIT = """
mutation Unit($input: CreatePartyUnitInput!) {
  createPartyUnit(input: $input) {
    __typename
    ... on CreatePartyUnitSuccess { partyUnit { id kind name secretaryName area { name } } }
    ... on Error { code message field }
  }
}
"""


async def test_create_a_grid_with_its_station(client: httpx.AsyncClient) -> None:
    # given the community admin of 颜山社区
    token = await login(client, "community_admin")
    community = await area(YANSHAN)
    # when they create a fifth grid with a station
    body = await gql(
        client,
        CREATE_AREA,
        {
            "input": {
                "parentId": gid("Area", community.id),
                "name": " 颜山第五网格 ",
                "level": "GRID",
                "contactGroupLink": "https://qun.example.com/new",
                "station": {"name": "新驿站", "address": "颜山路1号", "hours": "每日 9:00-17:00"},
            }
        },
        token=token,
    )
    # then it exists under the community, with its station
    result = body["data"]["createArea"]
    assert result["__typename"] == "CreateAreaSuccess", result
    created = result["area"]
    assert created["name"] == "颜山第五网格"
    assert (created["level"], created["kind"]) == ("GRID", "RESIDENTIAL")
    assert created["parent"] == {"name": YANSHAN}
    assert created["station"] == {"name": "新驿站", "hours": "每日 9:00-17:00"}
    row = await Area.get(id=key_of(created["id"]))
    assert row.path == f"{community.path}{row.id}/"
    assert await GridStation.exists(grid_id=row.id, address="颜山路1号")


async def test_a_micro_grid_takes_its_grids_kind(client: httpx.AsyncClient) -> None:
    token = await login(client, "community_admin")
    grid = await area(COMMERCIAL)
    body = await gql(
        client,
        CREATE_AREA,
        {"input": {"parentId": gid("Area", grid.id), "name": "四段微网格", "level": "MICRO_GRID"}},
        token=token,
    )
    result = body["data"]["createArea"]
    assert result["__typename"] == "CreateAreaSuccess", result
    assert result["area"]["kind"] == "COMMERCIAL"


@pytest.mark.parametrize(
    ("username", "parent", "changes", "typename", "field"),
    [
        # another street's admin may not build in 颜山社区
        ("street_admin", OTHER_COMMUNITY, {}, "Forbidden", None),
        # nor may a grid leader (leaders read, admins change)
        ("grid_leader", GRID_G, {"level": "MICRO_GRID"}, "Forbidden", None),
        # levels nest strictly: no micro-grid straight under a community
        ("community_admin", YANSHAN, {"level": "MICRO_GRID"}, "InvalidInput", "level"),
        ("community_admin", YANSHAN, {"level": "DISTRICT"}, "InvalidInput", "level"),
        (
            "community_admin",
            YANSHAN,
            {"kind": "SPECIAL", "level": "GRID"},
            "CreateAreaSuccess",
            None,
        ),
        (
            "street_admin",
            "城西街道",
            {"level": "COMMUNITY", "kind": "SPECIAL"},
            "InvalidInput",
            "kind",
        ),
        ("community_admin", YANSHAN, {"name": "   "}, "InvalidInput", "name"),
        ("community_admin", YANSHAN, {"name": GRID_G}, "Conflict", "name"),
        (
            "community_admin",
            YANSHAN,
            {"contactGroupLink": "ftp://x"},
            "InvalidInput",
            "contactGroupLink",
        ),
        (
            "community_admin",
            YANSHAN,
            {"station": {"name": "x", "address": "", "hours": "x"}},
            "InvalidInput",
            "station.address",
        ),
        (None, YANSHAN, {}, "Unauthenticated", None),
    ],
)
async def test_create_area_errors(
    client: httpx.AsyncClient,
    username: str | None,
    parent: str,
    changes: dict[str, Any],
    typename: str,
    field: str | None,
) -> None:
    # given a user and an area to build under
    token = await login(client, username) if username else None
    parent_area = await area(parent)
    before = await Area.all().count()
    data = {"parentId": gid("Area", parent_area.id), "name": "新网格", "level": "GRID", **changes}
    # when they create an area there
    body = await gql(client, CREATE_AREA, {"input": data}, token=token)
    # then the typed result says why not (and names the field)
    result = body["data"]["createArea"]
    assert result["__typename"] == typename, result
    if typename == "CreateAreaSuccess":
        assert await Area.all().count() == before + 1
        return
    assert (
        result["code"]
        == {
            "Forbidden": "FORBIDDEN",
            "InvalidInput": "INVALID_INPUT",
            "Conflict": "CONFLICT",
            "Unauthenticated": "UNAUTHENTICATED",
        }[typename]
    )
    assert result["field"] == field
    # and nothing was written
    assert await Area.all().count() == before


async def test_create_area_under_a_missing_or_mistyped_parent(client: httpx.AsyncClient) -> None:
    token = await login(client, "district_admin")
    body = await gql(
        client,
        CREATE_AREA,
        {"input": {"parentId": gid("Area", 99999), "name": "新网格", "level": "GRID"}},
        token=token,
    )
    result = body["data"]["createArea"]
    assert result["__typename"] == "NotFound", result
    assert result["field"] == "areaId"
    # the id of a household is refused before execution (schema.core.ids)
    body = await gql(
        client,
        CREATE_AREA,
        {"input": {"parentId": gid("Household", 1), "name": "新网格", "level": "GRID"}},
        token=token,
    )
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["field"] == "parentId"


async def test_update_area_renames_and_changes_a_grids_kind(client: httpx.AsyncClient) -> None:
    # given the community admin and grid G
    token = await login(client, "community_admin")
    grid = await area(GRID_G)
    # when G is renamed, made a SPECIAL grid and given a new station
    body = await gql(
        client,
        UPDATE_AREA,
        {
            "input": {
                "areaId": gid("Area", grid.id),
                "name": "颜山一网格",
                "kind": "SPECIAL",
                "contactGroupName": "一网格群",
                "station": {"name": "新驿站", "address": "颜山路2号", "hours": "全天"},
            }
        },
        token=token,
    )
    # then the area is changed, and its micro-grids follow its kind
    result = body["data"]["updateArea"]
    assert result["__typename"] == "UpdateAreaSuccess", result
    assert result["area"] == {
        "id": gid("Area", grid.id),
        "name": "颜山一网格",
        "kind": "SPECIAL",
        "contactGroupName": "一网格群",
        "station": {"name": "新驿站"},
    }
    kinds = set(await Area.filter(parent_id=grid.id).values_list("kind", flat=True))
    assert kinds == {AreaKind.SPECIAL}
    assert await GridStation.filter(grid_id=grid.id).count() == 1


@pytest.mark.parametrize(
    ("username", "target", "changes", "typename", "field"),
    [
        ("street_admin", OTHER_COMMUNITY, {"name": "改名"}, "Forbidden", None),
        ("community_admin", YANSHAN, {"kind": "COMMERCIAL"}, "InvalidInput", "kind"),
        (
            "community_admin",
            YANSHAN,
            {"station": {"name": "a", "address": "b", "hours": "c"}},
            "InvalidInput",
            "station",
        ),
        ("community_admin", GRID_G, {"name": "颜山第二网格"}, "Conflict", "name"),
        (
            "community_admin",
            GRID_G,
            {"contactGroupLink": "javascript:alert(1)"},
            "InvalidInput",
            "contactGroupLink",
        ),
        (None, GRID_G, {"name": "改名"}, "Unauthenticated", None),
    ],
)
async def test_update_area_errors(
    client: httpx.AsyncClient,
    username: str | None,
    target: str,
    changes: dict[str, Any],
    typename: str,
    field: str | None,
) -> None:
    token = await login(client, username) if username else None
    row = await area(target)
    body = await gql(
        client, UPDATE_AREA, {"input": {"areaId": gid("Area", row.id), **changes}}, token=token
    )
    result = body["data"]["updateArea"]
    assert result["__typename"] == typename, result
    assert result["field"] == field
    # nothing changed
    after = await Area.get(id=row.id)
    assert (after.name, after.kind, after.contact_group_link) == (
        row.name,
        row.kind,
        row.contact_group_link,
    )


async def test_create_party_unit(client: httpx.AsyncClient) -> None:
    # given a new micro-grid (the demo ones all have their party group already)
    token = await login(client, "community_admin")
    grid = await area(GRID_G)
    created = await gql(
        client,
        CREATE_AREA,
        {"input": {"parentId": gid("Area", grid.id), "name": "新微网格", "level": "MICRO_GRID"}},
        token=token,
    )
    micro_id = created["data"]["createArea"]["area"]["id"]
    # when its party group is set up
    body = await gql(
        client,
        CREATE_PARTY_UNIT,
        {
            "input": {
                "areaId": micro_id,
                "kind": "MICRO_GRID_PARTY_GROUP",
                "name": "新微网格党小组",
                "secretaryName": "  ",
            }
        },
        token=token,
    )
    # then it exists, attached to the micro-grid
    result = body["data"]["createPartyUnit"]
    assert result["__typename"] == "CreatePartyUnitSuccess", result
    unit = result["partyUnit"]
    assert (unit["kind"], unit["name"], unit["secretaryName"]) == (
        "MICRO_GRID_PARTY_GROUP",
        "新微网格党小组",
        None,
    )
    assert unit["area"] == {"name": "新微网格"}
    assert await PartyUnit.exists(area_id=key_of(micro_id), kind="MICRO_GRID_PARTY_GROUP")
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
        ("street_admin", OTHER_COMMUNITY, "COMMUNITY_PARTY_ORGANIZATION", "Forbidden", None),
        (None, YANSHAN, "COMMUNITY_PARTY_ORGANIZATION", "Unauthenticated", None),
    ],
)
async def test_create_party_unit_errors(
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


# --- households ----------------------------------------------------------------------------------

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


async def test_create_household_in_a_micro_grid_and_in_a_community(
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


async def test_assign_an_unassigned_household(client: httpx.AsyncClient) -> None:
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
    assert result["household"]["microGrid"] == {"id": gid("Area", target.id), "name": target.name}
    row = await Household.get(id=key_of(household_id))
    assert (row.micro_grid_id, row.path) == (target.id, target.path)


async def test_moving_a_household_drops_its_central_household(client: httpx.AsyncClient) -> None:
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
    client: httpx.AsyncClient, username: str | None, target: str, typename: str, field: str | None
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


async def test_add_a_household_member(client: httpx.AsyncClient) -> None:
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
    client: httpx.AsyncClient, username: str | None, who: str, typename: str, field: str | None
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


async def test_link_a_household_to_a_central_household(client: httpx.AsyncClient) -> None:
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


async def test_link_central_household_errors(client: httpx.AsyncClient) -> None:
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


# --- people --------------------------------------------------------------------------------------

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

PEOPLE = """
query People($under: ID, $role: Role, $search: String, $after: String) {
  people(under: $under, role: $role, search: $search, first: 50, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name phone } }
  }
}
"""


async def test_create_person_in_a_household(client: httpx.AsyncClient) -> None:
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


async def test_assign_and_end_a_role(client: httpx.AsyncClient) -> None:
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


@pytest.mark.parametrize(
    ("username", "holder", "role", "reason", "typename", "field"),
    [
        # admins are removed from the level above, not by themselves
        ("community_admin", "community_admin", Role.COMMUNITY_ADMIN, "辞职", "Forbidden", None),
        ("community_admin", "rider", Role.PART_TIME_GRID_MEMBER, "  ", "InvalidInput", "reason"),
        # a leader reads the grid but does not administer it
        ("grid_leader", "rider", Role.PART_TIME_GRID_MEMBER, "离职", "Forbidden", None),
        # out of scope: cannot even be seen
        ("resident", "rider", Role.PART_TIME_GRID_MEMBER, "离职", "NotFound", "assignmentId"),
        (None, "rider", Role.PART_TIME_GRID_MEMBER, "离职", "Unauthenticated", None),
    ],
)
async def test_end_role_errors(
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


async def test_street_admin_ends_a_community_admin(client: httpx.AsyncClient) -> None:
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


async def _all_people(
    http: httpx.AsyncClient, token: str, **variables: Any
) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        body = await gql(http, PEOPLE, {**variables, "after": after}, token=token)
        assert "errors" not in body, body
        conn = body["data"]["people"]
        seen += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            assert conn["totalCount"] == len(seen)
            return seen
        after = conn["pageInfo"]["endCursor"]


async def test_people_under_an_area_for_its_admin(client: httpx.AsyncClient) -> None:
    # given the community admin of 颜山社区
    token = await login(client, "community_admin")
    community = await area(YANSHAN)
    living = set(
        await Person.filter(household__path__startswith=community.path).values_list("id", flat=True)
    )
    serving = set(
        await RoleAssignment.filter(
            in_subtree(community.path, "area_path"), until=None
        ).values_list("person_id", flat=True)
    )
    # when they list everyone under the community (and with no `under`: all they run)
    for variables in ({"under": gid("Area", community.id)}, {}):
        people = await _all_people(client, token, **variables)
        # then it is everyone living or serving there, each once, with phones
        keys = [key_of(p["id"]) for p in people]
        assert len(keys) == len(set(keys))
        assert set(keys) == living | serving
        assert all(p["phone"] for p in people if key_of(p["id"]) in serving)


async def test_people_by_role_and_search(client: httpx.AsyncClient) -> None:
    token = await login(client, "community_admin")
    community = await area(YANSHAN)
    under = gid("Area", community.id)
    centrals = await RoleAssignment.filter(
        in_subtree(community.path, "area_path"), until=None, role=Role.CENTRAL_HOUSEHOLD
    ).values_list("person_id", flat=True)
    # by role: the central households of the community
    people = await _all_people(client, token, under=under, role="CENTRAL_HOUSEHOLD")
    assert sorted(key_of(p["id"]) for p in people) == sorted(set(centrals))
    # by name
    people = await _all_people(client, token, under=under, search="陈志强")
    assert [p["name"] for p in people] == ["陈志强"]
    # by the start of the phone number
    people = await _all_people(client, token, under=under, search="1395331000")
    assert {p["name"] for p in people} >= {"赵桂兰", "陈志强", "李淑芬"}
    assert all(p["phone"].startswith("1395331000") for p in people)


@pytest.mark.parametrize(
    ("username", "under", "code"),
    [
        (None, None, "UNAUTHENTICATED"),
        ("resident", None, "FORBIDDEN"),
        ("community_admin", OTHER_COMMUNITY, "FORBIDDEN"),
        ("grid_leader", YANSHAN, "FORBIDDEN"),
    ],
)
async def test_people_out_of_scope(
    client: httpx.AsyncClient, username: str | None, under: str | None, code: str
) -> None:
    token = await login(client, username) if username else None
    variables = {"under": gid("Area", (await area(under)).id)} if under else {}
    body = await gql(client, PEOPLE, variables, token=token)
    assert body["data"] is None
    assert error_codes(body) == [code]


async def test_a_grid_leader_lists_the_people_of_their_grid(client: httpx.AsyncClient) -> None:
    token = await login(client, "grid_leader")
    grid = await area(GRID_G)
    people = await _all_people(client, token, under=gid("Area", grid.id))
    names = {p["name"] for p in people}
    assert {"李淑芬", "陈志强", "赵桂兰", "马小军", "王德明"} <= names
    assert "张红梅" not in names  # the community admin serves above the grid


# --- duty cards ----------------------------------------------------------------------------------


async def test_duty_cards_are_public(client: httpx.AsyncClient) -> None:
    # given no sign-in and grid G
    grid = await area(GRID_G)
    expected = await RoleAssignment.filter(
        in_subtree(grid.path, "area_path"),
        until=None,
        role__in=[
            Role.GRID_LEADER,
            Role.MICRO_GRID_LEADER,
            Role.CENTRAL_HOUSEHOLD,
            Role.PART_TIME_GRID_MEMBER,
        ],
    ).count()
    cards: list[dict[str, Any]] = []
    after = None
    # when the duty cards under G are read page by page
    while True:
        body = await gql(
            client,
            """query($u: ID, $after: String) { dutyCards(under: $u, first: 4, after: $after) {
                 totalCount pageInfo { hasNextPage endCursor }
                 edges { node { id role name phone partyMember duties area { name } } } } }""",
            {"u": gid("Area", grid.id), "after": after},
        )
        assert "errors" not in body, body
        conn = body["data"]["dutyCards"]
        assert conn["totalCount"] == expected
        cards += [e["node"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    # then every card is there once, with the holder's name, phone and duties
    assert len(cards) == expected == len({c["id"] for c in cards})
    leader = next(c for c in cards if c["role"] == "MICRO_GRID_LEADER" and c["name"] == "赵桂兰")
    assert leader["phone"] == "13953310004"
    assert leader["duties"]
    assert leader["area"]["name"].startswith("颜山花园")
    rider = next(c for c in cards if c["role"] == "PART_TIME_GRID_MEMBER")
    assert (rider["name"], rider["area"]["name"]) == ("马小军", GRID_G)
    # and residents and volunteers have no card
    assert {c["role"] for c in cards} <= {
        "GRID_LEADER",
        "MICRO_GRID_LEADER",
        "CENTRAL_HOUSEHOLD",
        "PART_TIME_GRID_MEMBER",
    }


async def test_a_page_reads_ahead_through_fragments_and_aliases(client: httpx.AsyncClient) -> None:
    # given the grid leader of G, who may read G's coverage but not its siblings'
    token = await login(client, "grid_leader")
    community = await area(YANSHAN)
    plain = """query($u: ID!) { areas(under: $u, level: GRID) { edges { node {
        name coverage { households } roleHolders { role person { name } } } } } }"""
    fragments = """query($u: ID!) { areas(under: $u, level: GRID) { edges { ...E } } }
        fragment E on AreaEdge { node { name ... on Area { ...C } holders: roleHolders {
            role person { name } } } }
        fragment C on Area { cover: coverage { households } }"""
    # when the same page is read with plain fields and through fragments and aliases
    first = await gql(client, plain, {"u": gid("Area", community.id)}, token=token)
    second = await gql(client, fragments, {"u": gid("Area", community.id)}, token=token)
    # then both carry the same figures, holders and FORBIDDEN errors
    for a, b in zip(first["data"]["areas"]["edges"], second["data"]["areas"]["edges"], strict=True):
        assert a["node"]["coverage"] == b["node"]["cover"]
        assert a["node"]["roleHolders"] == b["node"]["holders"]
    assert any(e["node"]["roleHolders"] for e in first["data"]["areas"]["edges"])
    paths = sorted(tuple(e["path"][:3]) for e in first["errors"])
    assert paths == sorted(tuple(e["path"][:3]) for e in second["errors"])
    assert set(error_codes(first)) == set(error_codes(second)) == {"FORBIDDEN"}
