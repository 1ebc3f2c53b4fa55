"""Issue 16 §1: an import job's heartbeat (`heartbeat_at`), touched by the process running it, so
that the sweep of interrupted jobs (services.imports.background) fails only the jobs nobody runs
any more, never one another worker or replica is running right now. Nullable: a job from before
this migration is judged by its `created_at`.

Undoing drops the column in place on SQLite too (0027's AddColumn), so the guards (triggers)
of earlier migrations stay.
"""

import importlib

from tortoise import fields, migrations

# 0027's AddField that drops the column in place on SQLite when undone.
AddColumn = importlib.import_module("services.migrations.0027_section7_fixes").AddColumn


class Migration(migrations.Migration):
    dependencies = [("models", "0033_ledger_chain")]

    initial = False

    operations = [
        AddColumn(model_name="ImportJob", name="heartbeat_at", field=fields.DatetimeField(null=True)),
    ]
