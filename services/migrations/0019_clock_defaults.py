"""Creation and update times come from the service clock (`default=clock.now`), no longer from
Tortoise's `auto_now_add` / `auto_now`, which read the wall clock.

Only who supplies the value changes, in Python: the columns, their types and their (absent)
database defaults stay as they are. So every operation here changes the migration state only.
A plain AlterField would rebuild each SQLite table, and the rebuild drops the table's indexes
and the triggers that keep the ledger append-only and balances non-negative.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from services.kit.clock import now


class AlterFieldState(ops.AlterField):
    """AlterField for the migration state alone: nothing is executed in the database."""

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [('models', '0018_work_order_resolved_by')]

    initial = False

    operations = [
        AlterFieldState(
            model_name='Area',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='CareLink',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='EvaluationScheme',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='Household',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='IdempotencyRecord',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='Person',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='PointsAccount',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='PointsEntry',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='PointsLot',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='PointsPolicy',
            name='updated_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='PointsRule',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='PointsTransaction',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='RefreshToken',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='Reward',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='Session',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='TrainingSession',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
        AlterFieldState(
            model_name='UserAccount',
            name='created_at',
            field=fields.DatetimeField(default=now, auto_now=False, auto_now_add=False),
        ),
    ]
