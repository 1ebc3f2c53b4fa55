"""GraphQL of volunteer teams and activities: teams, members, activities, sign-up, check-in,
service hours."""

# First: registers the services.enums classes this domain's types are annotated with
# (strawberry.enum returns the class itself), before any of those types is built.
import schema.volunteering.enums  # noqa: F401
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
