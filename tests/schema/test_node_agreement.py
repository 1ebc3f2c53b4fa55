"""`node(id:)` and the lists agree, for every demo identity: whatever a list shows, `nodes` of
the same ids shows too; and where an object's reference to another comes back null, `node` of
that other object is null for the same viewer (and the other way round).

The lists are read as the apps read them (the viewer's own things, the demo community's
lists, people's points accounts), each object with its `__typename` and `id`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tortoise.models import Model

from seed.demo import DEMO_ACCOUNTS, DEMO_COMMUNITY
from services.models import (
    ActivitySignUp,
    Area,
    CadreAssignment,
    CareLink,
    EvaluationAdjustment,
    EvaluationHonour,
    EvaluationPeriod,
    EvaluationResult,
    ExitReview,
    Notice,
    PartyMemberReport,
    PartyMembership,
    PartyUnit,
    PointsAward,
    PointsEntry,
    PointsTransaction,
    Redemption,
    RoleAssignment,
    TeamMembership,
    UserAccount,
    VolunteerTeam,
    WorkOrder,
)
from tests.conftest import Database, gql, login

N = "__typename id"
PERSON = f"{{ {N} }}"
TRANSACTION = f"{{ {N} person {PERSON} reverses {{ {N} }} }}"
ENTRIES = f"entries(first: 10) {{ edges {{ node {{ {N} transaction {TRANSACTION} }} }} }}"
MEMBERS = f"members(first: 10) {{ edges {{ node {{ {N} person {PERSON} team {{ {N} }} }} }} }}"
SIGN_UPS = (
    f"signUps(first: 10) {{ edges {{ node {{ {N} person {PERSON} activity {{ {N} }} "
    f"award {{ {N} person {PERSON} transaction {TRANSACTION} }} }} }} }}"
)
ORDER = (
    f"{N} reporter {PERSON} assignee {PERSON} acceptedBy {PERSON} resolvedBy {PERSON} "
    f"confirmedBy {PERSON} household {{ {N} }}"
)
NOTICE = (
    f"{N} publisher {PERSON} acknowledgements(first: 10) {{ edges {{ node {{ "
    f"person {PERSON} award {{ {N} person {PERSON} transaction {TRANSACTION} }} }} }} }}"
)

# The viewer's lists, one query each (a refused nested list nulls its whole query: the others
# must still be read).
VIEWER_LISTS = (
    f"person {PERSON} roles {{ {N} person {PERSON} }}",
    f"pointsAccount {{ {ENTRIES} }}",
    f"redemptions(first: 10) {{ edges {{ node {{ {N} person {PERSON} reward {{ {N} }} }} }} }}",
    f"evaluations {{ {N} person {PERSON} adjustments {{ {N} madeBy {PERSON} }} }}",
    f"teams {{ {N} leader {PERSON} }}",
    f"teams {{ {N} {MEMBERS} }}",
    f"activities(first: 10) {{ edges {{ node {{ {N} team {{ {N} }} }} }} }}",
    f"activities(first: 10) {{ edges {{ node {{ {N} {SIGN_UPS} }} }} }}",
    f"notices(first: 10) {{ edges {{ node {{ {NOTICE} }} }} }}",
    f"workOrders(first: 10) {{ edges {{ node {{ {ORDER} }} }} }}",
)
# The community's lists, one query each: a list refused to the viewer (a non-null field) must
# not take the others down with it.
COMMUNITY_LISTS = (
    f"people(under: $under, first: 30) {{ edges {{ node {{ {N} }} }} }}",
    f"dutyCards(under: $under, first: 30) {{ edges {{ node {{ {N} }} }} }}",
    f"pendingAwards(under: $under, first: 10) {{ edges {{ node {{ {N} person {PERSON} "
    f"transaction {TRANSACTION} }} }} }}",
    f"teams(under: $under, first: 5) {{ edges {{ node {{ {N} leader {PERSON} }} }} }}",
    f"teams(under: $under, first: 5) {{ edges {{ node {{ {N} {MEMBERS} }} }} }}",
    f"activities(under: $under, first: 10) {{ edges {{ node {{ {N} }} }} }}",
    f"activities(under: $under, first: 10) {{ edges {{ node {{ {N} {SIGN_UPS} }} }} }}",
    f"notices(under: $under, first: 10) {{ edges {{ node {{ {NOTICE} }} }} }}",
    f"workOrders(under: $under, first: 20) {{ edges {{ node {{ {ORDER} }} }} }}",
    f"leaderboard(under: $under, first: 30) {{ person {PERSON} }}",
    f"redFlags(under: $under) {{ {N} person {PERSON} transaction {TRANSACTION} }}",
    f"exitReviews(under: $under) {{ {N} person {PERSON} }}",
    f"cadreAssignments(under: $under, first: 10) {{ edges {{ node {{ {N} person {PERSON} }} }} }}",
    f"trainingSessions(under: $under, first: 5) {{ edges {{ node {{ {N} "
    f"attendees {PERSON} }} }} }}",
    f"areas(under: $under, first: 10) {{ edges {{ node {{ {N} "
    f"roleHolders {{ {N} person {PERSON} }} }} }} }}",
    f"areas(under: $under, first: 10) {{ edges {{ node {{ {N} partyUnits {{ {N} "
    f"secretary {PERSON} members(first: 10) {{ edges {{ node {{ {N} person {PERSON} "
    f"partyUnit {{ {N} }} }} }} }} }} }} }} }}",
    f"node(id: $under) {{ ... on Area {{ partyMemberReports(first: 10) {{ edges {{ node {{ "
    f"{N} person {PERSON} recordedBy {PERSON} }} }} }} }} }}",
    f"areas(under: $under, first: 5) {{ edges {{ node {{ {N} "
    f"households(first: 10) {{ edges {{ node {{ {N} members {PERSON} "
    f"centralHousehold {PERSON} }} }} }} }} }} }}",
)
RANKINGS = f"""
query R($under: ID!, $period: ID!) {{
  rankings(under: $under, periodId: $period, role: CENTRAL_HOUSEHOLD, first: 10) {{
    edges {{ node {{ {N} person {PERSON} adjustments {{ {N} madeBy {PERSON} }} }} }} }}
}}
"""
ACCOUNT = f"""
query P($person: ID!) {{ pointsAccount(personId: $person) {{ {ENTRIES} }} }}
"""
NODES = "query N($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"

# (type, field) → where the referenced object's id is kept: (model, column, its type).
REFERENCES: dict[tuple[str, str], tuple[type[Model], str, str]] = {
    ("PointsEntry", "transaction"): (PointsEntry, "transaction_id", "PointsTransaction"),
    ("PointsTransaction", "person"): (PointsTransaction, "person_id", "Person"),
    ("PointsTransaction", "reverses"): (PointsTransaction, "reverses_id", "PointsTransaction"),
    ("PointsAward", "person"): (PointsAward, "person_id", "Person"),
    ("PointsAward", "transaction"): (PointsAward, "transaction_id", "PointsTransaction"),
    ("TeamMembership", "person"): (TeamMembership, "person_id", "Person"),
    ("TeamMembership", "team"): (TeamMembership, "team_id", "VolunteerTeam"),
    ("VolunteerTeam", "leader"): (VolunteerTeam, "leader_id", "Person"),
    ("ActivitySignUp", "person"): (ActivitySignUp, "person_id", "Person"),
    ("ActivitySignUp", "activity"): (ActivitySignUp, "activity_id", "VolunteerActivity"),
    ("ActivitySignUp", "award"): (ActivitySignUp, "award_id", "PointsAward"),
    ("Redemption", "person"): (Redemption, "person_id", "Person"),
    ("Redemption", "reward"): (Redemption, "reward_id", "Reward"),
    ("WorkOrder", "reporter"): (WorkOrder, "reporter_id", "Person"),
    ("WorkOrder", "assignee"): (WorkOrder, "assignee_id", "Person"),
    ("WorkOrder", "acceptedBy"): (WorkOrder, "accepted_by_id", "Person"),
    ("WorkOrder", "resolvedBy"): (WorkOrder, "resolved_by_id", "Person"),
    ("WorkOrder", "confirmedBy"): (WorkOrder, "confirmed_by_id", "Person"),
    ("WorkOrder", "household"): (WorkOrder, "household_id", "Household"),
    ("Notice", "publisher"): (Notice, "publisher_id", "Person"),
    ("RoleAssignment", "person"): (RoleAssignment, "person_id", "Person"),
    ("Household", "centralHousehold"): (CareLink, "central_id", "Person"),
    ("Evaluation", "person"): (EvaluationResult, "person_id", "Person"),
    ("EvaluationAdjustment", "madeBy"): (EvaluationAdjustment, "made_by_id", "Person"),
    ("Honour", "person"): (EvaluationHonour, "person_id", "Person"),
    ("Honour", "transaction"): (EvaluationHonour, "transaction_id", "PointsTransaction"),
    ("ExitReview", "person"): (ExitReview, "person_id", "Person"),
    ("CadreAssignment", "person"): (CadreAssignment, "person_id", "Person"),
    ("PartyUnit", "secretary"): (PartyUnit, "secretary_id", "Person"),
    ("PartyMembership", "person"): (PartyMembership, "person_id", "Person"),
    ("PartyMembership", "partyUnit"): (PartyMembership, "unit_id", "PartyUnit"),
    ("PartyMemberReport", "person"): (PartyMemberReport, "person_id", "Person"),
    ("PartyMemberReport", "recordedBy"): (PartyMemberReport, "recorded_by_id", "Person"),
}
# Where the model is keyed by another column than the parent's id.
KEYED_BY = {("Household", "centralHousehold"): "household_id"}


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def key_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


def objects(tree: Any) -> Iterator[dict[str, Any]]:
    """Every object with a type and an id in a response."""
    if isinstance(tree, dict):
        if "__typename" in tree and "id" in tree:
            yield tree
        for value in tree.values():
            yield from objects(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from objects(value)


async def _read(client: httpx.AsyncClient, token: str | None) -> list[Any]:
    """What the lists show the viewer (errors aside: a list refused is simply not shown)."""
    community = await Area.get(name=DEMO_COMMUNITY)
    under = {"under": gid("Area", community.id)}
    period = await EvaluationPeriod.filter(area_id=community.id).order_by("id").first()
    assert period is not None
    people = [a.person_id for a in await UserAccount.all().order_by("id")]
    reads = [
        *[(f"{{ viewer {{ {lists} }} }}", {}) for lists in VIEWER_LISTS],
        *[(f"query C($under: ID!) {{ {lists} }}", under) for lists in COMMUNITY_LISTS],
        (RANKINGS, {**under, "period": gid("EvaluationPeriod", period.id)}),
        *[(ACCOUNT, {"person": gid("Person", p)}) for p in people],
    ]
    found = []
    for query, variables in reads:
        body = await gql(client, query, variables, token=token)
        # refusals are execution errors of a field; the queries themselves are valid
        assert all(e.get("path") for e in body.get("errors", [])), body["errors"]
        found.append(body.get("data"))
    return found


async def _visible(client: httpx.AsyncClient, token: str | None, ids: list[str]) -> set[str]:
    shown: set[str] = set()
    for start in range(0, len(ids), 100):
        body = await gql(client, NODES, {"ids": ids[start : start + 100]}, token=token)
        assert "errors" not in body, body
        shown |= {n["id"] for n in body["data"]["nodes"] if n is not None}
    return shown


async def _reference(type_name: str, field: str, parent: str) -> str | None:
    """The global id of what `parent`'s `field` refers to, from the database."""
    model, column, target = REFERENCES[(type_name, field)]
    by = KEYED_BY.get((type_name, field), "id")
    values = await model.filter(**{by: key_of(parent)}).values_list(column, flat=True)
    value = values[0] if values else None
    return gid(target, int(value)) if value is not None else None


