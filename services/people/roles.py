"""Role assignments with their history, and the public duty cards (便民服务牌)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.care_links import ROLE_ENDED, end_care_links
from services.enums import ADMIN_ROLES, ROLE_LEVEL, SINGLE_HOLDER_ROLES, ExitReviewStatus, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import AreaRow, get_area
from services.kit import audit, clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, paginate
from services.kit.paths import in_subtree
from services.models import ExitReview, Household, RoleAssignment

# Roles that carry a public duty card; volunteers, partner members and residents do not.
from services.people.persons import DUTY_CARD_ROLES, person_to_place

# Bounds the API's cost estimate relies on (`Person.roles`, `Area.roleHolders`): the roles one
# person holds at once (RESIDENT included), and the duty-card holders of one area at once (its
# leader, its central households or part-time members, its admins).
MAX_OPEN_ROLES = 10
MAX_DUTY_HOLDERS = 20
# The most past and present roles `roles_by_person(include_ended=True)` gives for one person
# (the latest): a bound the API's cost estimate relies on (`Person.roleHistory`).
ROLE_HISTORY_LIMIT = 50


async def make_room_for_role(*, person_id: int, role: Role, area_id: int) -> None:
    """Inside a transaction: lock the person's row (and for a duty role the area's: no-op
    writes, so that appointments serialize) and refuse a role beyond MAX_OPEN_ROLES for the
    person or MAX_DUTY_HOLDERS for the area."""
    await db.execute("UPDATE person SET name = name WHERE id = ? RETURNING id", [person_id])
    if await RoleAssignment.filter(person_id=person_id, until=None).count() >= MAX_OPEN_ROLES:
        raise Conflict(
            f"A person holds at most {MAX_OPEN_ROLES} roles at once; end one first.",
            field="personId",
        )
    if role not in DUTY_CARD_ROLES:
        return
    await db.execute("UPDATE area SET name = name WHERE id = ? RETURNING id", [area_id])
    held = await RoleAssignment.filter(
        area_id=area_id, until=None, role__in=list(DUTY_CARD_ROLES)
    ).count()
    if held >= MAX_DUTY_HOLDERS:
        raise Conflict(
            f"An area has at most {MAX_DUTY_HOLDERS} duty-role holders at once; end a role "
            "there first.",
            field="areaId",
        )


async def assign_role(
    *, actor: Actor | None, person_id: int, role: Role, area_id: int
) -> RoleAssignment:
    """Appoint a person to a role at an area (admins appoint below themselves)."""
    actor = require_actor(actor)
    level = ROLE_LEVEL[role]
    if level is None:
        raise InvalidInput("Every signed-up person is a resident already.", field="role")
    area = await get_area(area_id=area_id)
    if area.level is not level:
        raise InvalidInput(f"{role.value} is held at a {level.value}.", field="areaId")
    if role in ADMIN_ROLES:
        if not actor.appoints_admins_at(area.path):
            raise Forbidden("Admins are appointed from the level above.")
    else:
        actor.require_admin_of(area.path, "appoint people")
    person = await person_to_place(actor=actor, person_id=person_id)
    if role is Role.CENTRAL_HOUSEHOLD:
        home = await Household.get_or_none(id=person.household_id) if person.household_id else None
        if home is None or home.micro_grid_id != area.id:
            raise InvalidInput(
                "A central household is a family of the micro-grid it serves.", field="personId"
            )
    try:
        async with in_transaction():
            await make_room_for_role(person_id=person.id, role=role, area_id=area.id)
            if await RoleAssignment.exists(
                person_id=person.id, role=role, area_id=area.id, until=None
            ):
                raise Conflict("The person already holds this role here.", field="personId")
            if role in SINGLE_HOLDER_ROLES and await RoleAssignment.exists(
                role=role, area_id=area.id, until=None
            ):
                raise Conflict(
                    f"{area.name} already has a {role.value}; end that role first.", field="areaId"
                )
            created = await RoleAssignment.create(
                person_id=person.id,
                role=role,
                area_id=area.id,
                area_path=area.path,
                since=clock.now(),
                assigned_by_id=actor.account_id,
            )
            await audit.log(actor, audit.ROLE, "assignRole", created)
            return created
    except IntegrityError as exc:  # a concurrent appointment won the unique index
        raise Conflict(f"{area.name} already has a {role.value}.", field="areaId") from exc


async def grant_resident(*, person_id: int) -> RoleAssignment:
    """The RESIDENT role every signed-up person holds (no area: joining a household is separate)."""
    return await RoleAssignment.create(
        person_id=person_id, role=Role.RESIDENT, area_id=None, area_path="", since=clock.now()
    )


async def end_role(*, actor: Actor | None, assignment_id: int, reason: str) -> RoleAssignment:
    """End a role assignment; the row stays as history with the reason and who ended it.
    Ending a CENTRAL_HOUSEHOLD role ends its care links (services.care_links)."""
    actor = require_actor(actor)
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("Give a reason of 1 to 500 characters.", field="reason")
    assignment = await RoleAssignment.get_or_none(id=assignment_id)
    if assignment is None or not actor.reads(assignment.area_path or "-"):
        raise NotFound("No such role assignment.", field="assignmentId")
    if assignment.role in ADMIN_ROLES:
        if not actor.appoints_admins_at(assignment.area_path):
            raise Forbidden("Admins are removed from the level above.")
    else:
        actor.require_admin_of(assignment.area_path, "end roles")
    if assignment.until is not None:
        raise Conflict("This role has already ended.", field="assignmentId")
    if assignment.role is Role.DISTRICT_ADMIN and not await RoleAssignment.exists(
        role=Role.DISTRICT_ADMIN, area_id=assignment.area_id, until=None, id__not=assignment.id
    ):
        # Nobody could appoint a new one: the district would be locked out of its own net.
        raise Conflict("Appoint another district admin before ending the last one.")
    # Conditional update: two admins ending the same role at once both see one end.
    moment = clock.now()
    async with in_transaction():
        changed = await RoleAssignment.filter(id=assignment.id, until=None).update(
            until=moment, end_reason=reason, ended_by_id=actor.account_id
        )
        if not changed:
            raise Conflict("This role has already ended.", field="assignmentId")
        if assignment.role is Role.CENTRAL_HOUSEHOLD:
            # The households they looked after are no longer theirs to read (nor counted as
            # looked after in coverage).
            await end_care_links(
                central_id=assignment.person_id,
                micro_grid_id=assignment.area_id,
                reason=ROLE_ENDED,
                at=moment,
            )
        # Ending a role flagged for dynamic exit closes its review (the reason stays on the
        # role).
        await ExitReview.filter(assignment_id=assignment.id, status=ExitReviewStatus.OPEN).update(
            status=ExitReviewStatus.ROLE_ENDED,
            resolution=reason,
            resolved_by_id=actor.person_id,
            resolved_at=clock.now(),
        )
        await audit.log(actor, audit.ROLE, "endRole", assignment, reload=True)
    return await RoleAssignment.get(id=assignment.id)


async def roles_by_person(
    *, person_ids: list[int], include_ended: bool = False
) -> list[list[RoleAssignment]]:
    """Each person's role assignments in the order they began: the open ones (at most
    MAX_OPEN_ROLES), or with `include_ended` every one, the latest ROLE_HISTORY_LIMIT; one
    query."""
    query = RoleAssignment.filter(person_id__in=person_ids)
    if not include_ended:
        query = query.filter(until=None)
    roles: dict[int, list[RoleAssignment]] = {i: [] for i in person_ids}
    for assignment in await query.order_by("id"):
        roles[assignment.person_id].append(assignment)
    limit = ROLE_HISTORY_LIMIT if include_ended else MAX_OPEN_ROLES
    return [roles[i][-limit:] for i in person_ids]


@dataclass(frozen=True, slots=True)
class HolderPerson:
    """The holder of a duty role, as read with the assignment (the fields a Person has)."""

    id: int
    name: str
    phone: str | None
    party_member: bool
    household_id: int | None


@dataclass(frozen=True, slots=True)
class DutyHolder:
    """An open duty-role assignment with its holder (the fields a RoleAssignment has)."""

    id: int
    role: Role
    since: datetime
    until: datetime | None
    end_reason: str | None
    person_id: int
    area_id: int
    person: HolderPerson


_DUTY_ROLE_VALUES = sorted(role.value for role in DUTY_CARD_ROLES)


async def role_holders_by_area(*, area_ids: list[int]) -> list[list[DutyHolder]]:
    """The open role assignments held at each area with their holders (public: who runs it,
    as on the duty cards); one query."""
    holders: dict[int, list[DutyHolder]] = {i: [] for i in area_ids}
    if not area_ids:
        return []
    # Plain rows, not models: a page of areas has a few holders each, and building two models
    # per row (with their timestamps parsed) cost more than the statement itself.
    rows = await db.fetch(
        f"""
        SELECT r.id, r.role, r.since, r.end_reason, r.person_id, r.area_id,
               p.name, p.phone, p.party_member, p.household_id
        FROM role_assignment r JOIN person p ON p.id = r.person_id
        WHERE r.area_id IN ({",".join("?" for _ in area_ids)}) AND r.until IS NULL
          AND r.role IN ({",".join("?" for _ in _DUTY_ROLE_VALUES)})
        ORDER BY r.id
        """,
        [*area_ids, *_DUTY_ROLE_VALUES],
    )
    for row in rows:
        since = db.timestamp(row["since"])
        assert since is not None  # NOT NULL column
        holders[row["area_id"]].append(
            DutyHolder(
                id=row["id"],
                role=Role(row["role"]),
                since=since,
                until=None,  # open assignments only (the WHERE clause)
                end_reason=row["end_reason"],
                person_id=row["person_id"],
                area_id=row["area_id"],
                person=HolderPerson(
                    id=row["person_id"],
                    name=row["name"],
                    phone=row["phone"],
                    party_member=bool(row["party_member"]),
                    household_id=row["household_id"],
                ),
            )
        )
    return [holders[i] for i in area_ids]


@dataclass(frozen=True, slots=True)
class HeldRole:
    """An open role assignment with its area read alongside (None for RESIDENT)."""

    id: int
    role: Role
    since: datetime
    until: datetime | None
    end_reason: str | None
    person_id: int
    area_id: int | None
    area_path: str
    area: AreaRow | None


async def open_roles_with_areas(*, person_id: int) -> list[HeldRole]:
    """A person's open role assignments with their areas, in id order; one statement (read on
    every `viewer` request)."""
    rows = await db.fetch(
        """
        SELECT r.id, r.role, r.since, r.until, r.end_reason, r.person_id, r.area_id, r.area_path,
               a.name, a.level, a.kind, a.parent_id, a.path, a.contact_group_name,
               a.contact_group_link
        FROM role_assignment r LEFT JOIN area a ON a.id = r.area_id
        WHERE r.person_id = ? AND r.until IS NULL
        ORDER BY r.id
        """,
        [person_id],
    )
    held = []
    for row in rows:
        since = db.timestamp(row["since"])
        assert since is not None  # NOT NULL column
        area = AreaRow.from_row(row, id_column="area_id") if row["path"] is not None else None
        held.append(
            HeldRole(
                id=row["id"],
                role=Role(row["role"]),
                since=since,
                until=db.timestamp(row["until"]),
                end_reason=row["end_reason"],
                person_id=row["person_id"],
                area_id=row["area_id"],
                area_path=row["area_path"],
                area=area,
            )
        )
    return held


async def duty_cards(
    *, under_id: int | None = None, first: int, after: int | None = None
) -> Page[RoleAssignment]:
    """Public duty cards (便民服务牌): open duty roles under an area, with the holder."""
    query = RoleAssignment.filter(until=None, role__in=list(DUTY_CARD_ROLES))
    if under_id is not None:
        query = query.filter(in_subtree((await get_area(area_id=under_id)).path, "area_path"))
    return await paginate(query, first=first, after=after)


async def role_assignments_by_ids(
    *, actor: Actor | None, assignment_ids: list[int]
) -> list[RoleAssignment | None]:
    """Role assignments for the ids: duty roles in office are public, the rest in scope only."""
    found = {r.id: r for r in await RoleAssignment.filter(id__in=assignment_ids)}
    result: list[RoleAssignment | None] = []
    for aid in assignment_ids:
        r = found.get(aid)
        visible = r is not None and (
            (r.until is None and r.role in DUTY_CARD_ROLES)
            or (
                actor is not None
                and (r.person_id == actor.person_id or actor.reads(r.area_path or "-"))
            )
        )
        result.append(r if visible else None)
    return result


async def duty_cards_by_ids(*, card_ids: list[int]) -> list[RoleAssignment | None]:
    """Duty cards (open duty-role assignments) for the ids; public."""
    found = {
        r.id: r
        for r in await RoleAssignment.filter(
            id__in=card_ids, until=None, role__in=list(DUTY_CARD_ROLES)
        )
    }
    return [found.get(i) for i in card_ids]
