"""Update inputs: which fields the client gave, in one convention.

An update input's optional fields default to `strawberry.UNSET`: a field left out leaves its
value unchanged, a field given as `null` clears it (where it may be null). `given(input)` is the
dict of the fields the client gave, by their Python names, nulls kept: what a service's update
function takes as `changes` (as polar passes `model_dump(exclude_unset=True)`), so "set this to
null" is spelled one way everywhere, never with `clear=` flags.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry


def given(input: object, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fields of a Strawberry input the client gave (UNSET left out, None kept), minus
    `exclude` (e.g. the id of the object being changed)."""
    if not dataclasses.is_dataclass(input) or isinstance(input, type):
        raise TypeError(f"given() takes a Strawberry input object, not {input!r}")
    return {
        field.name: value
        for field in dataclasses.fields(input)
        if field.name not in exclude
        and (value := getattr(input, field.name)) is not strawberry.UNSET
    }
