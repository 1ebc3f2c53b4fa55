"""GraphQL for people, role assignments and the public duty cards (便民服务牌)."""

from schema.people.enums import Role
from schema.people.mutations import PeopleMutation
from schema.people.queries import PeopleQuery
from schema.people.types import DutyCard, Person, RoleAssignment

__all__ = ["DutyCard", "PeopleMutation", "PeopleQuery", "Person", "Role", "RoleAssignment"]
