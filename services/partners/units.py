"""Partner units (共建单位) reporting to a community (双报到), their members and who manages them.

A unit registers itself: the signed-in person who registers it is its first member and manager,
and it waits (PENDING) for an admin of the community, who approves or rejects it with a reason.
Members of an approved unit hold the PARTNER_MEMBER role at the unit's community (the grants the
rest of the service checks, e.g. posting rewards). A party member who joins a unit also reports
individually to the community where they live: the membership records that community.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from services.enums import AreaLevel, PartnerUnitKind, PartnerUnitStatus, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import community_path, subtree_bounds
from services.models import Area, PartnerMember, PartnerUnit, Person, RoleAssignment
from services.people.persons import person_to_place
from services.people.roles import make_room_for_role


async def member_unit_ids(person_id: int, *, managers_only: bool = False) -> set[int]:
    """The units a person works for now (or manages)."""
    query = PartnerMember.filter(person_id=person_id, left_at=None)
    if managers_only:
        query = query.filter(manager=True)
    return set(cast("list[int]", await query.values_list("unit_id", flat=True)))


async def is_member(actor: Actor, unit_id: int, *, manager: bool = False) -> bool:
    """Does the actor work for (or manage) the unit now?"""
    query = PartnerMember.filter(unit_id=unit_id, person_id=actor.person_id, left_at=None)
    if manager:
        query = query.filter(manager=True)
    return await query.exists()


def sees_unit(actor: Actor, unit: PartnerUnit, mine: set[int]) -> bool:
    """Approved units are known to every signed-in user; pending and rejected ones to the
    admins of their community (and above) and to their own members."""
    return (
        unit.status is PartnerUnitStatus.APPROVED
        or actor.administers(unit.community_path)
        or unit.id in mine
    )


async def get_unit(actor: Actor, unit_id: int, *, field: str = "unitId") -> PartnerUnit:
    """A unit the actor may see (NotFound otherwise)."""
    unit = await PartnerUnit.get_or_none(id=unit_id)
    if unit is None or not sees_unit(actor, unit, await member_unit_ids(actor.person_id)):
        raise NotFound("No such partner unit.", field=field)
    return unit


async def unit_for_team(actor: Actor, unit_id: int, community: str) -> PartnerUnit:
    """The approved unit of `community` a volunteer team is set up for (admins set teams up)."""
    unit = await get_unit(actor, unit_id)
    if unit.community_path != community:
        raise InvalidInput("The unit reports to another community.", field="unitId")
    if unit.status is not PartnerUnitStatus.APPROVED:
        raise Conflict("The unit is not approved by its community yet.", field="unitId")
    return unit


async def managed_unit(actor: Actor, unit_id: int, *, field: str = "unitId") -> PartnerUnit:
    """An approved unit the actor manages: a unit edits only its own lists and projects."""
    unit = await get_unit(actor, unit_id, field=field)
    if not await is_member(actor, unit.id, manager=True):
        raise Forbidden("Only the managers of this unit act for it.", field=field)
    if unit.status is not PartnerUnitStatus.APPROVED:
        raise Conflict("The unit is not approved by its community yet.", field=field)
    return unit


# The most current members one unit has: a bound the API's cost estimate relies on
# (`PartnerUnit.members`).
MAX_UNIT_MEMBERS = 100


async def _home_community(person: Person) -> int | None:
    """The community a party member lives in (None for others or people without a home)."""
    if not person.party_member or person.household_id is None:
        return None
    rows = await db.fetch("SELECT community_id FROM household WHERE id = ?", [person.household_id])
    return int(rows[0]["community_id"]) if rows else None


async def _grant_role(person_id: int, unit: PartnerUnit, account_id: int) -> None:
    """PARTNER_MEMBER at the unit's community, unless the person holds it there already (one
    grant covers every unit the person works for in that community)."""
    if await RoleAssignment.exists(
        person_id=person_id, role=Role.PARTNER_MEMBER, area_id=unit.community_id, until=None
    ):
        return
    await make_room_for_role(
        person_id=person_id, role=Role.PARTNER_MEMBER, area_id=unit.community_id
    )
    # Written directly, like grant_resident: the approval itself is the appointment, and the
    # member need not live where the reviewing admin could appoint them by assign_role.
    await RoleAssignment.create(
        person_id=person_id,
        role=Role.PARTNER_MEMBER,
        area_id=unit.community_id,
        area_path=unit.community_path,
        since=clock.now(),
        assigned_by_id=account_id,
    )


def clean_unit_phone(phone: str) -> str:
    """A unit's contact phone as registerUnit and the import take it: 5-20 digits (a landline
    such as 05334181234 too); InvalidInput on `phone` otherwise."""
    phone = phone.strip()
    if not (phone.isascii() and phone.isdigit() and 5 <= len(phone) <= 20):
        raise InvalidInput("A phone number has 5-20 digits.", field="phone")
    return phone


async def register_unit(
    *,
    actor: Actor | None,
    community_id: int,
    name: str,
    kind: PartnerUnitKind,
    address: str,
    phone: str | None,
    description: str,
) -> PartnerUnit:
    """Register a unit with a community (双报到): PENDING, the registrant its first manager."""
    actor = require_actor(actor)
    name = clean_text(name, field="name", max_length=100)
    address = clean_text(address, field="address", max_length=200, required=False)
    description = clean_text(description, field="description", max_length=1000, required=False)
    if phone is not None:
        phone = clean_unit_phone(phone)
    area = await get_area(area_id=community_id)
    if area.level is not AreaLevel.COMMUNITY:
        raise InvalidInput("A unit reports to a community.", field="communityId")
    person = await Person.get(id=actor.person_id)
    home = await _home_community(person)
    try:
        async with in_transaction():
            unit = await PartnerUnit.create(
                name=name,
                kind=kind,
                status=PartnerUnitStatus.PENDING,
                community_id=area.id,
                community_path=area.path,
                address=address,
                phone=phone,
                description=description,
                registered_by_id=actor.person_id,
                created_at=clock.now(),
            )
            await PartnerMember.create(
                unit_id=unit.id,
                person_id=actor.person_id,
                manager=True,
                home_community_id=home,
                added_by_id=actor.person_id,
                joined_at=clock.now(),
            )
    except IntegrityError as exc:
        raise Conflict(f"{area.name} has a unit named {name} already.", field="name") from exc
    return unit


async def review_unit(
    *, actor: Actor | None, unit_id: int, approve: bool, reason: str | None
) -> PartnerUnit:
    """An admin of the unit's community approves it (its members get PARTNER_MEMBER there) or
    rejects it with a reason. Reviewing twice is a Conflict (the status flips once)."""
    actor = require_actor(actor)
    text = clean_text(reason or "", field="reason", max_length=500, required=not approve)
    unit = await get_unit(actor, unit_id)
    actor.require_admin_of(unit.community_path, "review partner units")
    async with in_transaction():
        changed = await PartnerUnit.filter(id=unit.id, status=PartnerUnitStatus.PENDING).update(
            status=PartnerUnitStatus.APPROVED if approve else PartnerUnitStatus.REJECTED,
            reviewed_by_id=actor.person_id,
            reviewed_at=clock.now(),
            review_reason=text or None,
        )
        if not changed:
            raise Conflict("This unit has been reviewed already.", field="unitId")
        if approve:
            members = await PartnerMember.filter(unit_id=unit.id, left_at=None).values_list(
                "person_id", flat=True
            )
            for person_id in cast("list[int]", members):
                await _grant_role(person_id, unit, actor.account_id)
    return await PartnerUnit.get(id=unit.id)


async def add_member(
    *, actor: Actor | None, unit_id: int, person_id: int, manager: bool
) -> PartnerMember:
    """Add a person to a unit (its managers, or admins of its community). Members of an approved
    unit hold PARTNER_MEMBER at its community. The person must be one the actor may appoint:
    fully in their view, or a new sign-up not placed anywhere yet (so nobody learns about, or
    enrols, people outside their scope by guessing ids)."""
    actor = require_actor(actor)
    unit = await get_unit(actor, unit_id)
    if not (
        actor.administers(unit.community_path) or await is_member(actor, unit.id, manager=True)
    ):
        raise Forbidden("Managers of the unit and community admins add members.", field="unitId")
    if unit.status is PartnerUnitStatus.REJECTED:
        raise Conflict("The unit was rejected.", field="unitId")
    person = await person_to_place(actor=actor, person_id=person_id)
    home = await _home_community(person)
    try:
        async with in_transaction():
            # The unit's row is locked (a no-op write) so that two additions serialize.
            await db.execute(
                "UPDATE partner_unit SET name = name WHERE id = ? RETURNING id", [unit.id]
            )
            if await PartnerMember.exists(unit_id=unit.id, person_id=person.id, left_at=None):
                raise Conflict("The person works for this unit already.", field="personId")
            if await PartnerMember.filter(unit_id=unit.id, left_at=None).count() >= (
                MAX_UNIT_MEMBERS
            ):
                raise Conflict(
                    f"A unit has at most {MAX_UNIT_MEMBERS} members.",
                    field="unitId",
                )
            member = await PartnerMember.create(
                unit_id=unit.id,
                person_id=person.id,
                manager=manager,
                home_community_id=home,
                added_by_id=actor.person_id,
                joined_at=clock.now(),
            )
            if unit.status is PartnerUnitStatus.APPROVED:
                await _grant_role(person.id, unit, actor.account_id)
    except IntegrityError as exc:  # a concurrent add won the partial unique index
        raise Conflict("The person works for this unit already.", field="personId") from exc
    return member


async def remove_member(
    *, actor: Actor | None, unit_id: int, person_id: int, successor_id: int | None
) -> PartnerMember:
    """End a person's membership of a unit (its managers, or admins of its community). The
    membership stays as history (left_at). The last manager goes only with a successor named
    (a current member, who becomes a manager): a unit is never left without one."""
    actor = require_actor(actor)
    unit = await get_unit(actor, unit_id)
    if not (
        actor.administers(unit.community_path) or await is_member(actor, unit.id, manager=True)
    ):
        raise Forbidden("Managers of the unit and community admins remove members.", field="unitId")
    return await _end_membership(actor, unit, person_id, successor_id, field="personId")


async def leave_unit(
    *, actor: Actor | None, unit_id: int, successor_id: int | None
) -> PartnerMember:
    """The actor leaves a unit they work for; the membership stays as history. The last
    manager names a successor (a current member, who becomes a manager)."""
    actor = require_actor(actor)
    unit = await get_unit(actor, unit_id)
    return await _end_membership(actor, unit, actor.person_id, successor_id, field="unitId")


async def _end_membership(
    actor: Actor, unit: PartnerUnit, person_id: int, successor_id: int | None, *, field: str
) -> PartnerMember:
    if successor_id == person_id:
        raise InvalidInput("The successor is someone else.", field="successorId")
    moment = clock.now()
    async with in_transaction():
        # The unit's row is locked (a no-op write): two managers leaving at once serialize, so
        # the second sees that the first has gone and the unit keeps a manager.
        await db.execute("UPDATE partner_unit SET name = name WHERE id = ? RETURNING id", [unit.id])
        member = await PartnerMember.get_or_none(unit_id=unit.id, person_id=person_id, left_at=None)
        if member is None:
            raise NotFound("The person does not work for this unit.", field=field)
        successor = None
        if successor_id is not None:
            successor = await PartnerMember.get_or_none(
                unit_id=unit.id, person_id=successor_id, left_at=None
            )
            if successor is None:
                raise InvalidInput(
                    "The successor must be a current member of the unit.", field="successorId"
                )
        others = PartnerMember.filter(unit_id=unit.id, manager=True, left_at=None)
        last = member.manager and not await others.exclude(id=member.id).exists()
        if last and successor is None:
            raise Conflict(
                "The unit's last manager names a successor (a current member) first.",
                field="successorId",
            )
        if successor is not None:
            await PartnerMember.filter(id=successor.id).update(manager=True)
        await PartnerMember.filter(id=member.id).update(left_at=moment)
        await _drop_role(person_id, unit, actor.account_id, moment)
    return await PartnerMember.get(id=member.id)


async def _drop_role(person_id: int, unit: PartnerUnit, account_id: int, moment: datetime) -> None:
    """End PARTNER_MEMBER at the unit's community (kept as history) unless the person still
    works for another approved unit there (one grant covers all of them)."""
    still = await PartnerMember.filter(person_id=person_id, left_at=None).values_list(
        "unit_id", flat=True
    )
    if await PartnerUnit.exists(
        id__in=list(still), community_id=unit.community_id, status=PartnerUnitStatus.APPROVED
    ):
        return
    await RoleAssignment.filter(
        person_id=person_id, role=Role.PARTNER_MEMBER, area_id=unit.community_id, until=None
    ).update(until=moment, end_reason=f"离开共建单位 {unit.name}", ended_by_id=account_id)


async def list_units(
    *,
    actor: Actor | None,
    under_id: int | None,
    kind: PartnerUnitKind | None,
    status: PartnerUnitStatus | None,
    window: Window,
) -> Page[PartnerUnit]:
    """Units reporting under an area that the actor may see, in registration order."""
    actor = require_actor(actor)
    query = PartnerUnit.all()
    if under_id is not None:
        area = await get_area(area_id=under_id)
        low, high = subtree_bounds(_community_or_self(area))
        query = query.filter(community_path__gte=low, community_path__lt=high)
    if kind is not None:
        query = query.filter(kind=kind)
    if status is not None:
        query = query.filter(status=status)
    visible = Q(status=PartnerUnitStatus.APPROVED)
    for path in actor.admin_paths:
        low, high = subtree_bounds(path)
        visible |= Q(community_path__gte=low, community_path__lt=high)
    mine = await member_unit_ids(actor.person_id)
    if mine:
        visible |= Q(id__in=sorted(mine))
    return await paginate(query.filter(visible), window)


def _community_or_self(area: Area) -> str:
    """Below a community, the community's path (units report to communities)."""
    return community_path(area.path) or area.path


async def units_by_ids(*, actor: Actor | None, unit_ids: list[int]) -> list[PartnerUnit | None]:
    """Units for the ids as the actor may see them, in order."""
    if actor is None:
        return [None for _ in unit_ids]
    found = {u.id: u for u in await PartnerUnit.filter(id__in=unit_ids)}
    mine = await member_unit_ids(actor.person_id)
    return [
        u if (u := found.get(i)) is not None and sees_unit(actor, u, mine) else None
        for i in unit_ids
    ]


async def members_of(*, unit_ids: list[int]) -> list[list[PartnerMember]]:
    """The current members of each unit, managers first; one query."""
    found: dict[int, list[PartnerMember]] = {i: [] for i in unit_ids}
    for m in await PartnerMember.filter(unit_id__in=unit_ids, left_at=None).order_by(
        "-manager", "id"
    ):
        found[m.unit_id].append(m)
    return [found[i] for i in unit_ids]


async def unit_of_person(*, person_id: int) -> PartnerUnit | None:
    """The unit a person works for (the latest they joined), for `viewer { partnerUnit }`."""
    member = await PartnerMember.filter(person_id=person_id, left_at=None).order_by("-id").first()
    return await PartnerUnit.get_or_none(id=member.unit_id) if member else None
