"""Areas carry the district's own code (`area.code`: 区划/网格编码, unique when set), by which
imports, exports and boundary files name them. Existing areas have none until given one.

Undoing drops the column in place on SQLite too (as 0027 does), so the guards (triggers) stay.
"""

import importlib

from tortoise import fields, migrations

# 0027's AddField that drops the column in place on SQLite when undone.
AddColumn = importlib.import_module("services.migrations.0027_section7_fixes").AddColumn


class Migration(migrations.Migration):
    dependencies = [("models", "0028_loop_points_withheld")]

    initial = False

    operations = [
        AddColumn(
            model_name="Area",
            name="code",
            field=fields.CharField(null=True, unique=True, max_length=32),
        ),
    ]
