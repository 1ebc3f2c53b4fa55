"""GraphQL for people, role assignments and the public duty cards (便民服务牌)."""

from schema.people.operations import PeopleMutation, PeopleQuery
from schema.people.types import DutyCard, Person, Role, RoleAssignment

__all__ = ["DutyCard", "PeopleMutation", "PeopleQuery", "Person", "Role", "RoleAssignment"]
