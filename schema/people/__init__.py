"""GraphQL for people, role assignments and the public duty cards (便民服务牌)."""

# First: registers the services.enums classes this domain's types are annotated with
# (strawberry.enum returns the class itself), before any of those types is built.
import schema.people.enums  # noqa: F401
from schema.people.mutations import PeopleMutation
from schema.people.queries import PeopleQuery
from schema.people.types import DutyCard, Person, RoleAssignment

__all__ = ["DutyCard", "PeopleMutation", "PeopleQuery", "Person", "RoleAssignment"]
