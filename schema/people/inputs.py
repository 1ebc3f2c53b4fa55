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


@strawberry.input(
    description="End a role; the assignment stays as history, and what the role held is handed "
    "over (交接)."
)
class EndRoleInput:
    assignment_id: relay.GlobalID = id_field("RoleAssignment", description="The role assignment.")
    reason: str = strawberry.field(description="Why (kept with the history).")
    hand_over_to_person_id: relay.GlobalID | None = id_field(
        "Person",
        default=None,
        description="Who takes over (交接) when a central household's (中心户) role ends: "
        "another central household of the same micro-grid, who gets its care links and the "
        "orders assigned to it. Omitted: the care links go to the micro-grid leader (ended if "
        "there is none) and assigned orders back to their handler. A leader's open orders go "
        "to the level above (grid leader, then community); no successor is named for them.",
    )
