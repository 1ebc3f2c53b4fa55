"""Text longer than its column is a typed input error for every model, saved or looked up."""

from __future__ import annotations

import pytest
from tortoise.models import Model
from tortoise.validators import MaxLengthValidator

import services.models
from services.errors import InvalidInput
from services.models import Area, Person, PointsRule, WorkOrderCategory
from services.models.columns import ColumnLength
from tests.conftest import Database


def test_every_text_column_refuses_overlong_text_as_input_error() -> None:
    # every CharField of every model checks its length with ColumnLength, none with Tortoise's
    # own validator (whose error is unexpected, and quotes the whole value)
    models = [
        m for m in vars(services.models).values() if isinstance(m, type) and issubclass(m, Model)
    ]
    checked = 0
    for model in models:
        for field in model._meta.fields_map.values():
            lengths = [v for v in field.validators if isinstance(v, MaxLengthValidator)]
            assert all(type(v) is ColumnLength for v in lengths), (model, field.model_field_name)
            checked += len(lengths)
    assert checked > 50


async def test_overlong_text_is_refused_when_saved_and_when_looked_up(db: Database) -> None:
    # given a person and a value longer than a column
    person = await Person.all().first()
    assert person is not None
    name_limit = Person._meta.fields_map["name"].max_length  # type: ignore[attr-defined]
    huge = "名" * 100_000
    # when it is saved, the error names the field and the limit, never the value
    person.name = huge
    with pytest.raises(InvalidInput) as saved:
        await person.save()
    assert saved.value.field == "name"
    assert str(name_limit) in saved.value.message and len(saved.value.message) < 100
    # and when it is looked up (Tortoise checks filter values the same way)
    with pytest.raises(InvalidInput) as looked_up:
        await PointsRule.filter(code="X" * 10_000).exists()
    assert looked_up.value.field == "code"
    with pytest.raises(InvalidInput):
        await WorkOrderCategory.get_or_none(code="X" * 33)
    # text at the limit is fine, and nothing was written
    assert await Area.filter(name="x" * Area._meta.fields_map["name"].max_length).count() == 0  # type: ignore[attr-defined]
    await person.refresh_from_db()
    assert person.name != huge
