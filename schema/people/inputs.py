"""Inputs of the people mutations."""

from __future__ import annotations

import strawberry
from strawberry import relay

import schema.people.enums  # noqa: F401  (registers the enum annotated below)
from schema.core.ids import id_field
from services.enums import Role


@strawberry.input(description="A person registered by an admin (e.g. an elderly resident).")
class CreatePersonInput:
    name: str = strawberry.field(description="Full name.")
    phone: str | None = strawberry.field(default=None, description="Mobile number.")
    party_member: bool = strawberry.field(default=False, description="Party member (党员).")
    household_id: relay.GlobalID | None = id_field(
        "Household", default=None, description="Household they live in."
    )


@strawberry.input(description="Appoint a person to a role at an area.")
class AssignRoleInput:
    person_id: relay.GlobalID = id_field("Person", description="The person.")
    role: Role = strawberry.field(description="The role (not RESIDENT).")
    area_id: relay.GlobalID = id_field("Area", description="An area of the role's level.")


@strawberry.input(description="End a role; the assignment stays as history.")
class EndRoleInput:
    assignment_id: relay.GlobalID = id_field("RoleAssignment", description="The role assignment.")
    reason: str = strawberry.field(description="Why (kept with the history).")
