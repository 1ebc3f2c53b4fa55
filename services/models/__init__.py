"""Tortoise models, one module per domain; imported here so Tortoise discovers them."""

from services.models.accounts import LoginFailure, RefreshToken, Session, UserAccount
from services.models.grids import Area, GridStation, PartyUnit
from services.models.households import CareLink, Household
from services.models.people import Person, RoleAssignment

__all__ = [
    "Area",
    "CareLink",
    "GridStation",
    "Household",
    "LoginFailure",
    "PartyUnit",
    "Person",
    "RefreshToken",
    "RoleAssignment",
    "Session",
    "UserAccount",
]
