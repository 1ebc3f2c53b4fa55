"""Results of the notice mutations: each success type and its result union."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema.core.context import Info
from schema.core.errors import UserErrors
from schema.notices.types import Notice, NoticeRelay
from schema.points import PointsAward


@strawberry.type(description="Published and delivered.")
class PublishNoticeSuccess:
    notice: Notice = strawberry.field(description="The new notice.")


PublishNoticeResult = Annotated[
    PublishNoticeSuccess | UserErrors,
    strawberry.union("PublishNoticeResult", description="The notice or why not."),
]


@strawberry.type(
    description="Acknowledged. Again returns the first acknowledgement and awards nothing."
)
class AcknowledgeNoticeSuccess:
    notice: Notice = strawberry.field(description="The notice.")
    acknowledged_at: datetime = strawberry.field(description="When you first acknowledged it.")
    first_time: bool = strawberry.field(
        description="This call acknowledged it (false: it was acknowledged before)."
    )
    award_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The NOTICE_RELAYED award of the acknowledgement (null: none, e.g. the "
        "rule's daily cap was reached)."
    )
    async def award(self, info: Info) -> PointsAward | None:
        if self.award_id is None:
            return None
        found = await info.context.loaders.points_award.load(self.award_id)
        return PointsAward.from_model(found) if found else None


AcknowledgeNoticeResult = Annotated[
    AcknowledgeNoticeSuccess | UserErrors,
    strawberry.union("AcknowledgeNoticeResult", description="The acknowledgement or why not."),
]


@strawberry.type(
    description="Recorded. A household told before keeps its first relay (who, how, when)."
)
class RecordNoticeRelaySuccess:
    notice: Notice = strawberry.field(description="The notice.")
    relays: list[NoticeRelay] = strawberry.field(
        description="The relay of each household named, in the order given."
    )


RecordNoticeRelayResult = Annotated[
    RecordNoticeRelaySuccess | UserErrors,
    strawberry.union("RecordNoticeRelayResult", description="The relays or why not."),
]
