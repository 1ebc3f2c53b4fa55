"""Photos (随手拍): an uploaded picture, cleaned and stored in the media store, attached to
one problem report or work order (at submission), one step of its timeline (a resolution
with a photo of the result), or one volunteer activity."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from services.models.people import Person
    from services.models.volunteering import VolunteerActivity
    from services.models.workorders import WorkOrder, WorkOrderEvent


class Photo(Model):
    """One photo. Exactly one owner: a work order (and, for a step's photo, that step of its
    timeline as well) or an activity. `path` and `thumbnail_path` are relative to the media
    store (photos/<yyyy>/<mm>/<random>.jpg); the files are served through signed URLs only.
    `position` keeps the order they were uploaded in."""

    id = fields.IntField(primary_key=True)
    work_order: fields.ForeignKeyNullableRelation[WorkOrder] = fields.ForeignKeyField(
        "models.WorkOrder", related_name="photos", null=True, on_delete=fields.CASCADE
    )
    work_order_id: int | None
    work_order_event: fields.ForeignKeyNullableRelation[WorkOrderEvent] = fields.ForeignKeyField(
        "models.WorkOrderEvent", related_name="photos", null=True, on_delete=fields.CASCADE
    )
    work_order_event_id: int | None
    activity: fields.ForeignKeyNullableRelation[VolunteerActivity] = fields.ForeignKeyField(
        "models.VolunteerActivity", related_name="photos", null=True, on_delete=fields.CASCADE
    )
    activity_id: int | None
    position = fields.IntField()
    path = fields.CharField(max_length=200, unique=True)
    thumbnail_path = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=50)
    width = fields.IntField()
    height = fields.IntField()
    bytes = fields.IntField()
    uploaded_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="uploaded_photos", on_delete=fields.RESTRICT
    )
    uploaded_by_id: int
    created_at = fields.DatetimeField()

    class Meta:
        table = "photo"
        indexes = (("work_order_id", "id"), ("work_order_event_id", "id"), ("activity_id", "id"))
