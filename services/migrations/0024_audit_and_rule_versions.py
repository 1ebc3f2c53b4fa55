"""Issue 15, part d: the audit log, per-person batch refusals, and versioned points rules.

Every existing rule gets version 1 (a copy of its current fields), and every award, ledger
transaction and entry posted by a rule points at that version. Transactions and entries are
append-only (0007's triggers): their triggers are lifted for the one backfill and put back.
"""

import importlib
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from services.enums import AuditKind, Dimension
from services.kit.clock import now
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

_RULE_FIELDS = (
    "name, dimension, points, requires_review, cap_per_day, cap_per_month, cap_per_quarter, "
    "receiver_roles, granter_roles"
)
_LEDGER = ("points_transaction", "points_entry")


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    statements = [
        "UPDATE points_rule SET version = 1",
        f"INSERT INTO points_rule_version (rule_id, version, {_RULE_FIELDS}, created_at) "
        f"SELECT id, 1, {_RULE_FIELDS}, created_at FROM points_rule",
        "UPDATE points_award SET rule_version = 1",
    ]
    for table in _LEDGER:
        update = f"UPDATE {table} SET rule_version = 1 WHERE rule_id IS NOT NULL"
        if postgres:
            statements += [
                f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
                update,
                f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only",
            ]
        else:
            guards = importlib.import_module("services.migrations.0007_points_guards")
            statements += [f"DROP TRIGGER {table}_no_update", update]
            statements += [sql for sql in guards.triggers_on(table) if "_no_update " in sql]
    for statement in statements:
        await client.execute_script(statement)


# On SQLite, removing the new columns rebuilds these tables, and a rebuilt table has lost its
# triggers (0007's append-only guards) and indexes (0006's, 0007's and later partial unique
# ones): the first step undoing this migration keeps their SQL, the last puts them back.
_REBUILT = ("points_transaction", "points_entry", "points_rule", "points_award")
_SAVED: list[tuple[str, str]] = []


async def backward(apps: Any, schema_editor: Any) -> None:
    """Nothing to undo in the data: the versions go with their table, the columns with theirs
    (entries then show the rule's current fields again, as before versions). On SQLite, keep
    the guards of the tables about to be rebuilt (see restore_guards)."""
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    tables = ", ".join(f"'{t}'" for t in _REBUILT)
    rows = await client.execute_query_dict(
        "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
        f"AND tbl_name IN ({tables}) AND sql IS NOT NULL"
    )
    _SAVED[:] = [(str(r["name"]), str(r["sql"])) for r in rows]


async def nothing(apps: Any, schema_editor: Any) -> None:
    """Nothing to do going forward."""


async def restore_guards(apps: Any, schema_editor: Any) -> None:
    """On SQLite, the last step undoing this migration: put back the triggers and indexes the
    rebuilt tables lost (kept by backward)."""
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    rows = await client.execute_query_dict("SELECT name FROM sqlite_master")
    present = {str(r["name"]) for r in rows}
    for name, sql in _SAVED:
        if name not in present:
            await client.execute_script(sql)


class Migration(migrations.Migration):
    dependencies = [("models", "0023_work_order_loop")]

    initial = False

    operations = [
        ops.RunPython(nothing, restore_guards),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='POINTS: POINTS\nROLE: ROLE\nRULE: RULE\nPOLICY: POLICY\nREWARD: REWARD\nEVALUATION: EVALUATION', enum_type=AuditKind, max_length=16)),
                ('action', fields.CharField(max_length=40)),
                ('area_path', fields.CharField(max_length=255)),
                ('subject_type', fields.CharField(max_length=40)),
                ('subject_id', fields.CharField(max_length=40)),
                ('actor_account_id', fields.IntField(null=True)),
                ('actor_person_id', fields.IntField(null=True)),
                ('before', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('after', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'audit_entry', 'app': 'models', 'indexes': [Index(fields=['area_path', 'id']), Index(fields=['kind', 'area_path', 'id'])], 'pk_attr': 'id', 'table_description': 'One change, written in the same transaction as the change itself. `area_path` is where'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsBatchRefusal',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('batch_id', fields.IntField(db_index=True)),
                ('person_id', fields.IntField()),
                ('code', fields.CharField(max_length=32)),
                ('message', fields.CharField(max_length=500)),
                ('field', fields.CharField(null=True, max_length=40)),
            ],
            options={'table': 'points_batch_refusal', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A person an awardPointsBatch call did not award, and why (the typed error), kept with'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PointsRuleVersion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('rule_id', fields.IntField()),
                ('version', fields.IntField()),
                ('name', fields.CharField(max_length=100)),
                ('dimension', fields.CharEnumField(description='POLICY_COMMUNICATION: POLICY_COMMUNICATION\nMANAGEMENT_SERVICE: MANAGEMENT_SERVICE\nINFORMATION_REPORTING: INFORMATION_REPORTING\nPROBLEM_HANDLING: PROBLEM_HANDLING\nVOLUNTEER_SERVICE: VOLUNTEER_SERVICE', enum_type=Dimension, max_length=32)),
                ('points', fields.IntField()),
                ('requires_review', fields.BooleanField(default=False)),
                ('cap_per_day', fields.IntField(null=True)),
                ('cap_per_month', fields.IntField(null=True)),
                ('cap_per_quarter', fields.IntField(null=True)),
                ('receiver_roles', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('granter_roles', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('created_by_id', fields.IntField(null=True)),
                ('created_at', fields.DatetimeField(default=now, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'points_rule_version', 'app': 'models', 'unique_together': (('rule_id', 'version'),), 'pk_attr': 'id', 'table_description': 'A rule as it was from `created_at` on (version 1: as created), kept when the rule'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='PointsAward',
            name='rule_version',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='PointsEntry',
            name='rule_version',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='PointsRule',
            name='version',
            field=fields.IntField(default=1),
        ),
        ops.AddField(
            model_name='PointsTransaction',
            name='rule_version',
            field=fields.IntField(null=True),
        ),
        ops.RunPython(forward, backward),
    ]
