"""GraphQL for the audit log (审计记录): who changed what and when, for admins."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from schema.core.context import Info
from schema.core.errors import describe_values
from schema.core.ids import id_argument, require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.people import Person
from services import audit
from services.enums import AuditKind

if TYPE_CHECKING:
    from services.models.audit import AuditEntry as AuditEntryModel

strawberry.enum(AuditKind, description="What an audit entry (审计记录) is about.")
describe_values(
    AuditKind,
    {
        "POINTS": "Points: awards, reviews, penalties, reversals (积分).",
        "ROLE": "Roles assigned and ended (任职).",
        "RULE": "Points rules created, changed (a new version) or retired (积分规则).",
        "POLICY": "Points expiry and pickup policies (积分政策).",
        "REWARD": "Rewards of the marketplace posted, changed or restocked (兑换商品).",
        "EVALUATION": "Adjustments of evaluation scores (考核调整).",
        "IMPORT": "Rows created or changed by a spreadsheet import (批量导入).",
    },
)


@strawberry.type(
    description="One change (审计记录): who made it, when, to what, with the values before and "
    "after (only the fields that changed; null before: something new)."
)
class AuditEntry:
    kind: AuditKind = strawberry.field(description="What it is about.")
    action: str = strawberry.field(
        description="The operation, as the API names it (awardPoints, endRole, ...)."
    )
    subject_id: relay.GlobalID = strawberry.field(
        description="What was changed (a PointsAward, RoleAssignment, PointsRule, Reward, ...)."
    )
    before: JSON | None = strawberry.field(description="The changed fields before (JSON).")
    after: JSON | None = strawberry.field(description="The changed fields after (JSON).")
    created_at: datetime = strawberry.field(description="When.")
    actor_person_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, e: AuditEntryModel) -> AuditEntry:
        return cls(
            kind=e.kind,
            action=e.action,
            subject_id=relay.GlobalID(e.subject_type, e.subject_id),
            before=cast("JSON", e.before),
            after=cast("JSON", e.after),
            created_at=e.created_at,
            actor_person_id=e.actor_person_id,
        )

    @strawberry.field(
        description="Who made it (null: the system itself, e.g. a timer, or not visible)."
    )
    async def actor(self, info: Info) -> Person | None:
        if self.actor_person_id is None:
            return None
        view = await info.context.loaders.person.load(self.actor_person_id)
        return Person.from_view(view) if view else None


@strawberry.type
class AuditQuery:
    @strawberry.field(
        description="Who changed what and when in an area and below, newest first (admins of "
        "the area)."
    )
    async def audit_log(
        self,
        info: Info,
        under: Annotated[relay.GlobalID, id_argument("Area", description="The area.")],
        kind: Annotated[
            AuditKind | None, strawberry.argument(description="Only this kind.")
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[AuditEntry]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: audit.audit_log(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                kind=kind,
                window=window,
            ),
            AuditEntry.from_model,
        )
