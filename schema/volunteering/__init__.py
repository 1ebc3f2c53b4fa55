"""GraphQL of volunteer teams and activities: teams, members, activities, sign-up, check-in,
service hours."""

# Registers the enums with Strawberry before any type that uses them is built.
from schema.volunteering import enums as enums
from schema.volunteering.mutations import VolunteeringMutation
from schema.volunteering.queries import VolunteeringQuery
from schema.volunteering.types import (
    ActivitySignUp,
    VolunteerActivity,
    VolunteerHours,
    VolunteerTeam,
)

__all__ = [
    "ActivitySignUp",
    "VolunteerActivity",
    "VolunteerHours",
    "VolunteerTeam",
    "VolunteeringMutation",
    "VolunteeringQuery",
]
