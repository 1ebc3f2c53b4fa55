"""Helpers the evaluation types share."""

from __future__ import annotations

from schema.core.context import Info
from schema.people import Person


def hundredths(value: int) -> float:
    """A total kept in hundredths, as the 0-100 figure people read."""
    return round(value / 100, 2)


async def person_of(info: Info, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    found = await info.context.loaders.holder.load(person_id)
    return Person.from_model(found, full=None) if found else None
