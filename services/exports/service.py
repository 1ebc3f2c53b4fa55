"""The export service: one entrance for the command line and the API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from services.enums import AreaLevel, ExportFormat, ExportKind, Role
from services.errors import NotFound
from services.exports.kinds import Options, build
from services.exports.writing import write_table
from services.grids.areas import area_by_code
from services.kit import clock
from services.kit.auth import Actor, RoleGrant, require_actor
from services.kit.media import delete_media, is_media_path, list_media, media_store
from services.kit.media_store import LocalStore
from services.kit.paths import district_path
from services.kit.settings import get_settings
from services.models import Area

logger = logging.getLogger("gridpoints.exports")

EXPORT_DIR = "exports"

EXPORT_MARGIN_SECONDS = 600
"""How long an export file outlives its download link (MEDIA_URL_TTL_SECONDS): a download
begun just before the link expired still finds it."""


@dataclass(frozen=True)
class ExportResult:
    """A written export: where it lies (its path in the media store), the name to download it as,
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
    file below exports/ in the media store; refused (before anything is read or written) outside the
    actor's scope."""
    actor = require_actor(actor)
    area = await area_for(under)
    table = await build(kind, actor, area, options or Options())
    await delete_expired_exports()
    day = clock.today()
    # A folder per export named by when it was made (for delete_expired_exports) and a random
    # part: download URLs cannot be guessed from another's.
    made = int(clock.now().timestamp())
    folder = f"{made}-{secrets.token_hex(8)}"
    relative = f"{EXPORT_DIR}/{day.isoformat()}/{folder}/{kind.value.lower()}"
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


def _made_at(folder: Path) -> float | None:
    """When the export in `folder` was made: from its name (<unix seconds>-<random>), else (a
    folder of an older layout) from the file system."""
    stamp, dash, _ = folder.name.partition("-")
    if dash and stamp.isdigit():
        return float(stamp)
    try:
        return folder.stat().st_mtime
    except OSError:
        return None


def _sweep(root: Path, before: float, today: str) -> int:
    deleted = 0
    for day in sorted(root.iterdir()):
        if not day.is_dir():
            continue
        for folder in sorted(day.iterdir()):
            made = _made_at(folder)
            if made is None or made >= before:
                continue
            if folder.is_dir():
                deleted += sum(1 for p in folder.rglob("*") if p.is_file())
                # Another instance may sweep at the same time: what is gone is gone.
                shutil.rmtree(folder, ignore_errors=True)
            else:
                folder.unlink(missing_ok=True)
                deleted += 1
        if day.name < today:  # today's folder may be in use by an export being made
            with contextlib.suppress(OSError):
                day.rmdir()  # only if empty
    return deleted


async def _sweep_store(before: float) -> int:
    """The sweep on a store without folders (S3): every file under exports/ whose export
    folder was made before `before` (by its name, else by when the file was written)."""
    deleted = 0
    for item in await list_media(EXPORT_DIR):
        parts = item.relative.split("/")  # exports/<day>/<made>-<random>/<file>
        made: float = item.modified
        if len(parts) >= 4:
            stamp, dash, _ = parts[2].partition("-")
            if dash and stamp.isdigit():
                made = float(stamp)
        if made < before:
            # One odd key (a folder marker "exports/<day>/", a "//") or one failed delete
            # must not stop the sweep: the other expired exports hold personal data.
            if not is_media_path(item.relative):
                logger.warning("not an export file, left in the store: %r", item.relative)
                continue
            try:
                await delete_media(item.relative)
            except Exception:
                logger.exception("deleting the expired export %s failed", item.relative)
                continue
            deleted += 1
    return deleted


async def delete_expired_exports() -> int:
    """Delete the export files (exports/... in the media store) whose download link has
    expired, with a margin (MEDIA_URL_TTL_SECONDS + EXPORT_MARGIN_SECONDS after they were made,
    on the service clock); how many files went. A periodic job (api/jobs.py), and run before
    each export. Safe on several instances at once."""
    keep = get_settings().media_url_ttl_seconds + EXPORT_MARGIN_SECONDS
    before = clock.now().timestamp() - keep
    store = media_store()
    try:
        if not isinstance(store, LocalStore):
            return await _sweep_store(before)
        root = store.path(PurePosixPath(EXPORT_DIR))
        if not root.is_dir():
            return 0
        return await asyncio.to_thread(_sweep, root, before, clock.today().isoformat())
    except Exception:
        # Never fail an export (or the other jobs) for a file that will go next round.
        logger.exception("deleting expired exports failed")
        return 0
