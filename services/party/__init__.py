"""The party organisation (党组织) parallel to the net: units at each level with their
secretaries and members, and party members' individual reports to the community where they
live (个人双报到)."""

from services.party.reports import (
    community_reports,
    current_reports,
    report_to_community,
    reports_by_ids,
)
from services.party.units import (
    MAX_MEMBERSHIPS,
    add_member,
    create_unit,
    dissolve_unit,
    dissolved_units,
    member_counts,
    memberships_by_ids,
    memberships_by_person,
    remove_member,
    unit_members,
    units_by_area,
    units_by_ids,
    update_unit,
)

__all__ = [
    "MAX_MEMBERSHIPS",
    "add_member",
    "community_reports",
    "create_unit",
    "current_reports",
    "dissolve_unit",
    "dissolved_units",
    "member_counts",
    "memberships_by_ids",
    "memberships_by_person",
    "remove_member",
    "report_to_community",
    "reports_by_ids",
    "unit_members",
    "units_by_area",
    "units_by_ids",
    "update_unit",
]
