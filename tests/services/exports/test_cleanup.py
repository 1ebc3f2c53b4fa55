"""Export files do not outlive their links: the periodic jobs (and every new export) delete
them MEDIA_URL_TTL_SECONDS + EXPORT_MARGIN_SECONDS after they were made, on the service clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api.jobs import JOBS
from seed.demo import DEMO_COMMUNITY
from services import exports
from services.enums import ExportFormat, ExportKind
from services.exports import service
from services.exports.service import EXPORT_MARGIN_SECONDS
from services.exports.writing import export_file
from services.kit import clock, jobs
from services.kit.media import save_media
from services.kit.settings import get_settings
from services.models import Area
from tests.conftest import S3_TEST_BUCKET, S3_TEST_PREFIX, TEST_NOW, Database, actor_for, s3_keys
from tests.services.exports.support import files_under


async def test_an_export_file_is_deleted_once_its_link_has_expired(
    db: Database, media_dir: Path
) -> None:
    # given an export made at TEST_NOW
    clock.freeze(TEST_NOW)
    admin = await actor_for("community_admin")
    community = await Area.get(name=DEMO_COMMUNITY)
    result = await exports.export(
        actor=admin, kind=ExportKind.HOUSEHOLDS, under=community.id, format=ExportFormat.CSV
    )
    path = export_file(result.path)
    keep = timedelta(seconds=get_settings().media_url_ttl_seconds + EXPORT_MARGIN_SECONDS)
    # when the periodic jobs run just before the link (and its margin) has run out
    clock.freeze(TEST_NOW + keep - timedelta(seconds=1))
    done = await jobs.run_once(JOBS)
    # then the file is still there
    assert done["export_files_deleted"] == 0 and path.is_file()
    # when they run once it has
    clock.freeze(TEST_NOW + keep + timedelta(seconds=1))
    done = await jobs.run_once(JOBS)
    # then the file (and its folders) are gone
    assert done["export_files_deleted"] == 1
    assert not path.exists() and files_under(media_dir / "exports") == []


async def test_a_new_export_deletes_the_expired_ones(db: Database, media_dir: Path) -> None:
    # given an export made at TEST_NOW
    clock.freeze(TEST_NOW)
    admin = await actor_for("community_admin")
    community = await Area.get(name=DEMO_COMMUNITY)
    old = await exports.export(
        actor=admin, kind=ExportKind.AREAS, under=community.id, format=ExportFormat.XLSX
    )
    # when another is made a day later (no job ran in between)
    clock.freeze(TEST_NOW + timedelta(days=1))
    new = await exports.export(
        actor=admin, kind=ExportKind.AREAS, under=community.id, format=ExportFormat.XLSX
    )
    # then only the new one is left
    assert files_under(media_dir / "exports") == [export_file(new.path)]
    assert not export_file(old.path).exists()


async def test_in_s3_the_job_deletes_the_expired_objects(db: Database, s3_media: Any) -> None:
    # given MEDIA_STORE=s3 and two exports, a day apart
    clock.freeze(TEST_NOW)
    admin = await actor_for("community_admin")
    community = await Area.get(name=DEMO_COMMUNITY)
    old = await exports.export(
        actor=admin, kind=ExportKind.AREAS, under=community.id, format=ExportFormat.CSV
    )
    clock.freeze(TEST_NOW + timedelta(days=1))
    new = await exports.export(
        actor=admin, kind=ExportKind.HOUSEHOLDS, under=community.id, format=ExportFormat.XLSX
    )
    # (the second export swept the first already: put an expired one back)
    await save_media(old.path, b"old")
    assert s3_keys(s3_media) == sorted([old.path, new.path])
    # when the periodic jobs run before the new one's link (and margin) ran out
    done = await jobs.run_once(JOBS)
    # then only the expired object went
    assert done["export_files_deleted"] == 1
    assert s3_keys(s3_media) == [new.path]
    # and once the new one's time is up, it goes too
    keep = timedelta(seconds=get_settings().media_url_ttl_seconds + EXPORT_MARGIN_SECONDS)
    clock.freeze(TEST_NOW + timedelta(days=1) + keep + timedelta(seconds=1))
    done = await jobs.run_once(JOBS)
    assert done["export_files_deleted"] == 1 and s3_keys(s3_media) == []


async def test_in_s3_an_odd_key_or_a_failed_delete_stops_nothing(
    db: Database, s3_media: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three expired exports, and a folder marker (a key ending in "/") among them
    clock.freeze(TEST_NOW)
    made = int(TEST_NOW.timestamp())
    paths = [f"exports/{TEST_NOW.date()}/{made}-{n}/export.csv" for n in "abc"]
    for path in paths:
        await save_media(path, b"old")
    marker = f"exports/{TEST_NOW.date()}/{made}-a/"
    s3_media.put_object(Bucket=S3_TEST_BUCKET, Key=f"{S3_TEST_PREFIX}/{marker}", Body=b"")
    # and the store failing to delete the second
    real = service.delete_media

    async def failing(relative: str) -> None:
        if relative == paths[1]:
            raise OSError("the store said no")
        await real(relative)

    monkeypatch.setattr(service, "delete_media", failing)
    # when the sweep runs once their links have expired
    keep = timedelta(seconds=get_settings().media_url_ttl_seconds + EXPORT_MARGIN_SECONDS)
    clock.freeze(TEST_NOW + keep + timedelta(seconds=1))
    deleted = await service.delete_expired_exports()
    # then every other expired export went; the marker and the one that failed are left
    assert deleted == 2
    assert s3_keys(s3_media) == sorted([marker, paths[1]])
