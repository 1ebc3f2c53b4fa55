"""The map (网格一张图): areas' boundaries in their own table `area_boundary` (GeoJSON
Polygon/MultiPolygon geometry as JSON text, WGS-84, with a version bumped on every write), so no
read of an area carries them; and where households, grid stations and work orders are
(`longitude`, `latitude`, WGS-84 degrees). All nullable: nothing before this migration had a place.

Undoing drops the columns in place on SQLite too (0027's AddColumn), so the guards (triggers)
of earlier migrations stay.
"""

import importlib

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from services.kit.clock import now

# 0027's AddField that drops the column in place on SQLite when undone.
AddColumn = importlib.import_module("services.migrations.0027_section7_fixes").AddColumn


class Migration(migrations.Migration):
    dependencies = [("models", "0030_imports")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AreaBoundary",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "area",
                    fields.OneToOneField(
                        "models.Area",
                        source_field="area_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="boundary_row",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("geojson", fields.TextField()),
                ("version", fields.BigIntField(unique=True)),
                (
                    "updated_at",
                    fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "area_boundary",
                "app": "models",
                "pk_attr": "id",
                "table_description": "An area's boundary (网格边界), in its own table so that no "
                "read of an area carries it:",
            },
            bases=["Model"],
        ),
        *(
            AddColumn(model_name=model, name=name, field=fields.FloatField(null=True))
            for model in ("Household", "GridStation", "WorkOrder")
            for name in ("longitude", "latitude")
        ),
    ]
