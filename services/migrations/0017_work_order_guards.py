"""Guards behind the work-order services (Tortoise models cannot declare them).

- Escalation levels are 0..2, ratings 1..5, suspended time and service levels positive:
  CHECKs on PostgreSQL, triggers on SQLite (which cannot add a CHECK to an existing table).
- One award per work order and rule (the handler's ORDER_RESOLVED, the reporter's
  PROBLEM_REPORTED): confirmation pays once even if it were ever attempted twice.
- Handling paths compare in byte order on PostgreSQL (see 0003).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

_PATHS = (("work_order", "handling_path"),)
# table → (name, condition over the NEW row that must hold for every row)
_CHECKS = (
    (
        "work_order",
        "work_order_levels",
        "escalation_level >= 0 AND escalation_level <= 2 AND suspended_seconds >= 0",
    ),
    ("work_order", "work_order_rating", "rating IS NULL OR rating BETWEEN 1 AND 5"),
    (
        "work_order_category",
        "work_order_category_sla",
        "accept_within_minutes > 0 AND resolve_within_hours > 0",
    ),
)
_COLUMNS = (
    "escalation_level",
    "suspended_seconds",
    "rating",
    "accept_within_minutes",
    "resolve_within_hours",
)
_INDEXES = (
    "CREATE UNIQUE INDEX points_award_work_order ON points_award (source_id, rule_id) "
    "WHERE source_type = 'WorkOrder'",
)


def _as_new(condition: str) -> str:
    """The condition over the NEW row (a trigger sees the columns as NEW.x)."""
    return " ".join(f"NEW.{t}" if t in _COLUMNS else t for t in condition.split(" "))


def _triggers() -> list[str]:
    """SQLite's stand-ins for the checks."""
    return [
        f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {on} "
        f"WHEN NOT ({_as_new(cond)}) "
        f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
        for on, name, cond in _CHECKS
        for event in ("INSERT", "UPDATE")
    ]


def _statements(dialect: str) -> list[str]:
    if dialect == "postgres":
        sql = [
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "C"'
            for table, column in _PATHS
        ]
        sql += [f'ALTER TABLE "{t}" ADD CONSTRAINT {n} CHECK ({c})' for t, n, c in _CHECKS]
    else:
        sql = _triggers()
    return [*sql, *_INDEXES]


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    for statement in _statements(client.capabilities.dialect):
        await client.execute_script(statement)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Undo all of forward: the indexes, the checks (or their triggers) and the paths'
    collation."""
    client = schema_editor.client
    statements = [f"DROP INDEX {sql.split(' INDEX ', 1)[1].split(' ', 1)[0]}" for sql in _INDEXES]
    if client.capabilities.dialect == "postgres":
        statements += [f'ALTER TABLE "{t}" DROP CONSTRAINT {n}' for t, n, _ in _CHECKS]
        statements += [
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "default"'
            for table, column in _PATHS
        ]
    else:
        statements += [
            f"DROP TRIGGER {name}_{event}" for _, name, _ in _CHECKS for event in ("insert", "update")
        ]
    for statement in statements:
        await client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0016_work_orders")]

    operations = [ops.RunPython(forward, backward)]
