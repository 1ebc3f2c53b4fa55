"""Enums of the evaluation scheme, registered with GraphQL once: the domain's own classes
(services.enums), so both layers annotate with the same class. ScoreSource is GraphQL's only."""

from __future__ import annotations

from enum import Enum

import strawberry

# Dimension, Role and AreaLevel are registered by their own domains. They are imported first
# because a relay.Node type resolves its annotations when its class is made, and an enum met
# unregistered there would get a second, undescribed GraphQL definition.
import schema.grids
import schema.people
import schema.points  # noqa: F401
from schema.core.errors import describe_values
from services.enums import ExitReviewStatus, HonourKind, Metric, ObjectionStatus, PeriodStatus

strawberry.enum(PeriodStatus, name="EvaluationPeriodStatus", description="Where a period stands.")
describe_values(
    PeriodStatus,
    {
        "OPEN": "Opened: the quarter's work counts; nothing is scored yet.",
        "SCORING": "Scored from the ledger and metrics; admins adjust, holders object.",
        "PUBLISHED": "Published and locked: ranks, red flags and exit reviews are final.",
    },
)
strawberry.enum(HonourKind, description="The quarterly red-flag honours.")
describe_values(
    HonourKind,
    {
        "RED_FLAG_GRID": "Red flag grid (红旗网格).",
        "RED_FLAG_MICRO_GRID": "Red flag micro-grid (红旗微网格).",
        "RED_FLAG_CENTRAL_HOUSEHOLD": "Red flag central household (红旗中心户).",
    },
)
strawberry.enum(Metric, description="Activity counted outside the points ledger, per quarter.")
describe_values(
    Metric,
    {
        "TRAINING_ATTENDED": "Training sessions attended (MANAGEMENT_SERVICE).",
        "NOTICES_ACKNOWLEDGED": "Notices acknowledged (POLICY_COMMUNICATION).",
        "REPORTS_VERIFIED": "Problem reports verified by the grid leader, as the reporter "
        "(INFORMATION_REPORTING).",
        "ORDERS_WITHIN_SLA": "Work orders confirmed with accept and resolve times within their "
        "SLA, as the handler (PROBLEM_HANDLING).",
    },
)
strawberry.enum(ObjectionStatus, description="Where an objection stands.")
describe_values(
    ObjectionStatus,
    {
        "OPEN": "Waiting for an admin.",
        "UPHELD": "Upheld: the adjustment was withdrawn.",
        "REJECTED": "Rejected: the adjustment stands.",
    },
)
strawberry.enum(ExitReviewStatus, description="Where a dynamic-exit review (动态退出) stands.")
describe_values(
    ExitReviewStatus,
    {
        "OPEN": "Flagged: an admin ends the role (endRole) or clears the flag.",
        "CLEARED": "Cleared by an admin, with a reason: the holder stays.",
        "ROLE_ENDED": "The role was ended (the reason is kept on the role).",
    },
)


@strawberry.enum(description="Where the points of a dimension score came from.")
class ScoreSource(Enum):
    RULE = strawberry.enum_value("RULE", description="Ledger credit of a points rule.")
    METRIC = strawberry.enum_value(
        "METRIC", description="An activity metric (e.g. TRAINING_ATTENDED)."
    )
    ITEM = strawberry.enum_value("ITEM", description="An admin's score of a manual item.")
    ADJUSTMENT = strawberry.enum_value("ADJUSTMENT", description="A manual adjustment.")
