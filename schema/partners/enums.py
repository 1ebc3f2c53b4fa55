"""The partner domain's enums, registered with Strawberry once, each value described."""

from __future__ import annotations

import strawberry

from schema.core.errors import describe_values
from services.enums import (
    MatchSide,
    MatchStatus,
    NeedStatus,
    PartnerUnitKind,
    PartnerUnitStatus,
    ProjectRole,
    ProjectStatus,
    ResourceCategory,
    ResourceStatus,
    Urgency,
)

strawberry.enum(PartnerUnitKind, description="Kinds of partner unit.")
describe_values(
    PartnerUnitKind,
    {
        "GOVERNMENT_AGENCY": "A government agency (机关).",
        "PUBLIC_INSTITUTION": "A public institution (事业单位): school, hospital, ...",
        "ENTERPRISE": "An enterprise (企业).",
        "SOCIAL_ORGANIZATION": "A social organisation (社会组织); claims service projects unless "
        "its community chooses otherwise.",
        "PROPERTY_COMPANY": "A property-management company (物业企业); claims service projects "
        "unless its community chooses otherwise.",
        "MERCHANT": "A merchant (商户).",
    },
)
strawberry.enum(PartnerUnitStatus, description="Where a unit's registration (双报到) stands.")
describe_values(
    PartnerUnitStatus,
    {
        "PENDING": "Registered, waiting for an admin of the community.",
        "APPROVED": "Approved: its members act for it (lists, matches, projects, rewards).",
        "REJECTED": "Rejected, with a reason.",
    },
)
strawberry.enum(ResourceCategory, description="What a resource offers or a need asks for.")
describe_values(
    ResourceCategory,
    {
        "VENUE": "A venue (场地), counted in uses.",
        "FUNDS": "Funds (资金), in yuan; also meet GOODS and EQUIPMENT needs.",
        "EQUIPMENT": "Equipment (设备).",
        "EXPERTISE": "Expertise (专业技术): lectures, training; also meets SERVICE needs.",
        "VOLUNTEER_HOURS": "Volunteer hours (志愿服务时长); also meet SERVICE needs.",
        "GOODS": "Goods (物资); may stock the points marketplace.",
        "SERVICE": "A service (服务); meets EXPERTISE and VOLUNTEER_HOURS needs too; may stock "
        "the points marketplace.",
    },
)
strawberry.enum(ResourceStatus, description="Where a resource entry stands.")
describe_values(
    ResourceStatus,
    {
        "OPEN": "Offered: matched while something is left and inside its window.",
        "WITHDRAWN": "Withdrawn by its unit (accepted matches stay).",
    },
)
strawberry.enum(NeedStatus, description="Where a need entry stands.")
describe_values(
    NeedStatus,
    {
        "OPEN": "Open: matches may still cover it.",
        "FULFILLED": "Fully committed by accepted matches.",
        "CANCELLED": "Cancelled by its area (may be reopened).",
    },
)
strawberry.enum(Urgency, description="How urgent a need is.")
describe_values(
    Urgency,
    {
        "LOW": "When convenient.",
        "NORMAL": "Normal.",
        "HIGH": "Soon.",
        "CRITICAL": "At once (平战融合: emergencies).",
    },
)
strawberry.enum(MatchSide, description="A side of a match.")
describe_values(
    MatchSide,
    {
        "RESOURCE": "The unit offering the resource (its managers).",
        "NEED": "The area posting the need (its admins and leaders).",
    },
)
strawberry.enum(MatchStatus, description="Where a match stands.")
describe_values(
    MatchStatus,
    {
        "PROPOSED": "Proposed by one side, waiting for the other.",
        "ACCEPTED": "Accepted: quantities committed, linked to a co-building project.",
        "DECLINED": "Declined by the other side, with a reason.",
        "WITHDRAWN": "Withdrawn by the proposing side.",
    },
)
strawberry.enum(ProjectStatus, description="Where a co-building project stands.")
describe_values(
    ProjectStatus,
    {
        "PROPOSED": "Proposed; becomes ACTIVE or is CANCELLED.",
        "ACTIVE": "Running (projects made by accepted matches start here).",
        "COMPLETED": "Done (closed).",
        "CANCELLED": "Cancelled (closed).",
    },
)
strawberry.enum(ProjectRole, description="How a unit takes part in a project.")
describe_values(
    ProjectRole,
    {
        "OWNER": "Runs it with the community (e.g. a property company that claimed it).",
        "PARTNER": "Contributes resources (joined by an accepted match).",
        "BENEFICIARY": "Benefits from it.",
    },
)
