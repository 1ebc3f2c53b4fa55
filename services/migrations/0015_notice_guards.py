"""Guards behind the notice services (Tortoise models cannot declare them).

- One points award per notice acknowledgement (a notice pays its recipient once), behind the
  unique acknowledgement per notice and person.
- Paths compare in byte order on PostgreSQL (see 0003): subtree ranges over notices, their
  recipients and acknowledgements.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

_PATHS = (
    ("notice", "area_path"),
    ("notice_recipient", "area_path"),
    ("notice_acknowledgement", "area_path"),
)
_INDEXES = (
    "CREATE UNIQUE INDEX points_award_notice_acknowledgement ON points_award (source_id) "
    "WHERE source_type = 'NoticeAcknowledgement'",
)


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    if client.capabilities.dialect == "postgres":
        for table, column in _PATHS:
            await client.execute_script(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "C"'
            )
    for statement in _INDEXES:
        await client.execute_script(statement)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Undo all of forward: the index and the paths' collation."""
    client = schema_editor.client
    await client.execute_script("DROP INDEX points_award_notice_acknowledgement")
    if client.capabilities.dialect == "postgres":
        for table, column in _PATHS:
            await client.execute_script(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "default"'
            )


class Migration(migrations.Migration):
    dependencies = [("models", "0014_notices")]

    operations = [ops.RunPython(forward, backward)]
