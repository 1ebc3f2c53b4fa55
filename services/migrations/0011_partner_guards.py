"""Guards behind the partner services (Tortoise models cannot declare them).

- A resource's remaining quantity stays within 0..quantity, a need's committed quantity within
  0..quantity, matches move positive quantities, milestone progress is 0..100. PostgreSQL gets
  CHECK constraints; SQLite cannot add a CHECK to an existing table, so it gets triggers that
  abort the offending statement (also an integrity error).
- One open membership per unit and person; one PROPOSED match per need and resource; one
  claim per project (claimed_by_unit_id is written once, by a conditional UPDATE).
- Paths compare in byte order on PostgreSQL (see 0003).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

_PATHS = (
    ("partner_unit", "community_path"),
    ("cadre_assignment", "area_path"),
    ("resource_offer", "community_path"),
    ("resource_area", "area_path"),
    ("need_entry", "area_path"),
    ("need_entry", "community_path"),
    ("project", "community_path"),
)
# table → (name, condition over the row's own columns)
_CHECKS = (
    ("resource_offer", "resource_remaining", "remaining >= 0 AND remaining <= quantity"),
    ("need_entry", "need_committed", "committed >= 0 AND committed <= quantity"),
    ("resource_match", "match_positive", "quantity > 0 AND covers > 0"),
    ("project_milestone", "milestone_progress", "progress >= 0 AND progress <= 100"),
)
_COLUMNS = ("remaining", "quantity", "committed", "covers", "progress")
_INDEXES = (
    "CREATE UNIQUE INDEX partner_member_open ON partner_member (unit_id, person_id) "
    "WHERE left_at IS NULL",
    "CREATE UNIQUE INDEX resource_match_proposed ON resource_match (need_id, resource_id) "
    "WHERE status = 'PROPOSED'",
)


def _as_new(condition: str) -> str:
    """The condition over the NEW row (a trigger sees the columns as NEW.x)."""
    return " ".join(f"NEW.{t}" if t in _COLUMNS else t for t in condition.split(" "))


def _postgres() -> list[str]:
    sql = [
        f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "C"'
        for table, column in _PATHS
    ]
    sql += [f'ALTER TABLE "{t}" ADD CONSTRAINT {name} CHECK ({cond})' for t, name, cond in _CHECKS]
    return sql


def _sqlite() -> list[str]:
    return [
        f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} "
        f"WHEN NOT ({_as_new(cond)}) "
        f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
        for table, name, cond in _CHECKS
        for event in ("INSERT", "UPDATE")
    ]


async def forward(apps: Any, schema_editor: Any) -> None:
    client = schema_editor.client
    dialect = client.capabilities.dialect
    for statement in [*(_postgres() if dialect == "postgres" else _sqlite()), *_INDEXES]:
        await client.execute_script(statement)


async def backward(apps: Any, schema_editor: Any) -> None:
    """Undo all of forward: the indexes, the checks (or their triggers) and the paths'
    collation."""
    client = schema_editor.client
    statements = ["DROP INDEX partner_member_open", "DROP INDEX resource_match_proposed"]
    if client.capabilities.dialect == "postgres":
        statements += [f'ALTER TABLE "{t}" DROP CONSTRAINT {name}' for t, name, _ in _CHECKS]
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
    dependencies = [("models", "0010_partners")]

    operations = [ops.RunPython(forward, backward)]
