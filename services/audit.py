"""The audit log (审计记录) as admins read it: who changed what and when, in their areas.
Entries are written by the services that make the changes (services.kit.audit)."""

from __future__ import annotations

from services.enums import AuditKind
from services.grids import get_area
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import in_subtree
from services.models import AuditEntry


async def audit_log(
    *, actor: Actor | None, under_id: int, kind: AuditKind | None, window: Window
) -> Page[AuditEntry]:
    """The entries of the area `under_id` and below, newest first (admins of that area)."""
    actor = require_actor(actor)
    area = await get_area(area_id=under_id)
    actor.require_admin_of(area.path, "read the audit log")
    query = AuditEntry.filter(in_subtree(area.path, "area_path"))
    if kind is not None:
        query = query.filter(kind=kind)
    return await paginate(query, window, newest_first=True)
