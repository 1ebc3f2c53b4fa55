"""GraphQL for photos (随手拍): the Photo type, read through what it is attached to (a work
order, one step of its timeline, an activity), and the uploads the mutations take."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, cast

import strawberry
from strawberry.file_uploads import Upload

from services import photos
from services.errors import InvalidInput

if TYPE_CHECKING:
    from services.models.photos import Photo as PhotoModel

PHOTOS_DESCRIPTION = (
    "Photos (JPEG, PNG or WebP, each at most MAX_PHOTO_BYTES, 10 MiB by default; at most "
    "MAX_PHOTOS, 9 by default), sent as files by the GraphQL multipart request spec. They are "
    "stored cleaned: upright, re-encoded as JPEG without EXIF (no GPS position), with a "
    "thumbnail."
)


@strawberry.type(
    description="A photo (随手拍), stored cleaned (upright, JPEG, without EXIF or GPS). Reached "
    "only through the work order, step or activity it belongs to, so only by those who may "
    "see that; its links are signed and work for MEDIA_URL_TTL_SECONDS (10 minutes by "
    "default): ask again for fresh ones."
)
class Photo:
    url: str = strawberry.field(
        description="A short-lived signed link to the photo (GET; no sign-in needed while it "
        "lasts)."
    )
    thumbnail_url: str = strawberry.field(
        description="A short-lived signed link to its thumbnail (320 px on the long side)."
    )
    content_type: str = strawberry.field(description="The stored file's type (image/jpeg).")
    width: int = strawberry.field(description="Width in pixels, upright.")
    height: int = strawberry.field(description="Height in pixels, upright.")
    bytes: int = strawberry.field(description="Size of the stored file.")
    created_at: datetime = strawberry.field(description="When it was uploaded.")

    @classmethod
    def from_model(cls, p: PhotoModel) -> Photo:
        signed = photos.links(p)
        return cls(
            url=signed.url,
            thumbnail_url=signed.thumbnail_url,
            content_type=p.content_type,
            width=p.width,
            height=p.height,
            bytes=p.bytes,
            created_at=p.created_at,
        )


def from_models(rows: Sequence[PhotoModel]) -> list[Photo]:
    """The GraphQL photos of rows, with fresh links."""
    return [Photo.from_model(p) for p in rows]


def uploads(files: Sequence[Upload] | None) -> list[photos.PhotoUpload]:
    """The uploaded files as the services read them. Strawberry types `Upload` as bytes; the
    multipart transport (api.graphql_multipart) hands over Starlette UploadFiles, which
    read in chunks."""
    found = list(files or ())
    if any(not hasattr(f, "read") for f in found):
        # a JSON request can put any value where a file goes; only multipart carries files
        raise InvalidInput("Send photos as files (a multipart request).", field="photos")
    return [cast("photos.PhotoUpload", f) for f in found]
