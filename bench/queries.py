"""The benchmarked operations: the GraphQL documents and the matching ceiling requests."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

AREAS_QUERY = """
query BenchAreas($under: ID!, $first: Int!) {
  areas(level: MICRO_GRID, under: $under, first: $first) {
    edges {
      node {
        id
        name
        coverage {
          households
          assignedHouseholds
          unassignedHouseholds
          microGridsWithoutLeader
          centralHouseholdCoverage
        }
        roleHolders { role person { name } }
      }
    }
  }
}
"""

NESTED_QUERY = """
query BenchNested($under: ID!, $first: Int!) {
  areas(under: $under, level: MICRO_GRID, first: $first) {
    edges { node { id name roleHolders { role person { name } } } }
  }
}
"""

VIEWER_QUERY = """
query BenchViewer {
  viewer { id username person { name } roles { role area { id name level } } }
}
"""

LOGIN_MUTATION = """
mutation BenchLogin($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) {
    __typename
    ... on LoginSuccess { accessToken }
    ... on Error { code message }
  }
}
"""


def global_id(type_name: str, key: int) -> str:
    """A Relay global id as the schema writes it (base64 of "Type:key")."""
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def parse_global_id(value: str) -> tuple[str, int]:
    """(type name, key) of a global id; ValueError when malformed."""
    type_name, _, key = base64.b64decode(value.encode(), validate=True).decode().partition(":")
    return type_name, int(key)


@dataclass(frozen=True)
class Call:
    """One HTTP request of a scenario: method, path and body (JSON text or empty)."""

    method: str
    path: str
    body: str


@dataclass(frozen=True)
class Scenario:
    """One benchmarked read, as GraphQL and as the ceiling's hand-written endpoint."""

    name: str  # e.g. "areas first=20"
    graphql: Call
    ceiling: Call
    anonymous: bool = False  # sent without the bench user's token


def _areas_read(name: str, query: str, community_id: int, first: int, *, nested: bool) -> Scenario:
    """A page of a community's micro-grids as GraphQL `query` and as the ceiling's `/areas`
    (without coverage, and anonymous, for the nested read)."""
    variables = {"under": global_id("Area", community_id), "first": first}
    ceiling = {**variables, "coverage": False} if nested else variables
    return Scenario(
        name=f"{name} first={first}",
        graphql=Call("POST", "/graphql", json.dumps({"query": query, "variables": variables})),
        ceiling=Call("POST", "/areas", json.dumps(ceiling)),
        anonymous=nested,
    )


def areas_scenario(community_id: int, first: int) -> Scenario:
    """The micro-grids of a community with coverage and role holders, `first` at a time."""
    return _areas_read("areas", AREAS_QUERY, community_id, first, nested=False)


def nested_scenario(community_id: int, first: int = 20) -> Scenario:
    """Issue 18's three-level read, anonymous: micro-grids, their role holders, their names."""
    return _areas_read("nested", NESTED_QUERY, community_id, first, nested=True)


def viewer_scenario() -> Scenario:
    """The signed-in user with their person and open roles."""
    return Scenario(
        name="viewer",
        graphql=Call("POST", "/graphql", json.dumps({"query": VIEWER_QUERY, "variables": {}})),
        ceiling=Call("GET", "/viewer", ""),
    )
