"""Text longer than its column is the client's input error, for every model at once.

Tortoise checks a CharField's `max_length` whenever a value is saved or compared in a filter
(MaxLengthValidator), but raises its ValidationError with the whole value in the message: an
over-long `ruleCode` or work-order `category` became an internal error, and its log line
carried the value. Every such validator is replaced by one that raises InvalidInput naming the
field and the limit, never the value; PostgreSQL's VARCHAR(n) stays the last guard.
"""

from __future__ import annotations

from typing import Any

from tortoise.fields.base import Field
from tortoise.models import Model
from tortoise.validators import MaxLengthValidator

from services.errors import InvalidInput


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


class ColumnLength(MaxLengthValidator):
    """Tortoise's max_length check, as a typed input error."""

    def __init__(self, model: type[Model], field: Field[Any], max_length: int) -> None:
        super().__init__(max_length)
        self.field = _camel(field.model_field_name)
        self.what = f"{model.__name__}.{self.field}"

    def __call__(self, value: str) -> None:
        if value is not None and len(value) > self.max_length:
            raise InvalidInput(
                f"Too long: {self.what} takes at most {self.max_length} characters.",
                field=self.field,
            )
        super().__call__(value)


def typed_column_lengths(models: list[type[Model]]) -> None:
    """Make every CharField of `models` refuse over-long text with InvalidInput."""
    for model in models:
        for field in model._meta.fields_map.values():
            field.validators = [
                ColumnLength(model, field, v.max_length) if type(v) is MaxLengthValidator else v
                for v in field.validators
            ]
