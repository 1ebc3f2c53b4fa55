"""The export service: one entrance for the command line and the API."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from services.enums import AreaLevel, ExportFormat, ExportKind, Role
from services.errors import NotFound
from services.exports.kinds import Options, build
from services.exports.writing import write_table
from services.grids.areas import area_by_code
from services.kit import clock
from services.kit.auth import Actor, RoleGrant, require_actor
from services.kit.paths import district_path
from services.models import Area

EXPORT_DIR = "exports"


@dataclass(frozen=True)
class ExportResult:
    """A written export: where it lies (relative to MEDIA_DIR), the name to download it as,
    and how many rows (headers aside) it holds."""

    path: str
    filename: str
    rows: int


async def area_for(under: int | str) -> Area:
    """The area `under` names: its id (an int) or the district's own code (a str)."""
    if isinstance(under, int):
        area = await Area.get_or_none(id=under)
        if area is None:
            raise NotFound("No such area.", field="under")
        return area
    return await area_by_code(code=under)


async def system_actor(area: Area) -> Actor:
    """The system acting as the admin of the district an area lies in (the command line)."""
    path = district_path(area.path)
    district = await Area.get(path=path)
    grant = RoleGrant(
        role=Role.DISTRICT_ADMIN,
        area_id=district.id,
        area_path=district.path,
        area_level=AreaLevel.DISTRICT,
    )
    return Actor(account_id=0, person_id=0, username="system", grants=(grant,))


def _safe(name: str) -> str:
    return "".join(c for c in name if c not in '\\/:*?"<>|\0').strip() or "export"


async def export(
    *,
    actor: Actor | None,
    kind: ExportKind,
    under: int | str,
    format: ExportFormat,
    options: Options | None = None,
) -> ExportResult:
    """Write the export of `kind` under the area `under` (its id, or its code) as a CSV or XLSX
    file below MEDIA_DIR/exports/; refused (before anything is read or written) outside the
    actor's scope."""
    actor = require_actor(actor)
    area = await area_for(under)
    table = await build(kind, actor, area, options or Options())
    day = clock.today()
    # A random folder per export: download URLs cannot be guessed from another's.
    relative = f"{EXPORT_DIR}/{day.isoformat()}/{secrets.token_hex(8)}/{kind.value.lower()}"
    relative += format.suffix
    rows = await write_table(
        relative=relative,
        format=format,
        title=table.title,
        headers=table.headers,
        rows=table.rows,
    )
    filename = f"{table.title}_{_safe(area.name)}_{day.isoformat()}{format.suffix}"
    return ExportResult(path=relative, filename=filename, rows=rows)
