"""Households and the central households (中心户) that look after them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from services.kit import clock

if TYPE_CHECKING:
    from services.models.grids import Area
    from services.models.people import Person


class Household(Model):
    """A household (户): registered in a community, assigned to exactly one micro-grid.

    `path` copies the micro-grid's path (the community's while unassigned) so coverage under any
    area is a range scan on one indexed column.
    """

    id = fields.IntField(primary_key=True)
    community: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="community_households", on_delete=fields.RESTRICT
    )
    micro_grid: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="households", null=True, on_delete=fields.RESTRICT
    )
    community_id: int
    micro_grid_id: int | None
    path = fields.CharField(max_length=255, db_index=True)
    address = fields.CharField(max_length=200)
    building = fields.CharField(max_length=20, null=True)
    unit = fields.CharField(max_length=20, null=True)
    room = fields.CharField(max_length=20, null=True)
    member_count = fields.IntField(default=1)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "household"


class CareLink(Model):
    """A household in the care of a central household (中心户), at most one each."""

    id = fields.IntField(primary_key=True)
    central: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="care_links", on_delete=fields.RESTRICT
    )
    household: fields.OneToOneRelation[Household] = fields.OneToOneField(
        "models.Household", related_name="care_link", on_delete=fields.CASCADE
    )
    central_id: int
    household_id: int
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "care_link"


class EndedCareLink(Model):
    """A care link that ended (history): who looked after which household, from when until
    when, and why it ended (the role ended, the household moved, another central household
    took over). Ended links are moved here so that `care_link` holds current links only."""

    id = fields.IntField(primary_key=True)
    central: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="ended_care_links", on_delete=fields.RESTRICT
    )
    household: fields.ForeignKeyRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="ended_care_links", on_delete=fields.CASCADE
    )
    central_id: int
    household_id: int
    linked_at = fields.DatetimeField()
    ended_at = fields.DatetimeField()
    reason = fields.CharField(max_length=500)

    class Meta:
        table = "ended_care_link"
        indexes = (("central_id", "ended_at"), ("household_id", "ended_at"))
