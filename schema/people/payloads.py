"""Success types and result unions of the people mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import Conflict, UserErrors
from schema.people.types import Person, RoleAssignment


@strawberry.type(description="The person was registered.")
class CreatePersonSuccess:
    person: Person = strawberry.field(description="The new person.")


CreatePersonResult = Annotated[
    CreatePersonSuccess | UserErrors,
    strawberry.union("CreatePersonResult", description="The new person or why not."),
]


@strawberry.type(description="The person now holds the role.")
class AssignRoleSuccess:
    assignment: RoleAssignment = strawberry.field(description="The new role assignment.")


AssignRoleResult = Annotated[
    AssignRoleSuccess | UserErrors | Conflict,
    strawberry.union("AssignRoleResult", description="The assignment or why not."),
]


@strawberry.type(description="The role has ended.")
class EndRoleSuccess:
    assignment: RoleAssignment = strawberry.field(description="The ended assignment.")


EndRoleResult = Annotated[
    EndRoleSuccess | UserErrors | Conflict,
    strawberry.union("EndRoleResult", description="The ended assignment or why not."),
]
