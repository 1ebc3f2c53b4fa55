"""Files the service keeps (photos, exports) under MEDIA_DIR, and the short-lived signed links
by which they are fetched (GET /media/<path>?token=..., api/media.py).

A link is signed with the service's JWT secret (audience "media", so it is never taken for an
access token, nor an access token for it) and expires on the service clock; whoever holds an
unexpired link may fetch that one file. Links are only handed out by resolvers that have
checked the reader may see what the file belongs to.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import BinaryIO
from urllib.parse import quote

import jwt

from services.errors import InvalidInput
from services.kit import clock
from services.kit.settings import get_settings

MEDIA_AUDIENCE = "media"
MEDIA_ROUTE = "/media"


def media_root() -> Path:
    """The directory the files live under (MEDIA_DIR)."""
    return Path(get_settings().media_dir)


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


def media_path(relative: str) -> Path:
    """The file's place on disk; refuses absolute paths, `..` and empty parts (InvalidInput)."""
    return media_root().joinpath(*_relative(relative).parts)


async def save_media(relative: str, data: bytes) -> None:
    """Write the file whole: to a temporary file beside it, then renamed into place, so a
    reader never sees half a file."""
    with open_media_writer(relative) as out:
        out.write(data)


@contextmanager
def open_media_writer(relative: str) -> Iterator[BinaryIO]:
    """A binary file to stream the file into; it appears under `relative` only when the block
    ends without an error (written to a temporary file, then renamed), and not at all otherwise."""
    target = media_path(relative)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def delete_media(relative: str) -> None:
    """Remove the file if it is there."""
    media_path(relative).unlink(missing_ok=True)


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
