"""Publishing a notice (政策传达): who may publish where, and whom it is delivered to.

A notice goes to an area and everything under it, to everyone there or to chosen roles. The
people expected to acknowledge it (its recipients) are fixed when it is published: the open
micro-grid leaders and central households of the subtree (of the chosen roles, when roles are
chosen), each with the area of that role, so coverage can be counted per area. Everyone else
in scope reads it without a row of their own (see reading.py): a district-wide notice writes
a row per leader and central household, never one per resident.
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.transactions import in_transaction

from services.enums import Role
from services.errors import Forbidden, InvalidInput
from services.grids import clean_text, get_area
from services.kit import clock, db, events
from services.kit.auth import Actor, require_actor
from services.kit.paths import is_under, subtree_bounds
from services.models import Notice, NoticeRecipient

MAX_TITLE = 100
MAX_BODY = 5000
# The roles that acknowledge notices (and relay them to the households they look after).
ACKNOWLEDGING_ROLES = (Role.MICRO_GRID_LEADER, Role.CENTRAL_HOUSEHOLD)
# Each role as a bit of notice.role_mask: stored values, so never renumber (append new roles).
ROLE_BITS: dict[Role, int] = {
    Role.DISTRICT_ADMIN: 1,
    Role.STREET_ADMIN: 2,
    Role.COMMUNITY_ADMIN: 4,
    Role.GRID_LEADER: 8,
    Role.MICRO_GRID_LEADER: 16,
    Role.CENTRAL_HOUSEHOLD: 32,
    Role.PART_TIME_GRID_MEMBER: 64,
    Role.VOLUNTEER: 128,
    Role.PARTNER_MEMBER: 256,
    Role.RESIDENT: 512,
}


def role_mask(roles: Sequence[Role]) -> int:
    """The bits of `roles` (0: everyone)."""
    mask = 0
    for role in roles:
        mask |= ROLE_BITS[role]
    return mask


def may_publish(actor: Actor, path: str) -> bool:
    """District, street and community admins publish within the areas they administer; grid
    leaders within their own grid, micro-grid leaders to their own micro-grid."""
    return actor.administers(path) or any(
        is_under(path, root) for root in actor.paths_for({Role.GRID_LEADER, Role.MICRO_GRID_LEADER})
    )


def _roles(roles: Sequence[Role | str]) -> list[Role]:
    """The chosen roles, known and each once, in the enum's order."""
    chosen: set[Role] = set()
    for role in roles:
        try:
            chosen.add(Role(role))
        except ValueError as exc:
            raise InvalidInput(f"There is no role {role!r}.", field="roles") from exc
    return [r for r in Role if r in chosen]


async def publish_notice(
    *, actor: Actor | None, area_id: int, title: str, body: str, roles: Sequence[Role | str]
) -> Notice:
    """Publish a notice to an area's subtree (everyone there, or the chosen roles only) and
    deliver it to the micro-grid leaders and central households who are to acknowledge it."""
    actor = require_actor(actor)
    title = clean_text(title, field="title", max_length=MAX_TITLE)
    body = clean_text(body, field="body", max_length=MAX_BODY)
    chosen = _roles(roles)
    area = await get_area(area_id=area_id)
    if not may_publish(actor, area.path):
        raise Forbidden(
            "Admins publish notices within the areas they administer, grid and micro-grid "
            "leaders within their own grid or micro-grid.",
            field="under",
        )
    acknowledging = [r for r in ACKNOWLEDGING_ROLES if not chosen or r in chosen]
    async with events.collecting(), in_transaction():
        # The notice first: on SQLite a transaction that writes first holds its lock.
        notice = await Notice.create(
            area_id=area.id,
            area_path=area.path,
            title=title,
            body=body,
            roles=[r.value for r in chosen],
            role_mask=role_mask(chosen),
            publisher_id=actor.person_id,
            published_at=clock.now(),
        )
        recipients = await _recipients(notice, acknowledging, actor.person_id)
        await NoticeRecipient.bulk_create(recipients, batch_size=500)
        notice.recipient_count = len(recipients)
        await Notice.filter(id=notice.id).update(recipient_count=len(recipients))
        events.emit(events.Topic.NOTICE, id=notice.id, area_path=notice.area_path)
    return notice


async def _recipients(
    notice: Notice, roles: list[Role], publisher_id: int
) -> list[NoticeRecipient]:
    """One row per person holding an acknowledging role in the subtree (not the publisher):
    their micro-grid leadership first, else their first central household by area."""
    if not roles:
        return []
    low, high = subtree_bounds(notice.area_path)
    marks = ",".join("?" for _ in roles)
    rows = await db.fetch(
        "SELECT person_id, role, area_id, area_path FROM role_assignment "
        f"WHERE area_path >= ? AND area_path < ? AND role IN ({marks}) AND until IS NULL "
        "AND person_id <> ? ORDER BY person_id, area_id",
        [low, high, *[r.value for r in roles], publisher_id],
    )
    chosen: dict[int, dict[str, object]] = {}
    for row in rows:
        held = chosen.get(row["person_id"])
        leads = row["role"] == Role.MICRO_GRID_LEADER.value
        if held is None or (leads and held["role"] != Role.MICRO_GRID_LEADER.value):
            chosen[row["person_id"]] = row
    return [
        NoticeRecipient(
            notice_id=notice.id,
            person_id=person_id,
            role=Role(str(row["role"])),
            area_id=row["area_id"],
            area_path=row["area_path"],
        )
        for person_id, row in sorted(chosen.items())
    ]
