"""`given(input)`: the fields of an update input the client gave, nulls kept."""

from __future__ import annotations

import pytest
import strawberry

from schema.core.inputs import given


@strawberry.input
class RenameInput:
    id: int
    name: str | None = strawberry.UNSET
    note: str | None = strawberry.UNSET


def test_given_leaves_out_unset_fields_and_keeps_nulls() -> None:
    assert given(RenameInput(id=1, name=None), exclude=("id",)) == {"name": None}
    assert given(RenameInput(id=1, note="x")) == {"id": 1, "note": "x"}


@pytest.mark.parametrize("value", [RenameInput, {"name": "x"}, None])
def test_given_takes_an_input_object_only(value: object) -> None:
    with pytest.raises(TypeError):
        given(value)
