"""Queries and mutations of people and roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import (
    MUTATION_INPUT,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from schema.core.ids import area_key, id_argument, id_field, node_key, require_key
from schema.core.pagination import After, Connection, First, page_args
from services import people

if TYPE_CHECKING:
    pass
from schema.people.types import DutyCard, Person, Role, RoleAssignment


@strawberry.input(description="A person registered by an admin (e.g. an elderly resident).")
class CreatePersonInput:
    name: str = strawberry.field(description="Full name.")
    phone: str | None = strawberry.field(default=None, description="Mobile number.")
    party_member: bool = strawberry.field(default=False, description="Party member (党员).")
    household_id: relay.GlobalID | None = id_field(
        "Household", default=None, description="Household they live in."
    )


@strawberry.type(description="The person was registered.")
class CreatePersonSuccess:
    person: Person = strawberry.field(description="The new person.")


CreatePersonResult = Annotated[
    CreatePersonSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated,
    strawberry.union("CreatePersonResult", description="The new person or why not."),
]


@strawberry.input(description="Appoint a person to a role at an area.")
class AssignRoleInput:
    person_id: relay.GlobalID = id_field("Person", description="The person.")
    role: Role = strawberry.field(description="The role (not RESIDENT).")  # type: ignore[valid-type]
    area_id: relay.GlobalID = id_field("Area", description="An area of the role's level.")


@strawberry.type(description="The person now holds the role.")
class AssignRoleSuccess:
    assignment: RoleAssignment = strawberry.field(description="The new role assignment.")


AssignRoleResult = Annotated[
    AssignRoleSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("AssignRoleResult", description="The assignment or why not."),
]


@strawberry.input(description="End a role; the assignment stays as history.")
class EndRoleInput:
    assignment_id: relay.GlobalID = id_field("RoleAssignment", description="The role assignment.")
    reason: str = strawberry.field(description="Why (kept with the history).")


@strawberry.type(description="The role has ended.")
class EndRoleSuccess:
    assignment: RoleAssignment = strawberry.field(description="The ended assignment.")


EndRoleResult = Annotated[
    EndRoleSuccess | InvalidInput | NotFound | Forbidden | Unauthenticated | Conflict,
    strawberry.union("EndRoleResult", description="The ended assignment or why not."),
]


@strawberry.type
class PeopleQuery:
    @strawberry.field(description="People living or serving under an area (admins and leaders).")
    async def people(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument(
                "Area", description="Area subtree; all areas the viewer runs when omitted."
            ),
        ] = None,
        role: Annotated[
            Role | None,  # type: ignore[valid-type]
            strawberry.argument(description="Only holders of this role."),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Part of the name, or the start of the phone number (at most 100 "
                "characters)."
            ),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[Person]:
        size, key = page_args(info, first, after)
        page = await people.list_people(
            actor=info.context.actor,
            under_id=area_key(under, "under"),
            role=role,
            search=search,
            first=size,
            after=key,
        )
        return Connection.build(page, Person.from_view)

    @strawberry.field(
        description="Public duty cards (便民服务牌) under an area; no sign-in needed."
    )
    async def duty_cards(
        self,
        info: Info,
        under: Annotated[
            relay.GlobalID | None,
            id_argument("Area", description="Area subtree; the whole district when omitted."),
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[DutyCard]:
        size, key = page_args(info, first, after)
        page = await people.duty_cards(under_id=area_key(under, "under"), first=size, after=key)
        return Connection.build(page, DutyCard.from_model)


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
