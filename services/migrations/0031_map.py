"""The map (网格一张图): an area's boundary (`area.boundary`, GeoJSON Polygon/MultiPolygon geometry
as JSON text, WGS-84, with `area.boundary_updated_at`), and where households, grid stations
and work orders are (`longitude`, `latitude`, WGS-84 degrees). All nullable: nothing before this
migration had a place.

Undoing drops the columns in place on SQLite too (0027's AddColumn), so the guards (triggers)
of earlier migrations stay.
"""

import importlib

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

# 0027's AddField that drops the column in place on SQLite when undone.
AddColumn = importlib.import_module("services.migrations.0027_section7_fixes").AddColumn


class Migration(migrations.Migration):
    dependencies = [("models", "0030_imports")]

    initial = False

    operations = [
        AddColumn(model_name="Area", name="boundary", field=fields.TextField(null=True)),
        AddColumn(
            model_name="Area",
            name="boundary_updated_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        *(
            AddColumn(model_name=model, name=name, field=fields.FloatField(null=True))
            for model in ("Household", "GridStation", "WorkOrder")
            for name in ("longitude", "latitude")
        ),
        # The spatial index's stamp scans this, not the boundaries (services.geo.index).
        ops.AddIndex(model_name="Area", index=Index(fields=["boundary_updated_at", "level"])),
    ]
