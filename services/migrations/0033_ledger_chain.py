"""Issue 17 §1: the hash chain over the points ledger (services.points.chain).

Adds `content_hash` and `previous_hash` to ledger transactions and the per-community chain heads,
then chains every existing transaction, community by community in id order, so that an existing
database (the demo included) verifies intact. Transactions are append-only (0007's triggers): the
update trigger is lifted for this one backfill and put back, as 0024 does.
"""

import hashlib
import importlib
import json
from datetime import UTC, datetime
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# Frozen copies of services.points.chain's encoding (version 1) and columns: a migration must
# keep computing what it computed when it was written.
_GENESIS = "0" * 64
_COLUMNS = (
    "id, community_id, kind, person_id, points, credit, period, shortfall, dimension, rule_id, "
    "rule_version, reason, source_type, source_id, reverses_id, redemption_id, "
    "actor_account_id, created_at"
)
_FIELD = fields.DatetimeField()


def _time(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment = _FIELD.to_python_value(value)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _hash(row: dict[str, Any], entries: list[tuple[int, int]], previous: str) -> str:
    body = {
        "v": 1,
        "community": int(row["community_id"]),
        "kind": str(row["kind"]),
        "person": _int(row["person_id"]),
        "points": int(row["points"]),
        "credit": int(row["credit"]),
        "period": row["period"],
        "shortfall": int(row["shortfall"]),
        "dimension": row["dimension"],
        "rule": _int(row["rule_id"]),
        "rule_version": _int(row["rule_version"]),
        "reason": str(row["reason"]),
        "source_type": row["source_type"],
        "source_id": row["source_id"],
        "reverses": _int(row["reverses_id"]),
        "redemption": _int(row["redemption_id"]),
        "actor": _int(row["actor_account_id"]),
        "time": _time(row["created_at"]),
        "entries": [{"account": a, "points": p} for a, p in sorted(entries)],
        "previous": previous,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"

    def sql(text: str) -> str:
        if not postgres:
            return text
        parts = text.split("?")
        return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))

    entries: dict[int, list[tuple[int, int]]] = {}
    for r in await client.execute_query_dict(
        "SELECT transaction_id, account_id, points FROM points_entry ORDER BY id"
    ):
        entries.setdefault(int(r["transaction_id"]), []).append(
            (int(r["account_id"]), int(r["points"]))
        )
    rows = await client.execute_query_dict(
        f"SELECT {_COLUMNS} FROM points_transaction ORDER BY community_id, id"
    )
    await client.execute_script(f"CREATE INDEX {_INDEX} ON points_transaction (community_id, id)")
    heads: dict[int, tuple[str, int, int]] = {}
    updates: list[tuple[str, str, int]] = []
    for row in rows:
        community = int(row["community_id"])
        previous, _, length = heads.get(community, (_GENESIS, 0, 0))
        digest = _hash(row, entries.get(int(row["id"]), []), previous)
        updates.append((digest, previous, int(row["id"])))
        heads[community] = (digest, int(row["id"]), length + 1)
    if postgres:
        await client.execute_script(
            "ALTER TABLE points_transaction DISABLE TRIGGER points_transaction_append_only"
        )
    else:
        await client.execute_script("DROP TRIGGER points_transaction_no_update")
    update = sql("UPDATE points_transaction SET content_hash = ?, previous_hash = ? WHERE id = ?")
    for digest, previous, tx_id in updates:
        await client.execute_query(update, [digest, previous, tx_id])
    if postgres:
        await client.execute_script(
            "ALTER TABLE points_transaction ENABLE TRIGGER points_transaction_append_only"
        )
    else:
        guards = importlib.import_module("services.migrations.0007_points_guards")
        for statement in guards.triggers_on("points_transaction"):
            if "_no_update " in statement:
                await client.execute_script(statement)
    insert = sql(
        "INSERT INTO points_chain_head (community_id, head_hash, transaction_id, length) "
        "VALUES (?, ?, ?, ?)"
    )
    for community, (digest, tx_id, length) in heads.items():
        await client.execute_query(insert, [community, digest, tx_id, length])


# On SQLite, removing the new columns rebuilds points_transaction, and a rebuilt table has lost
# its triggers (0007's append-only guards) and indexes: the first step undoing this migration
# keeps their SQL, the last puts them back.
_SAVED: list[tuple[str, str]] = []
# The chains are read community by community in id order.
_INDEX = "points_transaction_chain"


async def backward(apps: Any, schema_editor: Any) -> None:
    """Drop the index; nothing to undo in the data (the hashes go with their columns). On
    SQLite, keep the guards of points_transaction (see restore_guards)."""
    client = schema_editor.client
    await client.execute_script(f"DROP INDEX {_INDEX}")
    if client.capabilities.dialect != "sqlite":
        return
    rows = await client.execute_query_dict(
        "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
        "AND tbl_name = 'points_transaction' AND sql IS NOT NULL"
    )
    _SAVED[:] = [(str(r["name"]), str(r["sql"])) for r in rows]


async def nothing(apps: Any, schema_editor: Any) -> None:
    """Nothing to do going forward."""


async def restore_guards(apps: Any, schema_editor: Any) -> None:
    """On SQLite, the last step undoing this migration: put back what backward kept."""
    client = schema_editor.client
    if client.capabilities.dialect != "sqlite":
        return
    rows = await client.execute_query_dict("SELECT name FROM sqlite_master")
    present = {str(r["name"]) for r in rows}
    for name, statement in _SAVED:
        if name not in present:
            await client.execute_script(statement)

class Migration(migrations.Migration):
    dependencies = [('models', '0032_photos')]

    initial = False

    operations = [
        ops.RunPython(nothing, restore_guards),
        ops.CreateModel(
            name='PointsChainHead',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('community_id', fields.IntField(unique=True)),
                ('head_hash', fields.CharField(max_length=64)),
                ('transaction_id', fields.IntField(null=True)),
                ('length', fields.IntField(default=0)),
            ],
            options={'table': 'points_chain_head', 'app': 'models', 'pk_attr': 'id', 'table_description': "The head of a community's hash chain: its last transaction and hash, and its length."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='PointsTransaction',
            name='content_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddField(
            model_name='PointsTransaction',
            name='previous_hash',
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.RunPython(forward, backward),
    ]
