"""The party organisation (党组织) that runs parallel to the territory: units, their members,
and party members' individual reports to the community where they live (个人双报到)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from services.enums import PartyUnitKind

if TYPE_CHECKING:
    from services.models.grids import Area
    from services.models.people import Person


class PartyUnit(Model):
    """A party unit attached to an area of its level: district committee (区委), street working
    committee (街道党工委), community organisation (社区党委/总支), grid branch (网格党支部),
    micro-grid group (党小组). Dissolved units are kept (history), with who and why; one active
    unit per area and kind (a partial unique index, migration 0022)."""

    id = fields.IntField(primary_key=True)
    area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="party_units", on_delete=fields.RESTRICT
    )
    area_id: int
    kind = fields.CharEnumField(PartyUnitKind, max_length=40)
    name = fields.CharField(max_length=100)
    secretary: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="party_units_led", null=True, on_delete=fields.RESTRICT
    )
    secretary_id: int | None
    # The secretary as free text, for one not on record as a person (units set up before
    # secretaries were people keep the name they had if it matched nobody).
    secretary_name = fields.CharField(max_length=50, null=True)
    # Null for units set up before the date was kept.
    created_at = fields.DatetimeField(null=True)
    dissolved_at = fields.DatetimeField(null=True)
    dissolved_by_id = fields.IntField(null=True)
    dissolve_reason = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "party_unit"
        indexes = (("area_id", "kind"),)


class PartyMembership(Model):
    """A party member's membership of a unit, from `joined_at` until `left_at` (open while
    null), kept after it ends. `kind` repeats the unit's (a unit's kind never changes) so that
    the database holds a person to one open membership per level (migration 0022)."""

    id = fields.IntField(primary_key=True)
    unit: fields.ForeignKeyRelation[PartyUnit] = fields.ForeignKeyField(
        "models.PartyUnit", related_name="memberships", on_delete=fields.RESTRICT
    )
    unit_id: int
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="party_memberships", on_delete=fields.RESTRICT
    )
    person_id: int
    kind = fields.CharEnumField(PartyUnitKind, max_length=40)
    joined_at = fields.DatetimeField()
    added_by_id = fields.IntField(null=True)
    left_at = fields.DatetimeField(null=True)
    removed_by_id = fields.IntField(null=True)
    leave_reason = fields.CharField(max_length=500, null=True)

    class Meta:
        table = "party_membership"
        indexes = (("unit_id", "left_at"), ("person_id", "left_at"))


class PartyMemberReport(Model):
    """A party member's individual report (个人双报到) to the community where they live, to
    serve there. One current report a person (a partial unique index, migration 0022): a
    report to another community ends the earlier one (`ended_at`), which is kept."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="party_reports", on_delete=fields.RESTRICT
    )
    person_id: int
    community: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="party_reports", on_delete=fields.RESTRICT
    )
    community_id: int
    community_path = fields.CharField(max_length=255)
    reported_at = fields.DatetimeField()
    recorded_by_id = fields.IntField()
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "party_member_report"
        indexes = (("community_path", "ended_at"),)
