"""Areas carry the district's own code (`area.code`: 区划/网格编码, unique when set), by which
imports, exports and boundary files name them. Existing areas have none until given one.

Undoing drops the column in place on SQLite too (as 0027 does), so the guards (triggers) stay;
the indexes on the column (its unique index) are dropped first, as SQLite will not drop an
indexed column.
"""

import importlib
from typing import Any

from tortoise import fields, migrations

# 0027's AddField that drops the column in place on SQLite when undone.
AddColumn = importlib.import_module("services.migrations.0027_section7_fixes").AddColumn


class AddIndexedColumn(AddColumn):  # type: ignore[misc,valid-type]
    """AddColumn for a unique or indexed column: undone on SQLite, its indexes go first."""

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor and state_editor.client.capabilities.dialect == "sqlite":
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            table = model._meta.db_table
            column = model._meta.fields_map[self.name].source_field or self.name
            client = state_editor.client
            _, indexes = await client.execute_query(f'PRAGMA index_list("{table}")')
            for index in indexes:
                _, parts = await client.execute_query(f'PRAGMA index_info("{index["name"]}")')
                if any(part["name"] == column for part in parts):
                    await client.execute_script(f'DROP INDEX "{index["name"]}"')
        await super().database_backward(app_label, old_state, new_state, state_editor)


class Migration(migrations.Migration):
    dependencies = [("models", "0028_loop_points_withheld")]

    initial = False

    operations = [
        AddIndexedColumn(
            model_name="Area",
            name="code",
            field=fields.CharField(null=True, unique=True, max_length=32),
        ),
    ]
