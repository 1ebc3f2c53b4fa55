"""Photos attached to what they show: checked and cleaned before anything is written
(`prepare`), written to the media store before the owner's transaction (`saved`, which deletes
them again if anything after fails, so no row ever names a missing file and no failed call
leaves its files behind), recorded in that transaction (`record`), and read back for the
owners the caller has already shown the actor may see (`photos_of`)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from services.errors import InvalidInput
from services.kit import clock
from services.kit.media import delete_media, save_media, signed_url
from services.kit.settings import get_settings
from services.models import Photo
from services.photos.processing import PhotoUpload, ProcessedPhoto, process, read_limited

logger = logging.getLogger("gridpoints.photos")

FIELD = "photos"


@dataclass(frozen=True)
class SavedPhoto:
    """A cleaned photo written to the media store, not yet recorded."""

    photo: ProcessedPhoto
    path: str
    thumbnail_path: str


@dataclass(frozen=True)
class PhotoLinks:
    """Short-lived signed links to a photo and its thumbnail (services.kit.media)."""

    url: str
    thumbnail_url: str


def check_count(count: int, *, already: int = 0, field: str = FIELD) -> None:
    """At most max_photos photos on one report, step or activity (with those it has)."""
    limit = get_settings().max_photos
    if already + count > limit:
        raise InvalidInput(f"At most {limit} photos.", field=field)


async def prepare(
    uploads: Sequence[PhotoUpload], *, already: int = 0, field: str = FIELD
) -> list[ProcessedPhoto]:
    """Read and clean the uploads (count, size and pixel limits, type from the bytes), before
    any write: one bad photo refuses them all (InvalidInput)."""
    check_count(len(uploads), already=already, field=field)
    cleaned = []
    for upload in uploads:
        data = await read_limited(upload, field=field)
        # Decoding and re-encoding is CPU work and a full-size photo takes hundreds of MB:
        # off the event loop, and at most photo_decoders at once in this process.
        async with _decoders():
            cleaned.append(await asyncio.to_thread(process, data, field=field))
    return cleaned


# One semaphore per event loop (a semaphore belongs to the loop it first waits on), sized by
# photo_decoders when made.
_DECODERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[int, asyncio.Semaphore]]
_DECODERS = weakref.WeakKeyDictionary()


def _decoders() -> asyncio.Semaphore:
    """The semaphore bounding concurrent decodes in this process (settings.photo_decoders)."""
    size = get_settings().photo_decoders
    loop = asyncio.get_running_loop()
    made = _DECODERS.get(loop)
    if made is None or made[0] != size:
        made = (size, asyncio.Semaphore(size))
        _DECODERS[loop] = made
    return made[1]


def _new_path() -> str:
    moment = clock.now().astimezone(get_settings().tz)
    return f"photos/{moment:%Y}/{moment:%m}/{secrets.token_urlsafe(18)}"


@asynccontextmanager
async def saved(photos: Sequence[ProcessedPhoto]) -> AsyncIterator[list[SavedPhoto]]:
    """Write the photos (under photos/<yyyy>/<mm>/<random>.jpg, the thumbnail beside them)
    for the block to record; if the block fails, the files are deleted again."""
    written: list[SavedPhoto] = []
    try:
        for photo in photos:
            stem = _new_path()
            item = SavedPhoto(photo, f"{stem}.jpg", f"{stem}.thumb.jpg")
            written.append(item)  # before writing: a half-done pair is deleted too
            await save_media(item.path, photo.data)
            await save_media(item.thumbnail_path, photo.thumbnail)
        yield written
    except BaseException:
        await discard(written)
        raise


async def recorded(written: Sequence[SavedPhoto]) -> bool:
    """Whether a photo row names the written files (after the recording transaction ended)."""
    return bool(written) and await Photo.filter(path=written[0].path).exists()


async def discard(written: Sequence[SavedPhoto]) -> None:
    """Delete written files (those that are there); never raises: a file the store fails to
    delete is logged and the others still go (the caller's own exception, or its successful
    result, is what counts)."""
    for item in written:
        for path in (item.path, item.thumbnail_path):
            try:
                await delete_media(path)
            except Exception:
                logger.exception("deleting the photo file %s failed: left behind", path)


async def record(
    written: Sequence[SavedPhoto],
    *,
    uploaded_by: int,
    work_order_id: int | None = None,
    work_order_event_id: int | None = None,
    activity_id: int | None = None,
    first_position: int = 0,
) -> list[Photo]:
    """The photo rows for written files (in the caller's transaction): on a work order (and
    maybe one step of it) or on an activity."""
    if (work_order_id is None) == (activity_id is None):
        raise ValueError("a photo belongs to a work order or an activity")
    if not written:
        return []
    moment = clock.now()
    rows = [
        Photo(
            work_order_id=work_order_id,
            work_order_event_id=work_order_event_id,
            activity_id=activity_id,
            position=first_position + index,
            path=item.path,
            thumbnail_path=item.thumbnail_path,
            content_type=item.photo.content_type,
            width=item.photo.width,
            height=item.photo.height,
            bytes=len(item.photo.data),
            uploaded_by_id=uploaded_by,
            created_at=moment,
        )
        for index, item in enumerate(written)
    ]
    await Photo.bulk_create(rows)
    return await Photo.filter(path__in=[item.path for item in written]).order_by("position")


def links(photo: Photo) -> PhotoLinks:
    """Fresh signed links to the photo and its thumbnail; hand them only to someone who may
    see what the photo is attached to. No file name in the token: served inline (shown in a
    browser or WebView, not downloaded)."""
    return PhotoLinks(
        url=signed_url(photo.path),
        thumbnail_url=signed_url(photo.thumbnail_path),
    )


# The most photos one owner shows (the highest MAX_PHOTOS allows): a bound the API's cost
# estimate relies on (`WorkOrder.photos`, `WorkOrderEvent.photos`, `VolunteerActivity.photos`).
PHOTOS_LIMIT = 50


async def _grouped(column: str, ids: Sequence[int], **extra: object) -> list[list[Photo]]:
    by_owner: dict[int, list[Photo]] = {i: [] for i in ids}
    query = Photo.filter(**{f"{column}__in": list(ids)}, **extra).order_by("position", "id")
    for photo in await query:
        owner = getattr(photo, column)
        by_owner[owner].append(photo)
    return [by_owner[i][:PHOTOS_LIMIT] for i in ids]


async def photos_of_orders(*, work_order_ids: Sequence[int]) -> list[list[Photo]]:
    """The photos given with each order at submission, in upload order (not its steps');
    one query. No authorization: read only through an order the actor sees."""
    return await _grouped("work_order_id", work_order_ids, work_order_event_id=None)


async def photos_of_steps(*, work_order_event_ids: Sequence[int]) -> list[list[Photo]]:
    """The photos of each step of an order's timeline (a resolution's result); one query.
    No authorization: read only through an order the actor sees."""
    return await _grouped("work_order_event_id", work_order_event_ids)


async def photos_of_activities(*, activity_ids: Sequence[int]) -> list[list[Photo]]:
    """The photos of each activity; one query (activities are public to signed-in users)."""
    return await _grouped("activity_id", activity_ids)
