"""Helpers shared by the people service tests: the demo story's places and people."""

from __future__ import annotations

from services.models import Area, Person, RoleAssignment
from tests.conftest import actor_for

M = "颜山花园1-2号楼微网格"  # micro-grid M of the demo story


async def area(name: str) -> Area:
    return await Area.get(name=name)


async def person_of(username: str) -> Person:
    return await Person.get(id=(await actor_for(username)).person_id)


async def roles_state() -> list[tuple[object, ...]]:
    return list(
        await RoleAssignment.all()
        .order_by("id")
        .values_list("id", "person_id", "role", "area_id", "until", "end_reason")
    )
