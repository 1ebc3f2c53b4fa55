"""Guards behind the evaluation services (Tortoise models cannot declare them).

- Paths compare in byte order on PostgreSQL (see 0003), so subtree range scans hold.
- At most one open objection per adjustment, and one period per area and quarter.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

_PATHS = (
    ("evaluation_scheme", "area_path"),
    ("evaluation_period", "area_path"),
    ("evaluation_result", "area_path"),
    ("area_evaluation", "area_path"),
    ("evaluation_honour", "area_path"),
    ("exit_review", "area_path"),
    ("training_session", "area_path"),
)
_INDEXES = (
    "CREATE UNIQUE INDEX evaluation_objection_open ON evaluation_objection (adjustment_id) "
    "WHERE status = 'OPEN'",
    "CREATE UNIQUE INDEX evaluation_period_area_quarter ON evaluation_period (area_id, quarter)",
)


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    statements = list(_INDEXES)
    if client.capabilities.dialect == "postgres":
        statements += [
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "C"'
            for table, column in _PATHS
        ]
    for statement in statements:
        await client.execute_script(statement)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Undo all of forward: the indexes and the paths' collation."""
    client = schema_editor.client
    statements = [
        "DROP INDEX evaluation_objection_open",
        "DROP INDEX evaluation_period_area_quarter",
    ]
    if client.capabilities.dialect == "postgres":
        statements += [
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "default"'
            for table, column in _PATHS
        ]
    for statement in statements:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0008_evaluation_scheme")]

    operations = [ops.RunPython(forward, backward)]
