"""Files the service keeps (photos, exports) under MEDIA_DIR or in an S3-compatible store
(MEDIA_STORE: services.kit.media_store), and the short-lived signed links by which they are
fetched (GET /media/<path>?token=..., api/media.py).

A link is signed with the service's JWT secret (audience "media", so it is never taken for an
access token, nor an access token for it) and expires on the service clock; whoever holds an
unexpired link may fetch that one file. Links are only handed out by resolvers that have
checked the reader may see what the file belongs to.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import quote

import jwt

from services.errors import InvalidInput
from services.kit import clock
from services.kit.media_store import MediaStore, OpenedFile, StoredFile, store_for
from services.kit.settings import get_settings

MEDIA_AUDIENCE = "media"
MEDIA_ROUTE = "/media"


def media_root() -> Path:
    """The directory the files live under on the local disk (MEDIA_DIR)."""
    return Path(get_settings().media_dir)


def media_store() -> MediaStore:
    """The store the files are kept in: the local disk, or S3 (MEDIA_STORE)."""
    return store_for(get_settings())


def _relative(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if (
        not relative
        or path.is_absolute()
        or any(part in ("", ".", "..") for part in relative.split("/"))
        or "\\" in relative
        or "\x00" in relative
    ):
        raise InvalidInput("Not a file of the service's media.", field="path")
    return path


def is_media_path(relative: str) -> bool:
    """Is `relative` a path of the service's media (what every other function here takes)?"""
    try:
        _relative(relative)
    except InvalidInput:
        return False
    return True


def media_path(relative: str) -> Path:
    """The file's place on the local disk (MEDIA_DIR); refuses absolute paths, `..` and empty
    parts (InvalidInput)."""
    return media_root().joinpath(*_relative(relative).parts)


def media_location(relative: str) -> str:
    """Where the file is kept, for a person to read: a path on disk, or an s3:// address."""
    return media_store().location(_relative(relative))


async def save_media(relative: str, data: bytes) -> None:
    """Store the file whole: a reader never sees half a file (see open_media_writer)."""
    await media_store().save(_relative(relative), data)


def open_media_writer(relative: str) -> AbstractAsyncContextManager[BinaryIO]:
    """A binary file to stream the file into; it appears under `relative` only when the block
    ends without an error, and not at all otherwise (a temporary file renamed into place on
    disk; on S3 a local temporary file, uploaded once whole)."""
    return media_store().writer(_relative(relative))


async def delete_media(relative: str) -> None:
    """Remove the file if it is there."""
    await media_store().delete(_relative(relative))


async def list_media(prefix: str) -> list[StoredFile]:
    """Every file below the folder `prefix`."""
    return await media_store().files(_relative(prefix))


async def open_media(relative: str) -> Path | OpenedFile | None:
    """The file for reading: its path on the local disk, or an S3 object opened to stream;
    None when there is no such file."""
    return await media_store().open(_relative(relative))


async def move_media_out(relative: str, output: Path) -> Path:
    """Take the file out of the store into `output` (on any file system); `output`."""
    await media_store().download(_relative(relative), output)
    return output


def signed_url(
    relative: str, *, ttl_seconds: int | None = None, filename: str | None = None
) -> str:
    """A link to the file, valid for `ttl_seconds` (MEDIA_URL_TTL_SECONDS by default) on the
    service clock; `filename` is offered to the browser for saving (Content-Disposition)."""
    settings = get_settings()
    path = _relative(relative)
    ttl = settings.media_url_ttl_seconds if ttl_seconds is None else ttl_seconds
    expires = clock.now() + timedelta(seconds=ttl)
    claims: dict[str, object] = {
        "aud": MEDIA_AUDIENCE,
        "sub": str(path),
        "exp": int(expires.timestamp()),
    }
    if filename:
        claims["fn"] = filename
    token = jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)
    return f"{MEDIA_ROUTE}/{quote(str(path))}?token={token}"


def link_expiry(url: str) -> datetime | None:
    """When a link made by `signed_url` stops working (None if it is not one)."""
    claims = _claims(url.partition("?token=")[2])
    return datetime.fromtimestamp(int(str(claims["exp"])), UTC) if claims else None


def _claims(token: str) -> dict[str, object] | None:
    settings = get_settings()
    try:
        # Checked against the service clock below, not PyJWT's reading of the wall clock.
        claims: dict[str, object] = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            audience=MEDIA_AUDIENCE,
            options={"require": ["exp", "sub", "aud"], "verify_exp": False},
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    return claims


def check_media_token(relative: str, token: str) -> str | None:
    """None if the token does not open this file now; else the file name it offers ("" for
    none)."""
    claims = _claims(token)
    if claims is None or claims.get("sub") != relative:
        return None
    try:
        expires = datetime.fromtimestamp(int(str(claims["exp"])), UTC)
    except (ValueError, OverflowError, OSError):
        return None
    if expires <= clock.now():
        return None
    filename = claims.get("fn")
    return filename if isinstance(filename, str) else ""
