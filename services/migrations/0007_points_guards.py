"""Database guards behind the points services (Tortoise models cannot declare them).

- Balances, holds, lot remainders and stock never go negative, and holds never exceed the
  balance (issuing pools excepted: they are the source of awarded points and run negative).
  PostgreSQL gets CHECK constraints; SQLite cannot add a CHECK to an existing table, so it gets
  triggers that abort the offending statement (also an integrity error).
- Ledger entries and transactions are append-only: triggers refuse UPDATE and DELETE.
- One active rule per code per area (and one active district default per code).
- Paths compare in byte order on PostgreSQL (see 0003).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

_PATHS = (
    ("points_transaction", "area_path"),
    ("points_award", "area_path"),
    ("points_rule", "area_path"),
    ("reward", "area_path"),
)
# table → (name, condition that must hold for every row)
_CHECKS = (
    (
        "points_account",
        "points_account_not_negative",
        "kind = 'POOL' OR (balance >= 0 AND held >= 0 AND held <= balance)",
    ),
    ("points_lot", "points_lot_remaining", "remaining >= 0 AND remaining <= points"),
    ("reward", "reward_stock_and_price", "stock >= 0 AND price_points > 0"),
    ("redemption", "redemption_positive", "quantity > 0 AND points_spent > 0"),
)
_APPEND_ONLY = ("points_entry", "points_transaction")
_INDEXES = (
    "CREATE UNIQUE INDEX points_rule_default_uq ON points_rule (code) "
    "WHERE area_id IS NULL AND retired_at IS NULL",
    "CREATE UNIQUE INDEX points_rule_area_uq ON points_rule (code, area_id) "
    "WHERE area_id IS NOT NULL AND retired_at IS NULL",
    "CREATE INDEX points_lot_open ON points_lot (account_id, expires_at) WHERE remaining > 0",
    "CREATE INDEX redemption_held ON redemption (expires_at) WHERE status = 'HELD'",
)


def _postgres() -> list[str]:
    sql = [
        f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "C"'
        for table, column in _PATHS
    ]
    sql += [f'ALTER TABLE "{t}" ADD CONSTRAINT {name} CHECK ({cond})' for t, name, cond in _CHECKS]
    sql.append(
        "CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'the points ledger is append-only (% on %)', TG_OP, TG_TABLE_NAME "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    sql += [
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        for t in _APPEND_ONLY
    ]
    return sql


def triggers_on(table: str) -> list[str]:
    """SQLite's triggers on one table (0010 restores the reward's after SQLite rebuilds it)."""
    return [sql for sql in _sqlite() if f" ON {table} " in sql]


def _sqlite() -> list[str]:
    sql = []
    for table, name, cond in _CHECKS:
        for event in ("INSERT", "UPDATE"):
            sql.append(
                f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} "
                f"WHEN NOT ({_as_new(cond)}) "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )
    for table in _APPEND_ONLY:
        for event in ("UPDATE", "DELETE"):
            sql.append(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only'); END"
            )
    return sql


def _as_new(condition: str) -> str:
    """The condition over the NEW row (a trigger sees the columns as NEW.x)."""
    words = ("kind", "balance", "held", "remaining", "points_spent", "points", "stock")
    words += ("price_points", "quantity")
    out = []
    for token in condition.split(" "):
        bare = token.strip("()")
        if bare in words:
            token = token.replace(bare, f"NEW.{bare}")
        out.append(token)
    return " ".join(out)


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    for statement in [*(_postgres() if dialect == "postgres" else _sqlite()), *_INDEXES]:
        await client.execute_script(statement)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Undo all of forward: indexes, checks (or their triggers), the append-only triggers and
    their function, and the paths' collation."""
    client = schema_editor.client
    statements = [f"DROP INDEX {_index_name(sql)}" for sql in _INDEXES]
    if client.capabilities.dialect == "postgres":
        statements += [f"DROP TRIGGER {t}_append_only ON {t}" for t in _APPEND_ONLY]
        statements.append("DROP FUNCTION ledger_append_only()")
        statements += [f'ALTER TABLE "{t}" DROP CONSTRAINT {name}' for t, name, _ in _CHECKS]
        statements += [
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "default"'
            for table, column in _PATHS
        ]
    else:
        statements += [
            f"DROP TRIGGER {name}_{event}" for _, name, _ in _CHECKS for event in ("insert", "update")
        ]
        statements += [
            f"DROP TRIGGER {table}_no_{event}"
            for table in _APPEND_ONLY
            for event in ("update", "delete")
        ]
    for statement in statements:
        await client.execute_script(statement)


def _index_name(create: str) -> str:
    """The index a CREATE [UNIQUE] INDEX statement makes."""
    return create.split(" INDEX ", 1)[1].split(" ", 1)[0]


class Migration(migrations.Migration):
    dependencies = [("models", "0006_points_ledger_and_market")]

    operations = [ops.RunPython(forward, backward)]
