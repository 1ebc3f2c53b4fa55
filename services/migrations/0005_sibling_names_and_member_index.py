from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index
from tortoise.migrations.constraints import UniqueConstraint

class Migration(migrations.Migration):
    dependencies = [('models', '0004_indexes_for_coverage')]

    initial = False

    operations = [
        ops.AddConstraint(
            model_name='Area',
            constraint=UniqueConstraint(fields=('parent', 'name'), name=None),
        ),
        ops.AddIndex(
            model_name='Person',
            index=Index(fields=['household_id']),
        ),
        # Hand-written: a person holds a role at an area at most once at a time (second guard
        # behind the service check, for concurrent appointments).
        ops.RunSQL(
            "CREATE UNIQUE INDEX role_assignment_open_once_uq "
            "ON role_assignment (person_id, role, area_id) WHERE until IS NULL",
            reverse_sql="DROP INDEX role_assignment_open_once_uq",
        ),
    ]
