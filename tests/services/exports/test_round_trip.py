"""An export imports back with no errors and no change (services.exports → services.imports):
the same columns, the same cell formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from seed.demo import DEMO_COMMUNITY
from services import exports, imports
from services.enums import ExportFormat, ExportKind, ImportKind, ImportStatus
from services.exports import Options
from services.exports.writing import export_file
from services.models import Area, ImportRowError
from tests.conftest import Database, actor_for
from tests.services.exports.support import number_households

KINDS = [
    (ExportKind.AREAS, ImportKind.AREAS),
    (ExportKind.HOUSEHOLDS, ImportKind.HOUSEHOLDS),
    (ExportKind.PEOPLE, ImportKind.PEOPLE),
    (ExportKind.ROLES, ImportKind.ROLES),
]


@pytest.mark.parametrize("format", [ExportFormat.CSV, ExportFormat.XLSX])
async def test_exports_import_back_unchanged(
    db: Database, media_dir: Path, format: ExportFormat
) -> None:
    # given the demo community, its households numbered (户号) as an import would leave them
    community = await Area.get(name=DEMO_COMMUNITY)
    await number_households(community)
    admin = await actor_for("community_admin")
    for export_kind, import_kind in KINDS:
        # when each kind is exported (phones in full: they are the people's keys) ...
        result = await exports.export(
            actor=admin,
            kind=export_kind,
            under=community.id,
            format=format,
            options=Options(unmasked_phones=True),
        )
        assert result.rows > 0, export_kind
        # ... and the file is imported back, dry
        job = await imports.import_file(
            actor=admin, kind=import_kind, path=export_file(result.path), dry_run=True
        )
        # then there is no problem, and nothing would change
        problems = await ImportRowError.filter(job_id=job.id).limit(5).values()
        assert job.status is ImportStatus.DRY_RUN_DONE, (export_kind, problems)
        assert job.rows_total == result.rows
        assert (job.created, job.updated, job.unchanged) == (0, 0, result.rows), export_kind
