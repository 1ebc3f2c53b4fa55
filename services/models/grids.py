"""The territory: the area tree and grid stations (party units: services.models.party)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from services.enums import AreaKind, AreaLevel
from services.kit import clock


class Area(Model):
    """One node of the net: a district, street, community, grid or micro-grid (区…微网格).

    `path` is the materialized path of ids ("/1/4/17/"), indexed (unique), so "everything under
    X" is one range scan: `X.path <= path < X.path[:-1] + "0"` ("0" is the byte after "/").
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    level = fields.CharEnumField(AreaLevel, max_length=16)
    kind = fields.CharEnumField(AreaKind, max_length=16, default=AreaKind.RESIDENTIAL)
    parent: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    parent_id: int | None
    path = fields.CharField(max_length=255, unique=True)
    contact_group_name = fields.CharField(max_length=100, null=True)
    contact_group_link = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "area"
        # Sibling names are unique (its index also serves "children of X" lookups).
        unique_together = (("parent", "name"),)
        # No (level, kind) index on purpose: SQLite's planner would pick it over the far more
        # selective path range of subtree queries.


class GridStation(Model):
    """The grid station (网格驿站) where residents get services on the spot, one per grid."""

    id = fields.IntField(primary_key=True)
    grid: fields.OneToOneRelation[Area] = fields.OneToOneField(
        "models.Area", related_name="station", on_delete=fields.CASCADE
    )
    grid_id: int
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=200)
    hours = fields.CharField(max_length=100)

    class Meta:
        table = "grid_station"
