"""The audit log (审计记录): who changed what and when, with the values before and after."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from services.enums import AuditKind
from services.kit import clock


class AuditEntry(Model):
    """One change, written in the same transaction as the change itself. `area_path` is where
    it happened (the community of an award, the area of a role, the district for its default
    rules): admins read the entries of the areas they administer."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(AuditKind, max_length=16)
    # The operation, as the API names it (awardPoints, endRole, updatePointsRule, ...).
    action = fields.CharField(max_length=40)
    area_path = fields.CharField(max_length=255)
    subject_type = fields.CharField(max_length=40)
    subject_id = fields.CharField(max_length=40)
    actor_account_id = fields.IntField(null=True)
    actor_person_id = fields.IntField(null=True)
    before: dict[str, Any] | None = fields.JSONField(null=True)
    after: dict[str, Any] | None = fields.JSONField(null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "audit_entry"
        indexes = (("area_path", "id"), ("kind", "area_path", "id"))
