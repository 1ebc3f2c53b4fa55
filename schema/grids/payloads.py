"""Success types and result unions of the territory's mutations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from schema.core.context import Info
from schema.core.errors import Conflict, UserErrors
from schema.grids.types import Area, AreaMove

if TYPE_CHECKING:
    from schema.households import Household


@strawberry.type(description="The area was created.")
class CreateAreaSuccess:
    area: Area = strawberry.field(description="The new area.")


CreateAreaResult = Annotated[
    CreateAreaSuccess | UserErrors | Conflict,
    strawberry.union("CreateAreaResult", description="The new area or why not."),
]


@strawberry.type(description="The area was changed.")
class UpdateAreaSuccess:
    area: Area = strawberry.field(description="The area as it is now.")


UpdateAreaResult = Annotated[
    UpdateAreaSuccess | UserErrors | Conflict,
    strawberry.union("UpdateAreaResult", description="The changed area or why not."),
]


@strawberry.type(description="The area was moved, with everything under it.")
class MoveAreaSuccess:
    area: Area = strawberry.field(description="The area as it is now (under its new parent).")
    move: AreaMove | None = strawberry.field(
        description="The move as kept in the history (null: it was there already, nothing changed)."
    )


MoveAreaResult = Annotated[
    MoveAreaSuccess | UserErrors | Conflict,
    strawberry.union("MoveAreaResult", description="The moved area or why not."),
]


@strawberry.type(description="The households were moved.")
class MoveHouseholdsSuccess:
    household_ids: strawberry.Private[list[int]]
    moves: list[AreaMove] = strawberry.field(
        description="The moves kept in the history, one per household that moved (none for "
        "those already there)."
    )

    @strawberry.field(description="The households as they are now, in the order given.")
    async def households(
        self, info: Info
    ) -> list[Annotated[Household, strawberry.lazy("schema.households")]]:
        from schema.households import Household

        found = await info.context.loaders.household.load_many(self.household_ids)
        return [Household.from_model(h) for h in found if h is not None]


MoveHouseholdsResult = Annotated[
    MoveHouseholdsSuccess | UserErrors | Conflict,
    strawberry.union("MoveHouseholdsResult", description="The moved households or why not."),
]