@pytest.mark.parametrize("username", [None, *(u for u, _, _ in DEMO_ACCOUNTS)])
async def test_lists_and_node_agree(
    client: httpx.AsyncClient, db: Database, username: str | None
) -> None:
    token = await login(client, username) if username else None
    # given everything the lists show this viewer
    shown = [o for data in await _read(client, token) for o in objects(data)]
    listed = {o["id"]: o["__typename"] for o in shown}
    # then node shows each of them (as the same type)
    visible = await _visible(client, token, list(listed))
    assert sorted(i for i in listed if i not in visible) == []
    # and each reference is null exactly where node of what it refers to is null
    references: dict[str, bool] = {}
    for o in shown:
        for field in (f for (t, f) in REFERENCES if t == o["__typename"]):
            if field not in o:
                continue
            target = await _reference(o["__typename"], field, o["id"])
            if target is None:
                assert o[field] is None, (o["__typename"], field, o)
                continue
            seen = o[field] is not None
            assert references.setdefault(target, seen) == seen, (o["__typename"], field, target)
    visible = await _visible(client, token, list(references))
    disagree = {
        target: ("listed" if seen else "null in the list")
        for target, seen in references.items()
        if seen != (target in visible)
    }
    assert disagree == {}
    # (the test reads a fair share of the demo: it would pass vacuously otherwise)
    assert len(listed) > (0 if username is None else 5)


