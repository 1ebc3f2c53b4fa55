"""GraphQL of the points marketplace (积分超市)."""

# The enums first: registering them is what makes the services.enums classes GraphQL enums.
from schema.market import enums
from schema.market.enums import ProviderKind, RewardCategory
from schema.market.mutations import MarketMutation
from schema.market.queries import MarketQuery
from schema.market.types import Redemption, Reward

# Other domains still annotate with `schema.market.RedemptionStatus` (silencing mypy's
# valid-type) until they use services.enums.RedemptionStatus (the same class); declared as a
# variable (not a type alias) so that silencing stays needed meanwhile.
RedemptionStatus: type[enums.RedemptionStatus] = enums.RedemptionStatus

__all__ = [
    "MarketMutation",
    "MarketQuery",
    "ProviderKind",
    "Redemption",
    "RedemptionStatus",
    "Reward",
    "RewardCategory",
]
