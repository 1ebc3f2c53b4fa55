"""GraphQL for the territory: areas (区/街道/社区/网格/微网格), stations, coverage."""

# First: registers the services.enums classes this domain's types are annotated with
# (strawberry.enum returns the class itself), before any of those types is built.
import schema.grids.enums  # noqa: F401
from schema.grids.mutations import GridsMutation
from schema.grids.queries import GridsQuery
from schema.grids.types import Area, AreaMove, Coverage, GridStation

__all__ = [
    "Area",
    "AreaMove",
    "Coverage",
    "GridStation",
    "GridsMutation",
    "GridsQuery",
]
