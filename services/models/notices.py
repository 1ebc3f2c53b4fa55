"""Notices (政策传达): published down the net, delivered to leaders and central households,
acknowledged by them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from services.enums import RelayChannel, Role

if TYPE_CHECKING:
    from services.models.grids import Area
    from services.models.households import Household
    from services.models.people import Person


class Notice(Model):
    """A notice published to an area and everything under it, maybe to chosen roles only.

    `roles` lists the chosen roles (empty for everyone in the area) and `role_mask` holds the
    same roles as bits (services.notices.ROLE_BITS), so who may read it is filtered in SQL on
    both databases. `recipient_count` is fixed at publication, like the recipients.
    """

    id = fields.IntField(primary_key=True)
    area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="notices", on_delete=fields.RESTRICT
    )
    area_id: int
    area_path = fields.CharField(max_length=255, db_index=True)
    title = fields.CharField(max_length=100)
    body = fields.TextField()
    roles: list[str] = fields.JSONField(default=list)
    role_mask = fields.IntField(default=0)
    publisher: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="published_notices", on_delete=fields.RESTRICT
    )
    publisher_id: int
    published_at = fields.DatetimeField()
    recipient_count = fields.IntField(default=0)

    class Meta:
        table = "notice"


class NoticeRecipient(Model):
    """Someone expected to acknowledge a notice: an open micro-grid leader or central household
    in its subtree when it was published (of the chosen roles, if any), with the area of that
    role so coverage is counted per area. One row per notice and person."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="recipients", on_delete=fields.CASCADE
    )
    notice_id: int
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="notice_deliveries", on_delete=fields.RESTRICT
    )
    person_id: int
    role = fields.CharEnumField(Role, max_length=32)
    area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="notice_recipients", on_delete=fields.RESTRICT
    )
    area_id: int
    area_path = fields.CharField(max_length=255)

    class Meta:
        table = "notice_recipient"
        unique_together = (("notice", "person"),)
        # (person_id, notice_id): my notices; (notice_id, area_path): coverage under an area.
        indexes = (("person_id", "notice_id"), ("notice_id", "area_path"))


class NoticeAcknowledgement(Model):
    """A recipient confirmed a notice (and relayed it): once per notice and person (a unique
    index), with the points award it earned through NOTICE_RELAYED, if any."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="acknowledgements", on_delete=fields.CASCADE
    )
    notice_id: int
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="notice_acknowledgements", on_delete=fields.RESTRICT
    )
    person_id: int
    # The recipient's area (copied): coverage and lists per area read this table alone.
    area_id = fields.IntField()
    area_path = fields.CharField(max_length=255)
    acknowledged_at = fields.DatetimeField()
    award_id = fields.IntField(null=True)

    class Meta:
        table = "notice_acknowledgement"
        unique_together = (("notice", "person"),)
        # (person_id, acknowledged_at): what a person acknowledged in a quarter.
        indexes = (("person_id", "acknowledged_at"), ("notice_id", "area_path"))


class NoticeRelay(Model):
    """A leader told a household of a notice (入户/电话/微信群): one row per notice and
    household (the first relay counts; later ones are not recorded again), with the
    household's path copied so coverage counts the households reached per area."""

    id = fields.IntField(primary_key=True)
    notice: fields.ForeignKeyRelation[Notice] = fields.ForeignKeyField(
        "models.Notice", related_name="relays", on_delete=fields.CASCADE
    )
    notice_id: int
    household: fields.ForeignKeyRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="notice_relays", on_delete=fields.CASCADE
    )
    household_id: int
    household_path = fields.CharField(max_length=255)
    channel = fields.CharEnumField(RelayChannel, max_length=16)
    relayed_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="notice_relays", on_delete=fields.RESTRICT
    )
    relayed_by_id: int
    relayed_at = fields.DatetimeField()

    class Meta:
        table = "notice_relay"
        unique_together = (("notice", "household"),)
        indexes = (("notice_id", "household_path"),)
