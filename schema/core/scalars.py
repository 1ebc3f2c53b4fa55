"""Date and DateTime inputs: one rule for every argument and input field that takes them.

A `DateTime` is ISO 8601 with its UTC offset (`2026-05-13T10:00:00+08:00`), a `Date` is
`2026-05-13`; both lie in the years 2000-2100 (the years the ledger names periods in), which
also keeps every conversion to UTC representable (`9999-12-31T23:59:59-12:00` overflowed). A
value that breaks the rule is refused before execution, as a literal (validation) or in a
variable (coercion), with INVALID_INPUT.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from graphql import GraphQLError
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition
from strawberry.types.scalar import ScalarDefinition

from services.kit.calendar import MAX_YEAR, MIN_YEAR

MAX_LENGTH = 40
"""Longer than any ISO 8601 date and time with an offset and microseconds."""

DATETIME_EXAMPLE = "2026-05-13T10:00:00+08:00"


def _refuse(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "INVALID_INPUT"})


def _text(value: Any, kind: str, example: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        raise _refuse(f"A {kind} is ISO 8601 text, e.g. {example}.")
    return value


def _in_range(year: int, kind: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _refuse(f"A {kind} lies in the years {MIN_YEAR}-{MAX_YEAR}.")


def parse_datetime(value: Any) -> datetime:
    """A DateTime input: ISO 8601 with an offset, years 2000-2100 (INVALID_INPUT otherwise)."""
    text = _text(value, "DateTime", DATETIME_EXAMPLE)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _refuse(f"A DateTime is ISO 8601 text, e.g. {DATETIME_EXAMPLE}.") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _refuse(f"A DateTime needs its UTC offset, e.g. {DATETIME_EXAMPLE}.")
    _in_range(moment.year, "DateTime")
    return moment


def parse_date(value: Any) -> date:
    """A Date input: ISO 8601 (2026-05-13), years 2000-2100 (INVALID_INPUT otherwise)."""
    text = _text(value, "Date", "2026-05-13")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise _refuse("A Date is ISO 8601 text, e.g. 2026-05-13.") from None
    _in_range(day.year, "Date")
    return day


def _with_parser(definition: ScalarDefinition, parse: Any) -> ScalarDefinition:
    # Same name, description and output as Strawberry's own: only the input rule changes, so
    # the SDL is unchanged.
    return ScalarDefinition(
        name=definition.name,
        description=definition.description,
        specified_by_url=definition.specified_by_url,
        serialize=definition.serialize,
        parse_value=parse,
        parse_literal=None,
        origin=definition.origin,
    )


SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    datetime: _with_parser(DateTimeDefinition, parse_datetime),
    date: _with_parser(DateDefinition, parse_date),
}
"""Strawberry's Date and DateTime with the rule above (Schema(scalar_overrides=...))."""
