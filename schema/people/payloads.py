"""Success types and result unions of the people mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.core.errors import Conflict, UserErrors
from schema.people.types import Person, RoleAssignment
from services.people import HANDOVER_LIST_LIMIT

if TYPE_CHECKING:
    from schema.households import CareLink
    from schema.workorders import WorkOrder


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


@strawberry.type(description="The role has ended, and what it held was handed over (交接).")
class EndRoleSuccess:
    assignment: RoleAssignment = strawberry.field(description="The ended assignment.")
    moved_care_links: list[Annotated[CareLink, strawberry.lazy("schema.households")]] = (
        strawberry.field(
            description="The care links handed over, as they are now (the new holder: the "
            "successor named or the micro-grid leader); the first "
            f"{HANDOVER_LIST_LIMIT} by household. Empty when they ended (nobody to take them) "
            "or there were none."
        )
    )
    moved_care_link_count: int = strawberry.field(description="How many care links moved.")
    transferred_work_orders: list[Annotated[WorkOrder, strawberry.lazy("schema.workorders")]] = (
        strawberry.field(
            description="The open work orders handed over, as they are now (reassigned to the "
            "successor or back to their handler, or passed to the level above), each with the "
            f"step on its timeline; the first {HANDOVER_LIST_LIMIT} by id."
        )
    )
    transferred_work_order_count: int = strawberry.field(
        description="How many open work orders moved."
    )


EndRoleResult = Annotated[
    EndRoleSuccess | UserErrors | Conflict,
    strawberry.union("EndRoleResult", description="The ended assignment or why not."),
]
