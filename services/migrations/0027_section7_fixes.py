"""Volunteer hours are capped by the day they were served: an award records when its points
were earned (`points_award.earned_at`, the check-in of the hours; null for every other award,
which counts when it was made), and a sign-up records the approved hours a cap left without
points (`activity_sign_up.capped_hours`; null before approval and for hours approved before
this migration, whose cut was not recorded).

An evaluation period records why an admin scored or published it before its quarter was over
(`scored_early_reason`, `published_early_reason`; null for every step taken after the end,
and for periods before this migration).

Undoing drops both columns. On SQLite a plain `ALTER TABLE ... DROP COLUMN` (SQLite 3.35+)
rather than Tortoise's table rebuild, which would lose the guards (triggers) of 0007 and 0013.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class AddColumn(ops.AddField):
    """AddField whose backward drops the column in place on SQLite too (no table rebuild)."""

    async def database_backward(
        self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None
    ) -> None:
        if not state_editor:
            return
        if state_editor.client.capabilities.dialect != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        column = model._meta.fields_map[self.name].source_field or self.name
        await state_editor.client.execute_script(
            f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{column}"'
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0026_onboarding_moves_relays")]

    initial = False

    operations = [
        AddColumn(
            model_name='ActivitySignUp',
            name='capped_hours',
            field=fields.IntField(null=True),
        ),
        AddColumn(
            model_name='PointsAward',
            name='earned_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        AddColumn(
            model_name='EvaluationPeriod',
            name='scored_early_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
        AddColumn(
            model_name='EvaluationPeriod',
            name='published_early_reason',
            field=fields.CharField(null=True, max_length=500),
        ),
    ]
