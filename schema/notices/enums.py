"""The notices' enums, registered with Strawberry once (the services classes themselves)."""

from __future__ import annotations

import strawberry

from schema.core.errors import describe_values
from services.enums import RelayChannel

strawberry.enum(
    RelayChannel,
    description="How a notice was passed on to a household: 入户, 电话 or 微信群.",
)
describe_values(
    RelayChannel,
    {
        "VISIT": "In person, at the door (入户).",
        "PHONE": "By phone (电话).",
        "WECHAT_GROUP": "In the WeChat group (微信群).",
    },
)

__all__ = ["RelayChannel"]
