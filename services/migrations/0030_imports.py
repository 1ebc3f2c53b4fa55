"""Bulk import (批量导入): import jobs and their row errors (`import_job`, `import_row_error`),
the district's household number (`household.number`, 户号, unique, null for households
registered before), an audit kind IMPORT, and a person's ID card (`person.id_card_last4`; `person.id_card_number`
only filled when STORE_FULL_ID_NUMBERS allows it).

On SQLite the columns are added and dropped in place (no table rebuild, which would lose the
household and person indexes); the household number's uniqueness is a unique index there.
"""

import importlib
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from services.enums import AuditKind, ImportKind, ImportStatus
from services.kit.clock import now
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# 0027's AddField that drops the column in place on SQLite when undone.
AddColumn = importlib.import_module("services.migrations.0027_section7_fixes").AddColumn


AlterFieldState = importlib.import_module(
    "services.migrations.0022_party_organisation"
).AlterFieldState


class AddUniqueColumn(AddColumn):  # type: ignore[misc,valid-type]
    """A nullable unique column, added in place on SQLite (ALTER TABLE cannot add a UNIQUE
    column there, and Tortoise's table rebuild would lose the table's indexes)."""

    async def database_forward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor or state_editor.client.capabilities.dialect != "sqlite":
            await super().database_forward(app_label, old_state, new_state, state_editor)
            return
        model = new_state.apps.get_model(f"{app_label}.{self.model_name}")
        table = model._meta.db_table
        await state_editor.client.execute_script(
            f'ALTER TABLE "{table}" ADD COLUMN "{self.name}" VARCHAR({self.field.max_length}); '
            f'CREATE UNIQUE INDEX "uid_{table}_{self.name}" ON "{table}" ("{self.name}")'
        )

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if state_editor and state_editor.client.capabilities.dialect == "sqlite":
            model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
            table = model._meta.db_table
            await state_editor.client.execute_script(
                f'DROP INDEX IF EXISTS "uid_{table}_{self.name}"'
            )
        await super().database_backward(app_label, old_state, new_state, state_editor)

async def number_households(apps: Any, schema_editor: Any) -> None:
    """Every household registered before gets a number (户号) "H" + its id on 8 digits
    (services.households.default_number), so exports always carry one and import back."""
    client = schema_editor.client
    padded = (
        "lpad(CAST(id AS TEXT), 8, '0')"
        if client.capabilities.dialect == "postgres"
        else "printf('%08d', id)"
    )
    await client.execute_script(
        f"UPDATE household SET number = 'H' || {padded} WHERE number IS NULL"
    )


async def keep_numbers(apps: Any, schema_editor: Any) -> None:
    """Undone with the column (dropped by the operation before)."""


class Migration(migrations.Migration):
    dependencies = [('models', '0029_area_codes')]

    initial = False

    operations = [
        # Audit entries of imports (kind IMPORT): only the enum's description changes.
        AlterFieldState(
            model_name='AuditEntry',
            name='kind',
            field=fields.CharEnumField(description='POINTS: POINTS\nROLE: ROLE\nRULE: RULE\nPOLICY: POLICY\nREWARD: REWARD\nEVALUATION: EVALUATION\nIMPORT: IMPORT', enum_type=AuditKind, max_length=16),
        ),
        ops.CreateModel(
            name='ImportJob',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='AREAS: AREAS\nHOUSEHOLDS: HOUSEHOLDS\nPEOPLE: PEOPLE\nROLES: ROLES\nPARTNERS: PARTNERS\nPARTNER_RESOURCES: PARTNER_RESOURCES', enum_type=ImportKind, max_length=32)),
                ('status', fields.CharEnumField(default=ImportStatus.QUEUED, description='QUEUED: QUEUED\nRUNNING: RUNNING\nSUCCEEDED: SUCCEEDED\nDRY_RUN_DONE: DRY_RUN_DONE\nFAILED: FAILED', enum_type=ImportStatus, max_length=16)),
                ('dry_run', fields.BooleanField(default=False)),
                ('file_name', fields.CharField(default='', max_length=200)),
                ('rows_total', fields.IntField(default=0)),
                ('rows_done', fields.IntField(default=0)),
                ('created', fields.IntField(default=0)),
                ('updated', fields.IntField(default=0)),
                ('unchanged', fields.IntField(default=0)),
                ('error_count', fields.IntField(default=0)),
                ('actor_id', fields.IntField(null=True)),
                ('scope_path', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'import_job', 'app': 'models', 'indexes': [Index(fields=['actor_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One file brought in: its kind, where it stands, the counts and who ran it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ImportRowError',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('job', fields.ForeignKeyField('models.ImportJob', source_field='job_id', db_constraint=True, to_field='id', related_name='errors', on_delete=OnDelete.CASCADE)),
                ('row', fields.IntField()),
                ('column', fields.CharField(default='', max_length=50)),
                ('code', fields.CharField(max_length=32)),
                ('message', fields.CharField(max_length=500)),
            ],
            options={'table': 'import_row_error', 'app': 'models', 'indexes': [Index(fields=['job_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A problem in one row of an import file: row number (1 is the header), column header'},
            bases=['Model'],
        ),
        AddUniqueColumn(
            model_name='Household',
            name='number',
            field=fields.CharField(null=True, unique=True, max_length=32),
        ),
        ops.RunPython(number_households, keep_numbers),
        AddColumn(
            model_name='Person',
            name='id_card_last4',
            field=fields.CharField(null=True, max_length=4),
        ),
        AddColumn(
            model_name='Person',
            name='id_card_number',
            field=fields.CharField(null=True, max_length=18),
        ),
    ]
