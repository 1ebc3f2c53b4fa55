"""Guards behind the volunteering services (Tortoise models cannot declare them).

- An activity's active sign-ups never exceed its capacity (and its window is not empty):
  CHECKs on PostgreSQL, triggers on SQLite (which cannot add a CHECK to an existing table).
- At most one PENDING or APPROVED membership per team and person, one active sign-up per
  activity and person, and one award per sign-up (hours are awarded once).
- Paths compare in byte order on PostgreSQL (see 0003).
"""

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

_PATHS = (("volunteer_team", "area_path"), ("volunteer_activity", "area_path"))
# table → (name, condition over the NEW row that must hold for every row)
_CHECKS = (
    (
        "volunteer_activity",
        "volunteer_activity_capacity",
        "signed_up >= 0 AND signed_up <= capacity AND capacity > 0 AND ends_at > starts_at",
    ),
    (
        "activity_sign_up",
        "activity_sign_up_minutes",
        "minutes IS NULL OR minutes >= 0",
    ),
)
_INDEXES = (
    "CREATE UNIQUE INDEX team_membership_active ON team_membership (team_id, person_id) "
    "WHERE status IN ('PENDING', 'APPROVED')",
    "CREATE UNIQUE INDEX activity_sign_up_active ON activity_sign_up (activity_id, person_id) "
    "WHERE status = 'SIGNED_UP'",
    "CREATE INDEX activity_sign_up_open_check_in ON activity_sign_up (checked_in_at) "
    "WHERE checked_in_at IS NOT NULL AND checked_out_at IS NULL",
    "CREATE UNIQUE INDEX points_award_sign_up ON points_award (source_id) "
    "WHERE source_type = 'ActivitySignUp'",
)
_COLUMNS = ("signed_up", "capacity", "ends_at", "starts_at", "minutes")


def _as_new(condition: str) -> str:
    """The condition over the NEW row (a trigger sees the columns as NEW.x)."""
    out = []
    for token in condition.split(" "):
        out.append(f"NEW.{token}" if token in _COLUMNS else token)
    return " ".join(out)


def _statements(dialect: str) -> list[str]:
    if dialect == "postgres":
        sql = [
            f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE VARCHAR(255) COLLATE "C"'
            for table, column in _PATHS
        ]
        sql += [f'ALTER TABLE "{t}" ADD CONSTRAINT {n} CHECK ({c})' for t, n, c in _CHECKS]
    else:
        sql = [
            f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} "
            f"WHEN NOT ({_as_new(cond)}) "
            f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            for table, name, cond in _CHECKS
            for event in ("INSERT", "UPDATE")
        ]
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
    dependencies = [("models", "0012_volunteering")]

    operations = [ops.RunPython(forward, backward)]
