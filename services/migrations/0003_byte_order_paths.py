"""Materialized paths compare in byte order ("C" collation) on PostgreSQL.

Subtree lookups are ranges (`path >= "/1/4/" AND path < "/1/40"`): they need "/" to sort just
before "0", which byte order gives and linguistic collations (e.g. glibc en_US) do not. SQLite
compares bytes already (BINARY), so only PostgreSQL changes.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

_COLUMNS = (("area", "path"), ("household", "path"), ("role_assignment", "area_path"))


async def _collate(collation: str, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect != "postgres":
        return
    for table, column in _COLUMNS:
        await client.execute_script(
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "{collation}"'
        )


async def forward(apps: Any, schema_editor: Any) -> None:
    await _collate("C", schema_editor)


async def backward(apps: Any, schema_editor: Any) -> None:
    await _collate("default", schema_editor)


class Migration(migrations.Migration):
    dependencies = [("models", "0002_one_leader_per_area")]

    operations = [ops.RunPython(forward, backward)]
