"""Work-order categories, set per district by its admins, each with its service level (SLA):
minutes to accept and hours to resolve."""

from __future__ import annotations

import re

from tortoise.exceptions import IntegrityError

from services.enums import Role, WorkOrderKind
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import clean_text
from services.kit import clock
from services.kit.auth import Actor, require_actor
from services.kit.paths import district_path
from services.models import Area, WorkOrderCategory

MAX_ACCEPT_MINUTES = 7 * 24 * 60
MAX_RESOLVE_HOURS = 90 * 24
_CODE = re.compile(r"[A-Z][A-Z0-9_]{1,31}")


def _check_code(code: str) -> str:
    code = code.strip().upper()
    if not _CODE.fullmatch(code):
        raise InvalidInput(
            "A category code is 2-32 of A-Z, 0-9 and _, starting with a letter.", field="code"
        )
    return code


def _check_minutes(value: int) -> int:
    if not 1 <= value <= MAX_ACCEPT_MINUTES:
        raise InvalidInput(
            f"Minutes to accept must be 1 to {MAX_ACCEPT_MINUTES}.", field="acceptWithinMinutes"
        )
    return value


def _check_hours(value: int) -> int:
    if not 1 <= value <= MAX_RESOLVE_HOURS:
        raise InvalidInput(
            f"Hours to resolve must be 1 to {MAX_RESOLVE_HOURS}.", field="resolveWithinHours"
        )
    return value


async def _district_of_admin(actor: Actor) -> Area:
    """The district the actor runs as its district admin (Forbidden for anyone else)."""
    paths = actor.paths_for([Role.DISTRICT_ADMIN])
    if not paths:
        raise Forbidden("District admins set the work-order categories.")
    return await Area.get(path=paths[0])


async def create_category(
    *,
    actor: Actor | None,
    kind: WorkOrderKind,
    code: str,
    name: str,
    accept_within_minutes: int,
    resolve_within_hours: int,
) -> WorkOrderCategory:
    """Add a category to the actor's district (its district admins)."""
    actor = require_actor(actor)
    code = _check_code(code)
    name = clean_text(name, field="name", max_length=50)
    _check_minutes(accept_within_minutes)
    _check_hours(resolve_within_hours)
    district = await _district_of_admin(actor)
    if await WorkOrderCategory.exists(district_id=district.id, code=code):
        raise Conflict(f"The district already has a category {code}.", field="code")
    try:
        return await WorkOrderCategory.create(
            district_id=district.id,
            kind=kind,
            code=code,
            name=name,
            accept_within_minutes=accept_within_minutes,
            resolve_within_hours=resolve_within_hours,
            created_at=clock.now(),
        )
    except IntegrityError as exc:  # a concurrent create took the code (unique district+code)
        raise Conflict(f"The district already has a category {code}.", field="code") from exc


async def update_category(
    *,
    actor: Actor | None,
    category_id: int,
    name: str | None = None,
    accept_within_minutes: int | None = None,
    resolve_within_hours: int | None = None,
    active: bool | None = None,
) -> WorkOrderCategory:
    """Rename a category, change its service level (for orders placed from now on) or retire
    it (`active` false: no new orders; existing ones keep it). Only the fields given change."""
    actor = require_actor(actor)
    category = await WorkOrderCategory.get_or_none(id=category_id)
    if category is None:
        raise NotFound("No such category.", field="categoryId")
    if not any(
        g.role is Role.DISTRICT_ADMIN and g.area_id == category.district_id for g in actor.grants
    ):
        raise Forbidden("The district's admins change its categories.", field="categoryId")
    updates: dict[str, object] = {}
    if name is not None:
        updates["name"] = clean_text(name, field="name", max_length=50)
    if accept_within_minutes is not None:
        updates["accept_within_minutes"] = _check_minutes(accept_within_minutes)
    if resolve_within_hours is not None:
        updates["resolve_within_hours"] = _check_hours(resolve_within_hours)
    if active is not None:
        updates["active"] = active
    if updates:
        await WorkOrderCategory.filter(id=category.id).update(**updates)
    return await WorkOrderCategory.get(id=category.id)


# The most categories one listing returns (a district keeps a few dozen): a bound the API's
# cost estimate relies on (`workOrderCategories`).
CATEGORIES_LIMIT = 200


async def list_categories(
    *, kind: WorkOrderKind | None, district_id: int | None, include_inactive: bool = False
) -> list[WorkOrderCategory]:
    """Categories (public: residents pick one when they place an order), by kind and code; at
    most CATEGORIES_LIMIT."""
    query = WorkOrderCategory.all()
    if kind is not None:
        query = query.filter(kind=kind)
    if district_id is not None:
        query = query.filter(district_id=district_id)
    if not include_inactive:
        query = query.filter(active=True)
    return await query.order_by("kind", "code").limit(CATEGORIES_LIMIT)


async def categories_for(
    *,
    actor: Actor | None,
    kind: WorkOrderKind | None,
    area_id: int | None,
    include_inactive: bool = False,
) -> list[WorkOrderCategory]:
    """The categories of the district of `area_id`, else of the actor's district (where they
    live, else where they hold a role), else of every district."""
    district: int | None = None
    if area_id is not None:
        area = await Area.get_or_none(id=area_id)
        if area is None:
            raise NotFound("No such area.", field="areaId")
        district = int(district_path(area.path).strip("/"))
    elif actor is not None:
        home = actor.household_path or next(
            (g.area_path for g in actor.grants if g.area_path), None
        )
        district = int(district_path(home).strip("/")) if home else None
    return await list_categories(kind=kind, district_id=district, include_inactive=include_inactive)


async def categories_by_ids(*, category_ids: list[int]) -> list[WorkOrderCategory | None]:
    """Categories for the ids, in order (None where missing); one query."""
    found = {c.id: c for c in await WorkOrderCategory.filter(id__in=category_ids)}
    return [found.get(i) for i in category_ids]


async def category_for(code: str, kind: WorkOrderKind, area_path: str) -> WorkOrderCategory:
    """The active category of `kind` with `code` in the district of `area_path`."""
    district = int(district_path(area_path).strip("/"))
    category = await WorkOrderCategory.get_or_none(
        district_id=district, code=code.strip().upper(), active=True
    )
    if category is None or category.kind is not kind:
        raise InvalidInput(f"No such {kind.value} category here: {code!r}.", field="category")
    return category
