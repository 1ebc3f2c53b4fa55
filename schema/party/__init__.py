"""GraphQL for the party organisation (党组织): units at each level of the net, their
secretaries and members, and party members' individual reports (个人双报到)."""

from schema.party.mutations import PartyMutation
from schema.party.types import PartyMemberReport, PartyMembership, PartyUnit

__all__ = ["PartyMemberReport", "PartyMembership", "PartyMutation", "PartyUnit"]
