"""Work orders: residents requests (点单) and problem reports (事件上报), their categories
with service levels, and the timeline of every step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from services.enums import Role, WorkOrderAction, WorkOrderKind, WorkOrderStatus

if TYPE_CHECKING:
    from services.models.grids import Area
    from services.models.households import Household
    from services.models.people import Person


class WorkOrderCategory(Model):
    """A category of work orders in a district, with its service level: minutes to accept
    and hours to resolve. Codes are unique per district. Retired categories stay inactive."""

    id = fields.IntField(primary_key=True)
    district: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="work_order_categories", on_delete=fields.RESTRICT
    )
    district_id: int
    kind = fields.CharEnumField(WorkOrderKind, max_length=20)
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=50)
    accept_within_minutes = fields.IntField()
    resolve_within_hours = fields.IntField()
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "work_order_category"
        unique_together = (("district", "code"),)


class WorkOrder(Model):
    """A work order: who placed or reported it, where, the area handling it (the micro-grid
    it was dispatched to, or a grid or community after a transfer or an escalation), who
    handles it, its due times and its timestamps.

    `handling_path` copies the handling area path so a subtree of orders is a range scan.
    The service level clocks pause while the order is suspended: on resume the due times
    move by the time spent suspended (`suspended_seconds` adds it up).
    """

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(WorkOrderKind, max_length=20)
    category: fields.ForeignKeyRelation[WorkOrderCategory] = fields.ForeignKeyField(
        "models.WorkOrderCategory", related_name="work_orders", on_delete=fields.RESTRICT
    )
    category_id: int
    status = fields.CharEnumField(WorkOrderStatus, max_length=20)
    description = fields.CharField(max_length=1000)
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="work_orders", null=True, on_delete=fields.RESTRICT
    )
    household_id: int | None
    reporter: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="reported_work_orders", on_delete=fields.RESTRICT
    )
    reporter_id: int
    area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="reported_work_orders", on_delete=fields.RESTRICT
    )
    area_id: int
    location = fields.CharField(max_length=200, null=True)
    # Where it was reported, WGS-84 degrees (both or neither); routes it (services.geo.index).
    longitude = fields.FloatField(null=True)
    latitude = fields.FloatField(null=True)
    photo_urls: list[Any] = fields.JSONField(default=list)
    handling_area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="handled_work_orders", on_delete=fields.RESTRICT
    )
    handling_area_id: int
    handling_path = fields.CharField(max_length=255)
    assignee: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="assigned_work_orders", null=True, on_delete=fields.RESTRICT
    )
    assignee_id: int | None
    accepted_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="accepted_work_orders", null=True, on_delete=fields.RESTRICT
    )
    accepted_by_id: int | None
    # Who marked it done (the assignee or whoever answered for the area then): paid on
    # confirmation when nobody is assigned. Null: not resolved, or resolved before 0018.
    resolved_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="resolved_work_orders", null=True, on_delete=fields.RESTRICT
    )
    resolved_by_id: int | None
    # The resident who confirmed or the grid leader who verified (null: confirmed by the timer).
    confirmed_by: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="confirmed_work_orders", null=True, on_delete=fields.RESTRICT
    )
    confirmed_by_id: int | None
    escalation_level = fields.IntField(default=0)
    sla_breached = fields.BooleanField(default=False)
    accept_due = fields.DatetimeField()
    resolve_due = fields.DatetimeField()
    submitted_at = fields.DatetimeField()
    dispatched_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    # When it ended: closed after confirmation, or rejected.
    closed_at = fields.DatetimeField(null=True)
    suspended_at = fields.DatetimeField(null=True)
    suspended_from = fields.CharEnumField(WorkOrderStatus, max_length=20, null=True)
    suspended_seconds = fields.IntField(default=0)
    rating = fields.IntField(null=True)
    comment = fields.CharField(max_length=500, null=True)
    rated_at = fields.DatetimeField(null=True)
    # Bumped by every change: each transition is a conditional UPDATE on the version it read,
    # so of two concurrent changes (two accepts, two confirms) exactly one takes effect.
    version = fields.IntField(default=0)
    created_at = fields.DatetimeField()

    class Meta:
        table = "work_order"
        indexes = (
            ("handling_path", "status"),
            ("reporter_id", "id"),
            ("assignee_id", "status"),
            ("accepted_by_id", "status"),
            ("status", "accept_due"),
            ("status", "resolve_due"),
            ("status", "resolved_at"),
            ("submitted_at",),
            ("confirmed_at",),
        )


class WorkOrderEvent(Model):
    """One step of a work order: the action, the status before and after, who (null: the
    system), a note (the reason of a transfer, suspension or rejection) and the area it went
    to (dispatch, transfer, escalation)."""

    id = fields.IntField(primary_key=True)
    work_order: fields.ForeignKeyRelation[WorkOrder] = fields.ForeignKeyField(
        "models.WorkOrder", related_name="events", on_delete=fields.CASCADE
    )
    work_order_id: int
    action = fields.CharEnumField(WorkOrderAction, max_length=20)
    from_status = fields.CharEnumField(WorkOrderStatus, max_length=20, null=True)
    to_status = fields.CharEnumField(WorkOrderStatus, max_length=20)
    actor: fields.ForeignKeyNullableRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="work_order_events", null=True, on_delete=fields.RESTRICT
    )
    actor_id: int | None
    note = fields.CharField(max_length=500, null=True)
    target_area: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="work_order_events", null=True, on_delete=fields.RESTRICT
    )
    target_area_id: int | None
    at = fields.DatetimeField()

    class Meta:
        table = "work_order_event"
        indexes = (("work_order_id", "id"),)


class WorkOrderErrand(Model):
    """A request placed for a household by someone else (代办): a central household for a
    household it looks after, or the micro-grid leader for a household of their micro-grid.
    The order's reporter is whoever placed it (they confirm and rate it for the household);
    this row records that it was placed on the household's behalf, and in which role."""

    id = fields.IntField(primary_key=True)
    work_order: fields.OneToOneRelation[WorkOrder] = fields.OneToOneField(
        "models.WorkOrder", related_name="errand", on_delete=fields.CASCADE
    )
    work_order_id: int
    household: fields.ForeignKeyRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="errands", on_delete=fields.RESTRICT
    )
    household_id: int
    placed_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="placed_errands", on_delete=fields.RESTRICT
    )
    placed_by_id: int
    placed_as = fields.CharEnumField(Role, max_length=32)
    created_at = fields.DatetimeField()

    class Meta:
        table = "work_order_errand"
        indexes = (("placed_by_id", "id"),)
