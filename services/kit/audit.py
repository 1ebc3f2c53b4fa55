"""The audit log (审计记录): services write one entry per change, inside the change's own
transaction (so an entry exists exactly when the change does), and admins read them back."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

from tortoise.models import Model

from services.enums import AuditKind
from services.kit import clock
from services.kit.auth import Actor
from services.models import AuditEntry

# The kinds, for the one-line calls of other domains (`audit.log(actor, audit.ROLE, ...)`).
POINTS, ROLE, RULE, POLICY = AuditKind.POINTS, AuditKind.ROLE, AuditKind.RULE, AuditKind.POLICY
REWARD, EVALUATION = AuditKind.REWARD, AuditKind.EVALUATION

# The largest value an entry keeps for one field (a long text is cut, the change stays seen).
MAX_VALUE = 500


def _plain(value: Any) -> Any:
    """A JSON value for a field (enums by value, times in ISO 8601, long text cut)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and len(value) > MAX_VALUE:
        return value[:MAX_VALUE] + "…"
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def snapshot(row: Model | None, *, exclude: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """The row's fields (without the primary key) as JSON values; None for no row."""
    if row is None:
        return None
    names = [n for n in row._meta.db_fields if n != row._meta.pk_attr and n not in exclude]
    return {name: _plain(getattr(row, name)) for name in sorted(names)}


def changed(
    before: dict[str, Any] | None, after: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Only the fields whose values differ (both sides), so an entry shows what changed."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


async def record(
    *,
    actor: Actor | None,
    kind: AuditKind,
    action: str,
    area_path: str,
    subject: Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one audit entry (call it inside the change's transaction). `after` defaults to
    the subject's fields as they are now; an update keeps only the fields that changed."""
    after = snapshot(subject) if after is None else after
    before, after = changed(before, after)
    return await AuditEntry.create(
        kind=kind,
        action=action,
        area_path=area_path,
        subject_type=type(subject).__name__,
        subject_id=str(subject.pk),
        actor_account_id=actor.account_id if actor else None,
        actor_person_id=actor.person_id if actor else None,
        before=before,
        after=after,
        created_at=clock.now(),
    )


async def log(
    actor: Actor | None,
    kind: AuditKind,
    action: str,
    subject: Model,
    *,
    reload: bool = False,
    area_path: str | None = None,
) -> AuditEntry:
    """`record` in one line for a row with an `area_path`: a new row as it is, or with
    `reload` a changed one (the fields of `subject` are the values before, the row as it is
    now in the database the values after)."""
    before = None
    if reload:
        before = snapshot(subject)
        subject = await type(subject).get(pk=subject.pk)
    path = area_path if area_path is not None else str(getattr(subject, "area_path", ""))
    return await record(
        actor=actor, kind=kind, action=action, area_path=path, subject=subject, before=before
    )
