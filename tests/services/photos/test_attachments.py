"""Photos on problem reports, requests, resolved steps and activities: stored cleaned, counted,
and never left behind or half-recorded when something fails."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from tortoise.exceptions import OperationalError

from services import volunteering, workorders
from services.enums import WorkOrderAction
from services.errors import Forbidden, InvalidInput, InvalidTransition, NotFound
from services.kit import db as kit_db
from services.kit.media import media_path
from services.kit.settings import get_settings
from services.models import Photo, WorkOrder, WorkOrderEvent
from services.photos import attachments
from tests.conftest import Database, actor_for
from tests.services.photos.images import encoded, jpeg, opened
from tests.services.photos.test_processing import Chunks
from tests.services.volunteering_support import activity
from tests.services.workorders_support import PHOTO, act, micro_grid, report


@pytest.fixture(autouse=True)
def _own_media_dir(media_dir: Path) -> Path:
    """Each test writes its media into its own directory (tests.conftest.media_dir)."""
    return media_dir


def files_in(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


async def report_with(*uploads: bytes, links: list[str] | None = None) -> WorkOrder:
    return await workorders.report_problem(
        actor=await actor_for("rider"),
        category="SANITATION",
        area_id=(await micro_grid()).id,
        location="3 号楼东侧",
        description="垃圾满溢",
        photo_urls=links or [],
        photos=[Chunks(u) for u in uploads],
    )


class TestReportProblem:
    async def test_photos_are_stored_clean_with_thumbnails(
        self, db: Database, media_dir: Path
    ) -> None:
        # given a grid worker's report with a JPEG carrying GPS and a PNG
        order = await report_with(jpeg((640, 480)), encoded("PNG", (30, 20)), links=[PHOTO])

        # then both are recorded on the order, in order, and the links are kept
        photos = await Photo.filter(work_order_id=order.id).order_by("position")
        assert [(p.width, p.height, p.position) for p in photos] == [(640, 480, 0), (30, 20, 1)]
        assert order.photo_urls == [PHOTO]
        for photo in photos:
            assert photo.path.startswith("photos/2026/05/") and photo.path.endswith(".jpg")
            assert photo.work_order_event_id is None and photo.activity_id is None
            data = media_path(photo.path).read_bytes()
            assert photo.bytes == len(data) and photo.content_type == "image/jpeg"
            assert len(opened(data).getexif()) == 0 and b"GridCam" not in data
            assert max(opened(media_path(photo.thumbnail_path).read_bytes()).size) <= 320
        assert len(files_in(media_dir)) == 4

    async def test_uploads_and_links_count_together(self, db: Database, media_dir: Path) -> None:
        before = await WorkOrder.all().count()
        with pytest.raises(InvalidInput) as refused:
            await report_with(*[jpeg(gps=False)] * 2, links=[PHOTO] * 8)
        assert refused.value.field == "photos"
        assert await WorkOrder.all().count() == before
        assert files_in(media_dir) == []

    async def test_one_bad_photo_refuses_the_report_and_writes_nothing(
        self, db: Database, media_dir: Path
    ) -> None:
        before = await WorkOrder.all().count()
        with pytest.raises(InvalidInput):
            await report_with(jpeg(), encoded("GIF"))
        assert await WorkOrder.all().count() == before
        assert await Photo.all().count() == 0
        assert files_in(media_dir) == []

    async def test_a_failing_report_deletes_the_files_it_wrote(
        self, db: Database, media_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a report whose transaction fails after its photos were written and its order
        # row created (the photo rows cannot be written)
        before = await WorkOrder.all().count()
        seen: list[str] = []

        async def broken(written: list[attachments.SavedPhoto], **_: object) -> None:
            seen.extend(files_in(media_dir))
            raise RuntimeError("the database went away")

        monkeypatch.setattr(attachments, "record", broken)
        with pytest.raises(RuntimeError):
            await report_with(jpeg())
        # then the files were there during the transaction and are gone with it
        assert len(seen) == 2
        assert await WorkOrder.all().count() == before
        assert files_in(media_dir) == []

    async def test_a_failing_delete_neither_stops_the_clean_up_nor_hides_the_error(
        self, db: Database, media_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a report of two photos whose transaction fails, and a store that cannot
        # delete the first file it is asked to
        async def broken(written: list[attachments.SavedPhoto], **_: object) -> None:
            raise RuntimeError("the database went away")

        real = attachments.delete_media
        refused: list[str] = []

        async def flaky(relative: str) -> None:
            if not refused:
                refused.append(relative)
                raise OSError("the store said no")
            await real(relative)

        monkeypatch.setattr(attachments, "record", broken)
        monkeypatch.setattr(attachments, "delete_media", flaky)
        # when it is reported, then the caller sees the transaction's error, not the store's
        with pytest.raises(RuntimeError, match="the database went away"):
            await report_with(jpeg(), jpeg())
        # and every other file was deleted
        assert files_in(media_dir) == refused

    async def test_a_failing_delete_after_a_replay_still_answers(
        self, db: Database, media_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a report made once, and a store that now fails every delete
        async def send() -> WorkOrder:
            return await workorders.report_problem(
                actor=await actor_for("rider"),
                category="SANITATION",
                area_id=(await micro_grid()).id,
                location="3 号楼东侧",
                description="垃圾满溢",
                photo_urls=[],
                photos=[Chunks(jpeg())],
                idempotency_key="report-replayed-2",
            )

        first = await send()

        async def refuse(relative: str) -> None:
            raise OSError("the store said no")

        monkeypatch.setattr(attachments, "delete_media", refuse)
        # when the same call is replayed, then it answers with the first order all the same
        again = await send()
        assert again.id == first.id


class TestResolve:
    async def test_the_resolve_step_carries_the_result_photos(self, db: Database) -> None:
        order = await report(photos=[])
        order = await act("microgrid_leader", "accept", order)
        order = await act("microgrid_leader", "start", order)
        order = await act(
            "microgrid_leader", "resolve", order, note="已清运", photos=[Chunks(jpeg())]
        )
        step = await WorkOrderEvent.get(work_order_id=order.id, action=WorkOrderAction.RESOLVE)
        photos = await Photo.filter(work_order_event_id=step.id)
        assert len(photos) == 1 and photos[0].work_order_id == order.id
        # the order's own (given at submission): none; the step's: the one
        assert await attachments.photos_of_orders(work_order_ids=[order.id]) == [[]]
        (steps,) = await attachments.photos_of_steps(work_order_event_ids=[step.id])
        assert [p.id for p in steps] == [photos[0].id]

    async def test_a_refused_resolve_leaves_no_file(self, db: Database, media_dir: Path) -> None:
        order = await report(photos=[])
        # not accepted yet: resolving is refused after the photos were written
        with pytest.raises(InvalidTransition):
            await act("microgrid_leader", "resolve", order, note="x", photos=[Chunks(jpeg())])
        assert await Photo.all().count() == 0
        assert files_in(media_dir) == []


class TestActivityPhotos:
    async def test_organisers_add_photos_up_to_the_limit(
        self, db: Database, media_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "max_photos", 3)
        item = await activity(by="community_admin")
        organiser = await actor_for("community_admin")
        first = await volunteering.add_activity_photos(
            actor=organiser, activity_id=item.id, photos=[Chunks(jpeg()), Chunks(jpeg())]
        )
        more = await volunteering.add_activity_photos(
            actor=organiser, activity_id=item.id, photos=[Chunks(encoded("WEBP"))]
        )
        assert [p.position for p in first + more] == [0, 1, 2]
        with pytest.raises(InvalidInput):
            await volunteering.add_activity_photos(
                actor=organiser, activity_id=item.id, photos=[Chunks(jpeg())]
            )
        assert await Photo.filter(activity_id=item.id).count() == 3
        assert len(files_in(media_dir)) == 6

    async def test_others_may_not_add_photos(self, db: Database, media_dir: Path) -> None:
        item = await activity(by="community_admin")
        with pytest.raises(Forbidden):
            await volunteering.add_activity_photos(
                actor=await actor_for("resident"), activity_id=item.id, photos=[Chunks(jpeg())]
            )
        assert files_in(media_dir) == []


def never_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make decoding fail loudly: a refused caller must be refused before it."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("decoded before authorization")

    monkeypatch.setattr(attachments, "process", refuse)


class TestAuthorizedFirst:
    async def test_a_refused_report_decodes_nothing(
        self, db: Database, media_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        never_decode(monkeypatch)
        with pytest.raises(Forbidden):  # neither a grid worker nor living in the community
            await workorders.report_problem(
                actor=await actor_for("partner"),
                category="SANITATION",
                area_id=(await micro_grid()).id,
                location="3 号楼东侧",
                description="垃圾满溢",
                photo_urls=[],
                photos=[Chunks(jpeg())],
            )
        assert files_in(media_dir) == []

    async def test_a_refused_request_decodes_nothing(
        self, db: Database, media_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        never_decode(monkeypatch)
        with pytest.raises(Forbidden):  # the district admin lives in no household
            await workorders.place_order(
                actor=await actor_for("district_admin"),
                category="REPAIR",
                description="水管漏水",
                photos=[Chunks(jpeg())],
            )

    async def test_a_refused_resolve_decodes_nothing(
        self, db: Database, media_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        order = await report(photos=[])
        never_decode(monkeypatch)
        with pytest.raises((Forbidden, NotFound)):  # a partner is no party to the order
            await act("partner", "resolve", order, note="x", photos=[Chunks(jpeg())])
        with pytest.raises(InvalidTransition):  # not accepted yet
            await act("microgrid_leader", "resolve", order, note="x", photos=[Chunks(jpeg())])
        assert files_in(media_dir) == []


class TestBoundedDecoding:
    async def test_at_most_photo_decoders_at_once(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "photo_decoders", 2)
        real = attachments.process
        state = {"now": 0, "most": 0}
        lock = threading.Lock()
        gate = threading.Event()

        def counting(data: bytes, *, field: str) -> object:
            with lock:
                state["now"] += 1
                state["most"] = max(state["most"], state["now"])
            gate.wait(0.2)  # let the others pile up if nothing holds them back
            try:
                return real(data, field=field)
            finally:
                with lock:
                    state["now"] -= 1

        monkeypatch.setattr(attachments, "process", counting)
        done = await asyncio.gather(*[attachments.prepare([Chunks(jpeg())]) for _ in range(5)])
        assert len(done) == 5 and 1 <= state["most"] <= 2


class TestIdempotentPathLeavesNoOrphans:
    async def test_a_retried_attempt_keeps_only_the_recorded_files(
        self, db: Database, media_dir: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given an idempotent report whose first attempt loses its transaction at the end
        # (SQLite busy), so the attempt runs again
        real_execute = kit_db.execute
        failures = {"left": 1}

        async def flaky(sql: str, params: list[Any]) -> list[dict[str, Any]]:
            # The record's result is set last, just before the commit.
            if sql.startswith("UPDATE idempotency_record") and failures["left"]:
                failures["left"] -= 1
                raise OperationalError("database is locked")
            return await real_execute(sql, params)

        monkeypatch.setattr(kit_db, "execute", flaky)
        order = await workorders.report_problem(
            actor=await actor_for("rider"),
            category="SANITATION",
            area_id=(await micro_grid()).id,
            location="3 号楼东侧",
            description="垃圾满溢",
            photo_urls=[],
            photos=[Chunks(jpeg())],
            idempotency_key="report-retried-1",
        )
        assert failures["left"] == 0
        # then the files are exactly those the order's photo rows name
        photos = await Photo.filter(work_order_id=order.id)
        named = sorted(p for photo in photos for p in (photo.path, photo.thumbnail_path))
        assert len(photos) == 1 and files_in(media_dir) == named

    async def test_a_replay_leaves_no_second_set(self, db: Database, media_dir: Path) -> None:
        async def send() -> WorkOrder:
            return await workorders.report_problem(
                actor=await actor_for("rider"),
                category="SANITATION",
                area_id=(await micro_grid()).id,
                location="3 号楼东侧",
                description="垃圾满溢",
                photo_urls=[],
                photos=[Chunks(jpeg())],
                idempotency_key="report-replayed-1",
            )

        first, again = await send(), await send()
        assert first.id == again.id
        assert len(files_in(media_dir)) == 2
