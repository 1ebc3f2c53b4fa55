"""Who is acting, and where: the actor and the scope checks every service applies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.enums import ADMIN_ROLES, LEADER_ROLES, AreaLevel, Role
from services.errors import Forbidden, Unauthenticated
from services.kit.paths import community_path, is_under


@dataclass(frozen=True)
class RoleGrant:
    """An open role assignment as the actor holds it."""

    role: Role
    area_id: int | None
    area_path: str
    area_level: AreaLevel | None


@dataclass(frozen=True)
class Actor:
    """The signed-in user behind a request (or a system job); anonymous is `None`, not an Actor."""

    account_id: int
    person_id: int
    username: str
    household_id: int | None = None
    household_path: str | None = None
    grants: tuple[RoleGrant, ...] = field(default_factory=tuple)
    session_id: str | None = None

    def paths_for(self, roles: Iterable[Role]) -> list[str]:
        """The subtree roots where the actor holds any of `roles`."""
        wanted = set(roles)
        return [g.area_path for g in self.grants if g.role in wanted and g.area_path]

    @property
    def admin_paths(self) -> list[str]:
        """Subtrees the actor administers (district, street, community admins)."""
        return self.paths_for(ADMIN_ROLES)

    @property
    def read_paths(self) -> list[str]:
        """Subtrees whose people and households the actor may read (admins and leaders)."""
        return self.paths_for(ADMIN_ROLES | LEADER_ROLES)

    def member_of(self, path: str) -> bool:
        """Does the actor live or hold a role in the community of `path` (or administer it)?
        What is public within a community (published evaluations, red flags, leaderboards)
        is shown to its members."""
        community = community_path(path)
        if community is None:
            return False
        places = [g.area_path for g in self.grants if g.area_path]
        if self.household_path:
            places.append(self.household_path)
        return self.administers(community) or any(is_under(p, community) for p in places)

    def appoints_admins_at(self, path: str) -> bool:
        """Admins are appointed from the level above; a district admin also appoints peers in
        their own district (nobody is above them)."""
        return self.administers_strictly_above(path) or any(
            g.role is Role.DISTRICT_ADMIN and g.area_path == path for g in self.grants
        )

    def administers(self, path: str) -> bool:
        """May the actor manage the area at `path` (create under it, assign roles in it)?"""
        return any(is_under(path, root) for root in self.admin_paths)

    def reads(self, path: str) -> bool:
        """May the actor read the people and households of the area at `path`?"""
        return any(is_under(path, root) for root in self.read_paths)

    def administers_strictly_above(self, path: str) -> bool:
        """Does the actor administer an area strictly above `path` (to appoint admins there)?"""
        return any(is_under(path, root) and path != root for root in self.admin_paths)

    def require_admin_of(self, path: str, what: str) -> None:
        """Raise Forbidden unless the actor administers `path`."""
        if not self.administers(path):
            raise Forbidden(f"You may not {what} outside the areas you administer.")

    def require_someone_else(
        self, beneficiary_id: int | None, message: str, *, field: str | None = None
    ) -> None:
        """Separation of duties: nobody approves, reverses, adjusts, verifies or hands over
        anything that pays or benefits themselves (`beneficiary_id`, a person id). Raise
        Forbidden, before anything is written, when the actor is the one who would benefit."""
        if beneficiary_id is not None and beneficiary_id == self.person_id:
            raise Forbidden(message, field=field)


def require_actor(actor: Actor | None) -> Actor:
    """The actor, or Unauthenticated for an anonymous caller."""
    if actor is None:
        raise Unauthenticated("Sign in first.")
    return actor
