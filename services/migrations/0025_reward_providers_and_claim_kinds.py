"""A reward's provider is a partner unit by id, and each community chooses which kinds of unit
claim its projects.

- `project_claim_setting`: the kinds of partner unit that may claim (认领) a community's
  claimable projects (a community without a row allows the defaults of services.partners).
- Rewards posted for a partner unit by its free-text name are linked to the approved unit of
  their community with that name (`partner_unit_id`): its members then see and hand over their
  redemptions. A name that matches no such unit stays as it was, shown as the provider's name.
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

_UNIT = (
    "FROM partner_unit u WHERE u.community_id = reward.community_id "
    "AND u.name = reward.provider_name AND u.status = 'APPROVED'"
)
_STATEMENTS = (
    f"UPDATE reward SET partner_unit_id = (SELECT u.id {_UNIT}) "
    "WHERE provider_kind = 'PARTNER_UNIT' AND partner_unit_id IS NULL "
    f"AND EXISTS (SELECT 1 {_UNIT})",
)


async def forward(apps: Any, schema_editor: Any) -> None:
    for statement in _STATEMENTS:
        await schema_editor.client.execute_script(statement)


# Before this migration only rewards stocked from a unit's resource carried the unit: the others
# go back to their provider's name alone (which forward kept).
_UNLINK = (
    "UPDATE reward SET partner_unit_id = NULL "
    "WHERE resource_id IS NULL AND partner_unit_id IS NOT NULL"
)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Undo forward: unlink the rewards that were not stocked from a resource."""
    await schema_editor.client.execute_script(_UNLINK)


class Migration(migrations.Migration):
    dependencies = [("models", "0024_audit_and_rule_versions")]

    initial = False

    operations = [
        ops.CreateModel(
            name='ProjectClaimSetting',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField(unique=True)),
                ('kinds', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('updated_by_id', fields.IntField()),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'project_claim_setting', 'app': 'models', 'pk_attr': 'id', 'table_description': "Which kinds of partner unit may claim (认领) a community's projects, set by its admins."},
            bases=['Model'],
        ),
        ops.RunPython(forward, backward),
    ]
