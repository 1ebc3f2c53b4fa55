"""Success types and result unions of the territory's mutations."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.core.errors import Conflict, UserErrors
from schema.grids.types import Area


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
