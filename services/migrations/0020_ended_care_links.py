"""Care links end with the central household's role (中心户): ended links are kept as history
in `ended_care_link`, so `care_link` holds the current links only (which coverage counts and
through which a central household reads the households it looks after).

Links whose central household no longer holds the CENTRAL_HOUSEHOLD role at the household's
micro-grid (ended before this migration) are moved there now, ended when that role ended.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

_STALE = (
    "FROM care_link c JOIN household h ON h.id = c.household_id "
    "WHERE NOT EXISTS (SELECT 1 FROM role_assignment r WHERE r.person_id = c.central_id "
    "AND r.role = 'CENTRAL_HOUSEHOLD' AND r.until IS NULL AND r.area_id = h.micro_grid_id)"
)
_ENDED_AT = (
    "COALESCE((SELECT MAX(r.until) FROM role_assignment r WHERE r.person_id = c.central_id "
    "AND r.role = 'CENTRAL_HOUSEHOLD' AND r.area_id = h.micro_grid_id), c.created_at)"
)
_STATEMENTS = (
    "INSERT INTO ended_care_link (central_id, household_id, linked_at, ended_at, reason) "
    f"SELECT c.central_id, c.household_id, c.created_at, {_ENDED_AT}, "
    f"'the central household role had ended' {_STALE}",
    f"DELETE FROM care_link WHERE id IN (SELECT c.id {_STALE})",
)


async def forward(apps: Any, schema_editor: Any) -> None:
    for statement in _STATEMENTS:
        await schema_editor.client.execute_script(statement)


# Before this migration `care_link` kept each household's link after it had ended (one link a
# household at most): a household without a current link gets its latest ended one back, as
# forward found it. Older history, which that schema cannot hold, goes with the table.
_RESTORE = (
    "INSERT INTO care_link (central_id, household_id, created_at) "
    "SELECT e.central_id, e.household_id, e.linked_at FROM ended_care_link e "
    "WHERE e.id = (SELECT MAX(x.id) FROM ended_care_link x WHERE x.household_id = e.household_id) "
    "AND NOT EXISTS (SELECT 1 FROM care_link c WHERE c.household_id = e.household_id)"
)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Undo forward: the links it moved go back to care_link (before the table is dropped)."""
    await schema_editor.client.execute_script(_RESTORE)


class Migration(migrations.Migration):
    dependencies = [('models', '0019_clock_defaults')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EndedCareLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('central', fields.ForeignKeyField('models.Person', source_field='central_id', db_constraint=True, to_field='id', related_name='ended_care_links', on_delete=OnDelete.RESTRICT)),
                ('household', fields.ForeignKeyField('models.Household', source_field='household_id', db_constraint=True, to_field='id', related_name='ended_care_links', on_delete=OnDelete.CASCADE)),
                ('linked_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('reason', fields.CharField(max_length=500)),
            ],
            options={'table': 'ended_care_link', 'app': 'models', 'indexes': [Index(fields=['central_id', 'ended_at']), Index(fields=['household_id', 'ended_at'])], 'pk_attr': 'id', 'table_description': 'A care link that ended (history): who looked after which household, from when until'},
            bases=['Model'],
        ),
        ops.RunPython(forward, backward),
    ]
