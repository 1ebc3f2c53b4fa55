"""Who resolved a work order (`resolved_by`): the person paid on confirmation when nobody is
assigned, rather than whoever accepted it (whose role may have ended meanwhile).

Orders resolved before this migration take it from their timeline: the actor of their last
RESOLVE step.
"""

import importlib
from typing import Any

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

_BACKFILL = (
    "UPDATE work_order SET resolved_by_id = ("
    "SELECT e.actor_id FROM work_order_event e "
    "WHERE e.work_order_id = work_order.id AND e.action = 'RESOLVE' "
    "ORDER BY e.id DESC LIMIT 1"
    ") WHERE resolved_at IS NOT NULL AND resolved_by_id IS NULL"
)


async def forward(apps: Any, schema_editor: Any) -> None:
    await schema_editor.client.execute_script(_BACKFILL)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Nothing to undo: the column goes with the field."""


async def nothing(apps: Any, schema_editor: Any) -> None:
    """Nothing to do going forward."""


async def restore_guards(apps: Any, schema_editor: Any) -> None:
    """On SQLite, removing the column rebuilds `work_order`, and a rebuilt table has lost its
    triggers: put back 0017's guards on it (the last step undoing this migration)."""
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    guards = importlib.import_module("services.migrations.0017_work_order_guards")
    for statement in guards.work_order_triggers():
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [('models', '0017_work_order_guards')]

    initial = False

    operations = [
        ops.RunPython(nothing, restore_guards),
        ops.AddField(
            model_name='WorkOrder',
            name='resolved_by',
            field=fields.ForeignKeyField('models.Person', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='resolved_work_orders', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(forward, backward),
    ]
