"""A sign-up records why its approved hours earned no points, or fewer than were served
(`activity_sign_up.points_withheld_reason`: CAPPED, NO_RULE, NOT_A_RECEIVER or NO_POINTS);
null when every approved hour earned its points, before approval, and for hours approved
before this migration (whose reason was not recorded).

Undoing drops the column, in place on SQLite too (as 0027 does), so the guards (triggers) of
0007 and 0013 stay.
"""

import importlib

from tortoise import fields, migrations

from services.enums import PointsWithheldReason

# 0027's AddField that drops the column in place on SQLite when undone.
AddColumn = importlib.import_module("services.migrations.0027_section7_fixes").AddColumn


class Migration(migrations.Migration):
    dependencies = [("models", "0027_section7_fixes")]

    initial = False

    operations = [
        AddColumn(
            model_name="ActivitySignUp",
            name="points_withheld_reason",
            field=fields.CharEnumField(
                PointsWithheldReason,
                description="CAPPED: CAPPED\nNO_RULE: NO_RULE\nNOT_A_RECEIVER: NOT_A_RECEIVER\n"
                "NO_POINTS: NO_POINTS",
                max_length=16,
                null=True,
            ),
        ),
    ]
