"""GraphQL of partner units (共建单位), cadres, resource and need lists, matching and
co-building projects (共驻共建)."""

# First: registers the services.enums classes this domain's types are annotated with
# (strawberry.enum returns the class itself), before any of those types is built.
import schema.partners.enums  # noqa: F401
from schema.partners.mutations import PartnersMutation
from schema.partners.queries import PartnersQuery
from schema.partners.types import PartnerUnit, Project

__all__ = ["PartnerUnit", "PartnersMutation", "PartnersQuery", "Project"]
