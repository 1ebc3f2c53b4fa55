"""GraphQL for the territory: areas (区/街道/社区/网格/微网格), stations, party units, coverage."""

from schema.grids.enums import AreaKind, AreaLevel, PartyUnitKind
from schema.grids.mutations import GridsMutation
from schema.grids.queries import GridsQuery
from schema.grids.types import Area, Coverage, GridStation, PartyUnit

__all__ = [
    "Area",
    "AreaKind",
    "AreaLevel",
    "Coverage",
    "GridStation",
    "GridsMutation",
    "GridsQuery",
    "PartyUnit",
    "PartyUnitKind",
]
