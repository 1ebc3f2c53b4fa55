"""Inputs of the notice mutations: publish, acknowledge."""

from __future__ import annotations

import strawberry
from strawberry import relay

import schema.notices.enums  # noqa: F401  (registers the enum annotated below)
from schema.core.ids import id_field
from services.enums import RelayChannel, Role


@strawberry.input(
    description="Publish a notice to an area and everything under it (admins within the areas "
    "they administer, grid and micro-grid leaders within their own grid or micro-grid)."
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


@strawberry.input(description="A notice delivered to you, by id.")
class AcknowledgeNoticeInput:
    notice_id: relay.GlobalID = id_field("Notice", description="The notice.")


@strawberry.input(
    description="Record that you told households of a notice (micro-grid or grid leaders for "
    "the households of their area, central households for those they look after)."
)
class RecordNoticeRelayInput:
    notice_id: relay.GlobalID = id_field("Notice", description="The notice.")
    household_ids: list[relay.GlobalID] = id_field(
        "Household", description="1-100 different households told."
    )
    channel: RelayChannel = strawberry.field(description="How: 入户, 电话 or 微信群.")
