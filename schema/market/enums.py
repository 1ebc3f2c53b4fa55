"""The marketplace's enums in GraphQL: registered once, the services.enums classes themselves."""

from __future__ import annotations

import strawberry

from schema.core.errors import describe_values
from services.enums import ProviderKind, RedemptionStatus, RewardCategory

strawberry.enum(RewardCategory, description="What a reward is.")
describe_values(
    RewardCategory,
    {
        "GOODS": "Goods to take home (daily necessities, ...).",
        "SERVICE": "A service (haircut, repair, ...).",
        "VOUCHER": "A voucher or discount at a merchant.",
        "EXPERIENCE": "An experience (a visit, a class, ...).",
    },
)
strawberry.enum(ProviderKind, description="Who gives a reward.")
describe_values(
    ProviderKind,
    {
        "COMMUNITY": "The community itself.",
        "PARTNER_UNIT": "A partner unit (共建单位): a merchant, firm, agency, ...",
    },
)
strawberry.enum(RedemptionStatus, description="Where a redemption stands.")
describe_values(
    RedemptionStatus,
    {
        "HELD": "Points and items are held until pickup (show the pickup code).",
        "FULFILLED": "Handed over: the points were spent.",
        "CANCELLED": "Cancelled: points and items were released.",
        "EXPIRED": "Not picked up in time: points and items were released.",
    },
)

__all__ = ["ProviderKind", "RedemptionStatus", "RewardCategory"]
