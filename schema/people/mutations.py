"""Mutations of people and roles."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import node_key, require_key
from schema.people.inputs import AssignRoleInput, CreatePersonInput, EndRoleInput
from schema.people.payloads import (
    AssignRoleResult,
    AssignRoleSuccess,
    CreatePersonResult,
    CreatePersonSuccess,
    EndRoleResult,
    EndRoleSuccess,
)
from schema.people.types import Person, RoleAssignment
from services import people


@strawberry.type
class PeopleMutation:
    @strawberry.mutation(description="Register a person without an account (admins).")
    async def create_person(
        self, info: Info, input: Annotated[CreatePersonInput, MUTATION_INPUT]
    ) -> CreatePersonResult:
        person = await people.create_person(
            actor=info.context.actor,
            name=input.name,
            phone=input.phone,
            party_member=input.party_member,
            household_id=node_key(input.household_id, "Household", "householdId"),
        )
        return CreatePersonSuccess(person=Person.from_model(person, full=True))

    @strawberry.mutation(description="Appoint a person to a role (admins, from the level above).")
    async def assign_role(
        self, info: Info, input: Annotated[AssignRoleInput, MUTATION_INPUT]
    ) -> AssignRoleResult:
        assignment = await people.assign_role(
            actor=info.context.actor,
            person_id=require_key(input.person_id, "Person", "personId"),
            role=input.role,
            area_id=require_key(input.area_id, "Area", "areaId"),
        )
        return AssignRoleSuccess(assignment=RoleAssignment.from_model(assignment))

    @strawberry.mutation(
        description="End a role with a reason; history is kept, and what the role held is "
        "handed over (care links, open work orders) in the same change."
    )
    async def end_role(
        self, info: Info, input: Annotated[EndRoleInput, MUTATION_INPUT]
    ) -> EndRoleResult:
        from schema.households import CareLink
        from schema.workorders import WorkOrder

        ended = await people.end_role(
            actor=info.context.actor,
            assignment_id=require_key(input.assignment_id, "RoleAssignment", "assignmentId"),
            reason=input.reason,
            hand_over_to_id=node_key(input.hand_over_to_person_id, "Person", "handOverToPersonId"),
        )
        return EndRoleSuccess(
            assignment=RoleAssignment.from_model(ended.assignment),
            moved_care_links=[CareLink.from_model(c) for c in ended.moved_care_links],
            moved_care_link_count=ended.moved_care_link_count,
            transferred_work_orders=[
                WorkOrder.from_model(o) for o in ended.transferred_work_orders
            ],
            transferred_work_order_count=ended.transferred_work_order_count,
        )
