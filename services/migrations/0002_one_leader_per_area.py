"""Database-level guard: at most one open grid / micro-grid leader per area.

A partial unique index (SQLite and PostgreSQL both support them; Tortoise models cannot declare
one), so two concurrent appointments cannot both succeed even if the service check races.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [
        ops.RunSQL(
            "CREATE UNIQUE INDEX role_assignment_one_leader_uq ON role_assignment (area_id, role) "
            "WHERE until IS NULL AND role IN ('GRID_LEADER', 'MICRO_GRID_LEADER')",
            reverse_sql="DROP INDEX role_assignment_one_leader_uq",
        ),
    ]
