"""The territory's enums, registered with Strawberry once (the services classes themselves)."""

from __future__ import annotations

import strawberry

from schema.core.errors import describe_values
from services.enums import AreaKind, AreaLevel, MoveSubject, PartyUnitKind

strawberry.enum(
    AreaLevel,
    description="Levels of the net: district (区) → street (街道) → community (社区) → "
    "grid (网格) → micro-grid (微网格).",
)
strawberry.enum(
    AreaKind,
    description="RESIDENTIAL grids cover homes; COMMERCIAL dedicated grids (商业专属网格) cover "
    "shops and firms; SPECIAL grids cover another special population.",
)
strawberry.enum(
    PartyUnitKind,
    description="The party unit of each level: district committee (区委), street working "
    "committee (街道党工委), community party organisation (社区党委/总支), grid party branch "
    "(网格党支部), micro-grid party group (微网格党小组).",
)
strawberry.enum(
    MoveSubject,
    description="What a move of the net (调整网格) moved: an area with its subtree, or a "
    "household.",
)
describe_values(
    MoveSubject,
    {
        "AREA": "An area (a grid or micro-grid) moved under another parent, with its subtree.",
        "HOUSEHOLD": "A household moved to another micro-grid.",
    },
)
describe_values(
    AreaLevel,
    {
        "DISTRICT": "District (区): the root of the net.",
        "STREET": "Street or town (街道/镇).",
        "COMMUNITY": "Community (社区), led by its party organisation.",
        "GRID": "Grid (网格): a few hundred households, with a station and a party branch.",
        "MICRO_GRID": "Micro-grid (微网格): a few dozen households, the smallest work unit.",
    },
)
describe_values(
    AreaKind,
    {
        "RESIDENTIAL": "Covers homes (the default).",
        "COMMERCIAL": "Commercial dedicated grid (商业专属网格): shops and firms.",
        "SPECIAL": "Dedicated grid for another special population.",
    },
)
describe_values(
    PartyUnitKind,
    {
        "DISTRICT_PARTY_COMMITTEE": "District party committee (区委), on the district.",
        "STREET_PARTY_WORKING_COMMITTEE": "Street party working committee (街道党工委), on a "
        "street.",
        "COMMUNITY_PARTY_ORGANIZATION": "Community party organisation (社区党委/总支), on a "
        "community.",
        "GRID_PARTY_BRANCH": "Grid party branch (网格党支部), on a grid.",
        "MICRO_GRID_PARTY_GROUP": "Micro-grid party group (微网格党小组), on a micro-grid.",
    },
)

__all__ = ["AreaKind", "AreaLevel", "MoveSubject", "PartyUnitKind"]
