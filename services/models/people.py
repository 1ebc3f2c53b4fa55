"""People and their role assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from services.enums import Role
from services.kit import clock

if TYPE_CHECKING:
    from services.models.accounts import UserAccount
    from services.models.grids import Area
    from services.models.households import Household


class Person(Model):
    """A person (居民/工作人员) known to the service, with or without a sign-in account."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    phone = fields.CharField(max_length=20, null=True)
    party_member = fields.BooleanField(default=False)
    # The ID card (身份证): its last four characters; the full number only when the setting
    # STORE_FULL_ID_NUMBERS allows it (off by default: the service needs no more to tell
    # two people of the same name apart).
    id_card_last4 = fields.CharField(max_length=4, null=True)
    id_card_number = fields.CharField(max_length=18, null=True)
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    household_id: int | None
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "person"
        indexes = (("name",), ("household_id",))


class RoleAssignment(Model):
    """A role held at an area from `since` until `until` (open while null), kept after it ends."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="role_assignments", on_delete=fields.RESTRICT
    )
    role = fields.CharEnumField(Role, max_length=32)
    area: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="role_assignments", null=True, on_delete=fields.RESTRICT
    )
    person_id: int
    area_id: int | None
    assigned_by_id: int | None
    ended_by_id: int | None
    # Copy of the area's path (or "" for RESIDENT) so "holders under X" is one range scan.
    area_path = fields.CharField(max_length=255, default="")
    since = fields.DatetimeField()
    until = fields.DatetimeField(null=True)
    end_reason = fields.CharField(max_length=500, null=True)
    assigned_by: fields.ForeignKeyNullableRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="assigned_roles", null=True, on_delete=fields.SET_NULL
    )
    ended_by: fields.ForeignKeyNullableRelation[UserAccount] = fields.ForeignKeyField(
        "models.UserAccount", related_name="ended_roles", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "role_assignment"
        # (area_id, role, until): role holders of a page of areas, leaderless micro-grids.
        indexes = (("area_path", "role"), ("person_id", "until"), ("area_id", "role", "until"))
        # Migration 0002 adds a partial unique index as a second guard behind the service
        # check: one open grid / micro-grid leader per area (Tortoise models cannot express it).
