"""GraphQL of partner units (共建单位), cadres, resource and need lists, matching and
co-building projects (共驻共建)."""

from schema.partners.operations import PartnersMutation, PartnersQuery
from schema.partners.types import PartnerUnit, Project

__all__ = ["PartnerUnit", "PartnersMutation", "PartnersQuery", "Project"]
