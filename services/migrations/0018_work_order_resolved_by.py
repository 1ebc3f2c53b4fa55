"""Who resolved a work order (`resolved_by`): the person paid on confirmation when nobody is
assigned, rather than whoever accepted it (whose role may have ended meanwhile).

Orders resolved before this migration take it from their timeline: the actor of their last
RESOLVE step.
"""

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
    """On PostgreSQL nothing to undo (the column goes with the field). On SQLite this migration
    is irreversible: removing the column rebuilds `work_order`, and the rebuild loses its
    indexes, 0017's guards and what refers to it. Restore a backup taken before it instead."""
    if schema_editor.client.capabilities.dialect == "sqlite":
        raise NotImplementedError(IRREVERSIBLE_ON_SQLITE)


IRREVERSIBLE_ON_SQLITE = (
    "0018_work_order_resolved_by cannot be undone on SQLite: removing work_order.resolved_by "
    "would rebuild the table and lose its indexes, guards and the rows referring to it. "
    "Restore a backup taken before this migration instead (python -m api restore)."
)


class Migration(migrations.Migration):
    dependencies = [('models', '0017_work_order_guards')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WorkOrder',
            name='resolved_by',
            field=fields.ForeignKeyField('models.Person', source_field='resolved_by_id', null=True, db_constraint=True, to_field='id', related_name='resolved_work_orders', on_delete=OnDelete.RESTRICT),
        ),
        ops.RunPython(forward, backward),
    ]
