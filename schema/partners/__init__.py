"""GraphQL of partner units (共建单位), cadres, resource and need lists, matching and
co-building projects (共驻共建)."""

# The domain's enums are registered with Strawberry before any type annotated with them is
# built (the types use the services' enum classes themselves).
from schema.partners import enums
from schema.partners.mutations import PartnersMutation
from schema.partners.queries import PartnersQuery
from schema.partners.types import PartnerUnit, Project

__all__ = ["PartnerUnit", "PartnersMutation", "PartnersQuery", "Project", "enums"]
