"""GraphQL of the points marketplace (积分超市)."""

# First: registers the services.enums classes this domain's types are annotated with
# (strawberry.enum returns the class itself), before any of those types is built.
import schema.market.enums  # noqa: F401
from schema.market.mutations import MarketMutation
from schema.market.queries import MarketQuery
from schema.market.types import Redemption, Reward

__all__ = [
    "MarketMutation",
    "MarketQuery",
    "Redemption",
    "Reward",
]
