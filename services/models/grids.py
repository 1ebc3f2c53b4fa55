"""The territory: the area tree and grid stations (party units: services.models.party)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from services.enums import AreaKind, AreaLevel, MoveSubject
from services.kit import clock

if TYPE_CHECKING:
    from services.models.households import Household
    from services.models.people import Person


class Area(Model):
    """One node of the net: a district, street, community, grid or micro-grid (区…微网格).

    `path` is the materialized path of ids ("/1/4/17/"), indexed (unique), so "everything under
    X" is one range scan: `X.path <= path < X.path[:-1] + "0"` ("0" is the byte after "/").
    """

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    # The district's own code for the area (区划/网格编码), by which imports, exports and
    # boundary files name it; unique when set.
    code = fields.CharField(max_length=32, unique=True, null=True)
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


class AreaBoundary(Model):
    """An area's boundary (网格边界), in its own table so that no read of an area carries it:
    only the map reads it (services.geo). One row per area that has one."""

    id = fields.IntField(primary_key=True)
    area: fields.OneToOneRelation[Area] = fields.OneToOneField(
        "models.Area", related_name="boundary_row", on_delete=fields.CASCADE
    )
    area_id: int
    # GeoJSON Polygon/MultiPolygon geometry as JSON text, WGS-84 (services.geo.boundaries).
    # Plain text so SQLite and PostgreSQL both hold it (no PostGIS); shapely reads it.
    geojson = fields.TextField()
    # Bumped past every other row's on every write (never a time): the spatial index of each
    # process compares (count, greatest version) to know it must rebuild (services.geo.index).
    version = fields.BigIntField(unique=True)
    updated_at = fields.DatetimeField(default=clock.now)

    class Meta:
        table = "area_boundary"


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
    # Where it is, WGS-84 degrees (both or neither).
    longitude = fields.FloatField(null=True)
    latitude = fields.FloatField(null=True)

    class Meta:
        table = "grid_station"


class AreaMove(Model):
    """One move of the net (history, never changed): an area moved under another parent with
    its whole subtree, or a household moved to another micro-grid; from where to where (the
    parent areas, and the subject's paths before and after), when and by whom."""

    id = fields.IntField(primary_key=True)
    subject = fields.CharEnumField(MoveSubject, max_length=16)
    area: fields.ForeignKeyNullableRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="moves", null=True, on_delete=fields.RESTRICT
    )
    area_id: int | None
    household: fields.ForeignKeyNullableRelation[Household] = fields.ForeignKeyField(
        "models.Household", related_name="moves", null=True, on_delete=fields.CASCADE
    )
    household_id: int | None
    from_area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="moves_out", on_delete=fields.RESTRICT
    )
    from_area_id: int
    to_area: fields.ForeignKeyRelation[Area] = fields.ForeignKeyField(
        "models.Area", related_name="moves_in", on_delete=fields.RESTRICT
    )
    to_area_id: int
    from_path = fields.CharField(max_length=255)
    to_path = fields.CharField(max_length=255)
    moved_at = fields.DatetimeField()
    moved_by: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "models.Person", related_name="moves_made", on_delete=fields.RESTRICT
    )
    moved_by_id: int

    class Meta:
        table = "area_move"
        # The moves of an area, and those into and out of it (Area.moves).
        indexes = (("area_id", "id"), ("from_area_id", "id"), ("to_area_id", "id"))
