"""Role assignments with their history, and the public duty cards (便民服务牌)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from services.care_links import (
    LEADER_ROLE_ENDED,
    ROLE_ENDED,
    end_care_links,
    hand_over_care_links,
)
from services.enums import (
    ADMIN_ROLES,
    ROLE_LEVEL,
    SINGLE_HOLDER_ROLES,
    AreaLevel,
    ExitReviewStatus,
    Role,
)
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import AreaRow, get_area
from services.kit import audit, clock, db, events
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import in_subtree
from services.models import CareLink, ExitReview, Household, RoleAssignment, WorkOrder

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
# The most care links and work orders `end_role` lists as moved (the counts give them all): a
# bound the API's cost estimate relies on (`EndRoleSuccess.movedCareLinks`, ...).
HANDOVER_LIST_LIMIT = 100


async def make_room_for_role(*, person_id: int, role: Role, area_id: int) -> None:
    """Inside a transaction: lock the person's row (and for a duty role the area's: no-op
    writes, so that appointments serialize) and refuse a role beyond MAX_OPEN_ROLES for the
    person or MAX_DUTY_HOLDERS for the area (`role_limit_problem`)."""
    await db.execute("UPDATE person SET name = name WHERE id = ? RETURNING id", [person_id])
    open_roles = await RoleAssignment.filter(person_id=person_id, until=None).count()
    duty_holders = 0
    if role in DUTY_CARD_ROLES:
        await db.execute("UPDATE area SET name = name WHERE id = ? RETURNING id", [area_id])
        duty_holders = await RoleAssignment.filter(
            area_id=area_id, until=None, role__in=list(DUTY_CARD_ROLES)
        ).count()
    problem = role_limit_problem(role, open_roles=open_roles, duty_holders=duty_holders)
    if problem is not None:
        raise Conflict(
            problem.message, field="personId" if problem.subject == "person" else "areaId"
        )


@dataclass(frozen=True)
class AppointmentProblem:
    """Why an appointment is refused: the subject ("role", "area" or "person"), a code
    (WRONG_LEVEL, FORBIDDEN, NOT_ALLOWED, NOT_IN_MICRO_GRID, CONFLICT) and a message."""

    subject: str
    code: str
    message: str


def appointment_problem(
    actor: Actor | None,
    role: Role,
    *,
    area_id: int,
    area_level: AreaLevel,
    area_path: str,
    home_micro_grid_id: int | None,
) -> AppointmentProblem | None:
    """The rules of an appointment, shared by assignRole and the ROLES import: the role is held
    at its level (ROLE_LEVEL), admins are appointed from the level above
    (`actor.appoints_admins_at`), other roles by an admin of the area, and a central household
    is a family of the micro-grid it serves (`home_micro_grid_id`: the person's household's
    micro-grid). `actor` None is the system (command line): only the data rules apply."""
    level = ROLE_LEVEL[role]
    if level is None:
        return AppointmentProblem(
            "role", "NOT_ALLOWED", "Every signed-up person is a resident already."
        )
    if area_level is not level:
        return AppointmentProblem(
            "area", "WRONG_LEVEL", f"{role.value} is held at a {level.value}."
        )
    if actor is not None:
        if role in ADMIN_ROLES:
            if not actor.appoints_admins_at(area_path):
                return AppointmentProblem(
                    "area", "FORBIDDEN", "Admins are appointed from the level above."
                )
        elif not actor.administers(area_path):
            return AppointmentProblem(
                "area",
                "FORBIDDEN",
                "You may not appoint people outside the areas you administer.",
            )
    if role is Role.CENTRAL_HOUSEHOLD and home_micro_grid_id != area_id:
        return AppointmentProblem(
            "person",
            "NOT_IN_MICRO_GRID",
            "A central household is a family of the micro-grid it serves.",
        )
    return None


def role_limit_problem(
    role: Role, *, open_roles: int, duty_holders: int
) -> AppointmentProblem | None:
    """The limits of one more appointment, shared by assignRole (`make_room_for_role`) and the
    ROLES import: a person holds at most MAX_OPEN_ROLES roles at once (`open_roles` they hold
    now, RESIDENT included), an area has at most MAX_DUTY_HOLDERS duty-role holders at once
    (`duty_holders` it has now; only a duty role counts)."""
    if open_roles >= MAX_OPEN_ROLES:
        return AppointmentProblem(
            "person",
            "CONFLICT",
            f"A person holds at most {MAX_OPEN_ROLES} roles at once; end one first.",
        )
    if role in DUTY_CARD_ROLES and duty_holders >= MAX_DUTY_HOLDERS:
        return AppointmentProblem(
            "area",
            "CONFLICT",
            f"An area has at most {MAX_DUTY_HOLDERS} duty-role holders at once; end a role "
            "there first.",
        )
    return None


async def assign_role(
    *, actor: Actor | None, person_id: int, role: Role, area_id: int
) -> RoleAssignment:
    """Appoint a person to a role at an area (admins appoint below themselves)."""
    actor = require_actor(actor)
    if ROLE_LEVEL[role] is None:
        raise InvalidInput("Every signed-up person is a resident already.", field="role")
    area = await get_area(area_id=area_id)

    def problem_with(home_micro_grid_id: int | None) -> AppointmentProblem | None:
        return appointment_problem(
            actor,
            role,
            area_id=area.id,
            area_level=area.level,
            area_path=area.path,
            home_micro_grid_id=home_micro_grid_id,
        )

    # Place and level first (before any person is read), then the person and their household.
    problem = problem_with(area.id)
    if problem is None:
        person = await person_to_place(actor=actor, person_id=person_id)
        home = await Household.get_or_none(id=person.household_id) if person.household_id else None
        problem = problem_with(home.micro_grid_id if home else None)
    if problem is not None:
        if problem.code == "FORBIDDEN":
            raise Forbidden(problem.message)
        raise InvalidInput(
            problem.message,
            field={"role": "role", "area": "areaId"}.get(problem.subject, "personId"),
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


@dataclass(frozen=True)
class EndedRole:
    """An ended role and what it handed over: the care links that moved (to their new holder)
    and the open work orders transferred, each the first HANDOVER_LIST_LIMIT by id, with the
    full counts."""

    assignment: RoleAssignment
    moved_care_links: list[CareLink]
    moved_care_link_count: int
    transferred_work_orders: list[WorkOrder]
    transferred_work_order_count: int


async def _successor(assignment: RoleAssignment, person_id: int | None) -> int | None:
    """The central household of the same micro-grid named to take over (checked), or None."""
    if person_id is None:
        return None
    if assignment.role is not Role.CENTRAL_HOUSEHOLD:
        raise InvalidInput(
            "Name a successor only when a central household's role ends; a leader's orders "
            "go to the level above.",
            field="handOverToPersonId",
        )
    if person_id == assignment.person_id or not await RoleAssignment.exists(
        person_id=person_id, role=Role.CENTRAL_HOUSEHOLD, area_id=assignment.area_id, until=None
    ):
        raise InvalidInput(
            "The successor must be another central household of the same micro-grid.",
            field="handOverToPersonId",
        )
    return person_id


async def _care_taker(assignment: RoleAssignment, successor_id: int | None) -> int | None:
    """Who takes a central household's care links: the successor, else the micro-grid's
    leader (not the same person), else nobody (the links end)."""
    if successor_id is not None:
        return successor_id
    leader = await RoleAssignment.get_or_none(
        role=Role.MICRO_GRID_LEADER, area_id=assignment.area_id, until=None
    )
    if leader is None or leader.person_id == assignment.person_id:
        return None
    return leader.person_id


async def end_role(
    *,
    actor: Actor | None,
    assignment_id: int,
    reason: str,
    hand_over_to_id: int | None = None,
) -> EndedRole:
    """End a role assignment; the row stays as history with the reason and who ended it.
    What the role held is handed over in the same transaction (交接):

    - a CENTRAL_HOUSEHOLD's care links go to `hand_over_to_id` (another central household of
      the micro-grid), else to the micro-grid leader, else end (services.care_links); the
      ended links stay as history;
    - a MICRO_GRID_LEADER's care links (households handed to them) end, unless they also
      hold the central household role there;
    - open work orders go to the successor or the next responsible
      (services.workorders.handover), on their timelines.
    """
    # Imported here: services.workorders reaches services.people through points and
    # households, so a module-level import would be circular.
    from services.workorders.handover import hand_over_orders

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
    successor_id = await _successor(assignment, hand_over_to_id)
    # Conditional update: two admins ending the same role at once both see one end.
    moment = clock.now()
    links: list[CareLink] = []
    orders: list[WorkOrder] = []
    async with events.collecting(), in_transaction():
        changed = await RoleAssignment.filter(id=assignment.id, until=None).update(
            until=moment, end_reason=reason, ended_by_id=actor.account_id
        )
        if not changed:
            raise Conflict("This role has already ended.", field="assignmentId")
        if assignment.role is Role.CENTRAL_HOUSEHOLD and assignment.area_id is not None:
            # The households they looked after are no longer theirs to read: they go to
            # whoever takes over, or (nobody to take them) show as coverage gaps.
            taker = await _care_taker(assignment, successor_id)
            if taker is not None:
                links = await hand_over_care_links(
                    central_id=assignment.person_id,
                    micro_grid_id=assignment.area_id,
                    to_id=taker,
                    at=moment,
                )
            else:
                await end_care_links(
                    central_id=assignment.person_id,
                    micro_grid_id=assignment.area_id,
                    reason=ROLE_ENDED,
                    at=moment,
                )
        elif (
            assignment.role is Role.MICRO_GRID_LEADER
            and assignment.area_id is not None
            and not await RoleAssignment.exists(
                person_id=assignment.person_id,
                role=Role.CENTRAL_HOUSEHOLD,
                area_id=assignment.area_id,
                until=None,
            )
        ):
            await end_care_links(
                central_id=assignment.person_id,
                micro_grid_id=assignment.area_id,
                reason=LEADER_ROLE_ENDED,
                at=moment,
            )
        if assignment.area_id is not None:
            orders = await hand_over_orders(
                person_id=assignment.person_id,
                role=assignment.role,
                area_id=assignment.area_id,
                area_path=assignment.area_path,
                successor_id=successor_id,
                actor_person_id=actor.person_id,
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
    return EndedRole(
        assignment=await RoleAssignment.get(id=assignment.id),
        moved_care_links=links[:HANDOVER_LIST_LIMIT],
        moved_care_link_count=len(links),
        transferred_work_orders=orders[:HANDOVER_LIST_LIMIT],
        transferred_work_order_count=len(orders),
    )


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
    at_areas, areas = db.one_of("r.area_id", area_ids)
    duties, roles = db.one_of("r.role", _DUTY_ROLE_VALUES)
    rows = await db.fetch(
        f"""
        SELECT r.id, r.role, r.since, r.end_reason, r.person_id, r.area_id,
               p.name, p.phone, p.party_member, p.household_id
        FROM role_assignment r JOIN person p ON p.id = r.person_id
        WHERE {at_areas} AND r.until IS NULL AND {duties}
        ORDER BY r.id
        """,
        [*areas, *roles],
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
               a.name, a.code, a.level, a.kind, a.parent_id, a.path, a.contact_group_name,
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


async def duty_cards(*, under_id: int | None = None, window: Window) -> Page[RoleAssignment]:
    """Public duty cards (便民服务牌): open duty roles under an area, with the holder."""
    query = RoleAssignment.filter(until=None, role__in=list(DUTY_CARD_ROLES))
    if under_id is not None:
        query = query.filter(in_subtree((await get_area(area_id=under_id)).path, "area_path"))
    return await paginate(query, window)


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
