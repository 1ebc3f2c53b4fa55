"""Queries and mutations of notices: list, publish, acknowledge."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.arguments import Under
from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, UserErrors
from schema.core.ids import id_field, require_key
from schema.core.pagination import After, Connection, First, paged
from schema.notices.types import Notice
from schema.people import Role
from schema.points import PointsAward
from services import notices


@strawberry.input(
    description="Publish a notice to an area and everything under it (admins within the areas "
    "they administer, grid leaders within their grid)."
)
class PublishNoticeInput:
    under: relay.GlobalID = id_field("Area", description="The area it is published to.")
    title: str = strawberry.field(description="Title, 1-100 characters.")
    body: str = strawberry.field(description="Text, 1-5000 characters.")
    roles: list[Role] = strawberry.field(
        default_factory=list,
        description="Only these roles (empty: everyone in the area). Micro-grid leaders and "
        "central households among them are asked to acknowledge it.",
    )


@strawberry.type(description="Published and delivered.")
class PublishNoticeSuccess:
    notice: Notice = strawberry.field(description="The new notice.")


PublishNoticeResult = Annotated[
    PublishNoticeSuccess | UserErrors,
    strawberry.union("PublishNoticeResult", description="The notice or why not."),
]


@strawberry.input(description="A notice delivered to you, by id.")
class AcknowledgeNoticeInput:
    notice_id: relay.GlobalID = id_field("Notice", description="The notice.")


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


@strawberry.type
class NoticesQuery:
    @strawberry.field(
        description="Notices for an area, newest first: published to it, above it or below "
        "it, as far as the viewer may read them. For the people of the area (a role or "
        "household in it) and the admins and leaders above it."
    )
    async def notices(
        self,
        info: Info,
        under: Under,
        first: First = None,
        after: After = None,
    ) -> Connection[Notice]:
        return await paged(
            info,
            first,
            after,
            lambda size, key: notices.list_notices(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                first=size,
                after=key,
            ),
            Notice.from_model,
        )


@strawberry.type
class NoticesMutation:
    @strawberry.mutation(
        description="Publish a notice (政策传达) to an area's subtree, optionally to chosen "
        "roles; its micro-grid leaders and central households are asked to acknowledge it."
    )
    async def publish_notice(
        self, info: Info, input: Annotated[PublishNoticeInput, MUTATION_INPUT]
    ) -> PublishNoticeResult:
        notice = await notices.publish_notice(
            actor=info.context.actor,
            area_id=require_key(input.under, "Area", "under"),
            title=input.title,
            body=input.body,
            roles=input.roles,
        )
        return PublishNoticeSuccess(notice=Notice.from_model(notice))

    @strawberry.mutation(
        description="Acknowledge a notice delivered to you (micro-grid leaders and central "
        "households): the first time earns NOTICE_RELAYED points."
    )
    async def acknowledge_notice(
        self, info: Info, input: Annotated[AcknowledgeNoticeInput, MUTATION_INPUT]
    ) -> AcknowledgeNoticeResult:
        done = await notices.acknowledge_notice(
            actor=info.context.actor, notice_id=require_key(input.notice_id, "Notice", "noticeId")
        )
        return AcknowledgeNoticeSuccess(
            notice=Notice.from_model(done.notice),
            acknowledged_at=done.acknowledgement.acknowledged_at,
            first_time=done.first,
            award_id=done.acknowledgement.award_id,
        )
