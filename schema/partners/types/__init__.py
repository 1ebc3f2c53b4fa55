"""GraphQL object types of partner units (共建单位), cadres, resource and need lists, matches and
co-building projects, one module per service module they show."""

from schema.partners.types.cadres import CadreAssignment, CadreService
from schema.partners.types.lists import Match, MatchCandidate, Need, ResourceOffer
from schema.partners.types.projects import (
    Project,
    ProjectMilestone,
    ProjectParticipant,
    ProjectTotals,
)
from schema.partners.types.units import PartnerMember, PartnerUnit

__all__ = [
    "CadreAssignment",
    "CadreService",
    "Match",
    "MatchCandidate",
    "Need",
    "PartnerMember",
    "PartnerUnit",
    "Project",
    "ProjectMilestone",
    "ProjectParticipant",
    "ProjectTotals",
    "ResourceOffer",
]
