"""Mutations of notices: publish, acknowledge, relay to households."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT
from schema.core.ids import require_key
from schema.notices.inputs import (
    AcknowledgeNoticeInput,
    PublishNoticeInput,
    RecordNoticeRelayInput,
)
from schema.notices.payloads import (
    AcknowledgeNoticeResult,
    AcknowledgeNoticeSuccess,
    PublishNoticeResult,
    PublishNoticeSuccess,
    RecordNoticeRelayResult,
    RecordNoticeRelaySuccess,
)
from schema.notices.types import Notice, NoticeRelay
from services import notices


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

    @strawberry.mutation(
        description="Record that you told households of a notice (入户/电话/微信群): micro-grid "
        "and grid leaders for the households of their area, central households for those they "
        "look after. Coverage counts the households reached."
    )
    async def record_notice_relay(
        self, info: Info, input: Annotated[RecordNoticeRelayInput, MUTATION_INPUT]
    ) -> RecordNoticeRelayResult:
        notice, relays = await notices.record_notice_relay(
            actor=info.context.actor,
            notice_id=require_key(input.notice_id, "Notice", "noticeId"),
            household_ids=[
                require_key(h, "Household", "householdIds") for h in input.household_ids
            ],
            channel=input.channel,
        )
        return RecordNoticeRelaySuccess(
            notice=Notice.from_model(notice), relays=[NoticeRelay.from_model(r) for r in relays]
        )
