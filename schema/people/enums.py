"""People's enum, registered with Strawberry once (the services class itself)."""

from __future__ import annotations

import strawberry

from schema.core.errors import describe_values
from services.enums import Role

strawberry.enum(
    Role,
    description="Roles: admins (区/街道/社区), grid leader (网格长), micro-grid leader (微网格长), "
    "central household (中心户), part-time grid member (兼职网格员, e.g. riders), volunteer, "
    "partner-unit member, resident.",
)
describe_values(
    Role,
    {
        "DISTRICT_ADMIN": "District admin: runs the whole district.",
        "STREET_ADMIN": "Street admin (街道): runs one street.",
        "COMMUNITY_ADMIN": "Community admin (社区): runs one community.",
        "GRID_LEADER": "Grid leader (网格长), one per grid.",
        "MICRO_GRID_LEADER": "Micro-grid leader (微网格长), one per micro-grid.",
        "CENTRAL_HOUSEHOLD": "Central household (中心户): looks after 10-20 neighbouring homes.",
        "PART_TIME_GRID_MEMBER": "Part-time grid member (兼职网格员), e.g. a delivery rider.",
        "VOLUNTEER": "Volunteer of a community.",
        "PARTNER_MEMBER": "Staff of a partner unit serving a community.",
        "RESIDENT": "Every signed-up person; held without an area.",
    },
)

__all__ = ["Role"]
