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

    @strawberry.mutation(description="End a role with a reason; history is kept.")
    async def end_role(
        self, info: Info, input: Annotated[EndRoleInput, MUTATION_INPUT]
    ) -> EndRoleResult:
        assignment = await people.end_role(
            actor=info.context.actor,
            assignment_id=require_key(input.assignment_id, "RoleAssignment", "assignmentId"),
            reason=input.reason,
        )
        return EndRoleSuccess(assignment=RoleAssignment.from_model(assignment))
