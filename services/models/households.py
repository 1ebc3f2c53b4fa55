"""Households and the central households (中心户) that look after them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from services.enums import ClaimStatus
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
    # The district's own household number (户号), unique district-wide: imports upsert by it.
    # Null for households registered one by one before imports existed.
    number = fields.CharField(max_length=32, unique=True, null=True)
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


class HouseholdClaim(Model):
    """A resident's request to join a household (认领家庭): PENDING until an admin of the
    household's community approves it (the person becomes a member) or rejects it with a
    reason. Kept after review, as history. A person has at most one PENDING claim."""

    id = fields.IntField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="household_claims", on_delete=fields.RESTRICT
    )
    person_id: int
    household: fields.ForeignKeyRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="claims", on_delete=fields.CASCADE
    )
    household_id: int
    status = fields.CharEnumField(ClaimStatus, max_length=16, default=ClaimStatus.PENDING)
    note = fields.CharField(max_length=500, null=True)
    reason = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(default=clock.now)
    reviewed_at = fields.DatetimeField(null=True)
    reviewed_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person",
        related_name="reviewed_household_claims",
        null=True,
        on_delete=fields.RESTRICT,
    )
    reviewed_by_id: int | None

    class Meta:
        table = "household_claim"
        # (person_id, status): a person's pending claim; (household_id, status): the pending
        # claims of a community's households.
        indexes = (("person_id", "status"), ("household_id", "status"))