# --- the two pairs that disagreed ----------------------------------------------------------------

LEDGER = """
query L($person: ID!) { pointsAccount(personId: $person) { entries(first: 5) { edges { node {
  id transaction { id person { id name } } } } } } }
"""
TEAM = """
{ viewer { teams { name members(first: 10) { edges { node { id person { id name phone } } } } } } }
"""
ONE = """
query O($id: ID!) { node(id: $id) { __typename id
  ... on PointsEntry { transaction { id } } ... on PointsTransaction { points }
  ... on Person { name phone } } }
"""


async def _node(client: httpx.AsyncClient, token: str, global_id: str) -> Any:
    body = await gql(client, ONE, {"id": global_id}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]


async def test_a_grid_leader_sees_the_transactions_of_the_entries_they_see(
    client: httpx.AsyncClient, db: Database
) -> None:
    # given the grid leader of G, reading the points of the volunteer who lives in G
    volunteer = await UserAccount.get(username="volunteer")
    token = await login(client, "grid_leader")
    # when they read the volunteer's ledger
    body = await gql(client, LEDGER, {"person": gid("Person", volunteer.person_id)}, token=token)
    entries = [e["node"] for e in body["data"]["pointsAccount"]["entries"]["edges"]]
    # then each entry carries its transaction, and both are there by id too
    assert entries
    for entry in entries:
        transaction = entry["transaction"]
        assert transaction is not None and transaction["person"]["name"] == "周晓雯"
        assert (await _node(client, token, entry["id"]))["transaction"] == {"id": transaction["id"]}
        assert (await _node(client, token, transaction["id"]))["id"] == transaction["id"]


async def test_a_team_leader_sees_who_is_in_their_team(
    client: httpx.AsyncClient, db: Database
) -> None:
    # given the micro-grid leader of M, who leads the community's volunteer team; the
    # volunteer in it lives in another micro-grid
    token = await login(client, "microgrid_leader")
    volunteer = await UserAccount.get(username="volunteer")
    # when they read the team's members
    body = await gql(client, TEAM, token=token)
    (team,) = body["data"]["viewer"]["teams"]
    people = {e["node"]["person"]["id"]: e["node"]["person"] for e in team["members"]["edges"]}
    # then every member is named, in the list and by id alike: name and roles, not the phone
    # of someone outside M
    member = people[gid("Person", volunteer.person_id)]
    assert member == {"id": member["id"], "name": "周晓雯", "phone": None}
    assert await _node(client, token, member["id"]) == {
        "__typename": "Person",
        "id": member["id"],
        "name": "周晓雯",
        "phone": None,
    }
    for person in people.values():
        assert (await _node(client, token, person["id"]))["name"] == person["name"]
