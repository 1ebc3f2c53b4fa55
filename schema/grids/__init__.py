"""GraphQL for the territory: areas (区/街道/社区/网格/微网格), stations, party units, coverage."""

from schema.grids.operations import GridsMutation, GridsQuery
from schema.grids.types import (
    Area,
    AreaKind,
    AreaLevel,
    Coverage,
    GridStation,
    PartyUnit,
    PartyUnitKind,
)

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
