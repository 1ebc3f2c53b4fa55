"""GraphQL of points: the ledger as people see it, rules, awards, leaderboards."""

# The enums first: registering them is what makes the services.enums classes GraphQL enums.
from schema.points import enums
from schema.points.enums import AwardStatus, ExpiryKind, TransactionKind
from schema.points.mutations import PointsMutation
from schema.points.queries import PointsQuery
from schema.points.subscriptions import PointsSubscription
from schema.points.types import (
    PointsAccount,
    PointsAward,
    PointsEntry,
    PointsRule,
    PointsTransaction,
)

# Other domains still annotate with `schema.points.Dimension` (silencing mypy's valid-type)
# until they use services.enums.Dimension (the same class); declared as a variable (not a
# type alias) so that silencing stays needed meanwhile.
Dimension: type[enums.Dimension] = enums.Dimension

__all__ = [
    "AwardStatus",
    "Dimension",
    "ExpiryKind",
    "PointsAccount",
    "PointsAward",
    "PointsEntry",
    "PointsMutation",
    "PointsQuery",
    "PointsRule",
    "PointsSubscription",
    "PointsTransaction",
    "TransactionKind",
]
