"""Where the service's files (photos, exports) are kept: the local disk under MEDIA_DIR, or an
S3-compatible object store (AWS S3, MinIO, Aliyun OSS 阿里云, Tencent COS 腾讯云) when
MEDIA_STORE=s3. services.kit.media is the one entrance; this module holds the two stores.

Both keep the same promise: a file appears whole or not at all. The disk writes a temporary
file beside it and renames it; S3 stores an object only once its PUT (or multipart upload)
completed, and a streamed write goes to a local temporary file first. boto3 blocks, so each of
its calls runs in a worker thread: the event loop never waits on the network.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, TypeVar

from services.kit.settings import Settings

# Bytes read from an object per call while it is streamed to a reader.
CHUNK_BYTES = 256 * 1024

_T = TypeVar("_T")


@dataclass(frozen=True)
class StoredFile:
    """A file of the store: its path below the media root, and when it was last written
    (Unix seconds)."""

    relative: str
    modified: float


@dataclass(frozen=True)
class OpenedFile:
    """A file opened for reading: its size, when it was last written (Unix seconds), and its
    bytes a chunk at a time (the stream is closed when the iteration ends or is abandoned)."""

    size: int
    modified: float
    chunks: AsyncIterator[bytes]
    # Closes the stream without reading it (a HEAD request: the chunks never start, so
    # their own clean-up never runs).
    release: Callable[[], None] = lambda: None


class LocalStore:
    """Files on the local disk under `root` (MEDIA_DIR)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, relative: PurePosixPath) -> Path:
        """The file's place on disk."""
        return self.root.joinpath(*relative.parts)

    def location(self, relative: PurePosixPath) -> str:
        """Where the file is, for a person to read (its path on disk)."""
        return str(self.path(relative))

    @asynccontextmanager
    async def writer(self, relative: PurePosixPath) -> AsyncIterator[BinaryIO]:
        """A binary file to stream into; renamed into place when the block ends well, deleted
        otherwise."""
        target = self.path(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                yield out
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    async def save(self, relative: PurePosixPath, data: bytes) -> None:
        """Write the bytes as the file."""
        async with self.writer(relative) as out:
            out.write(data)

    async def delete(self, relative: PurePosixPath) -> None:
        """Remove the file if it is there."""
        self.path(relative).unlink(missing_ok=True)

    async def open(self, relative: PurePosixPath) -> Path | None:
        """The file on disk (served as it is, ranges and all), or None when there is none."""
        path = self.path(relative)
        return path if path.is_file() else None

    async def files(self, prefix: PurePosixPath) -> list[StoredFile]:
        """Every file below `prefix` (temporary files of writes under way aside)."""
        return await asyncio.to_thread(self._files, prefix)

    def _files(self, prefix: PurePosixPath) -> list[StoredFile]:
        root = self.path(prefix)
        found: list[StoredFile] = []
        if not root.is_dir():
            return found
        for path in sorted(root.rglob("*")):
            if path.name.startswith(".part-"):
                continue
            with contextlib.suppress(OSError):  # deleted meanwhile
                if path.is_file():
                    relative = path.relative_to(self.root).as_posix()
                    found.append(StoredFile(relative, path.stat().st_mtime))
        return found

    async def download(self, relative: PurePosixPath, output: Path) -> None:
        """Move the file to `output` (on any file system: across disks it is copied); the
        folder it leaves empty goes too."""
        written = self.path(relative)
        output.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.move, written, output)
        with contextlib.suppress(OSError):
            written.parent.rmdir()


class S3Store:
    """Objects in an S3-compatible bucket, their keys `<S3_PREFIX>/<path>`."""

    def __init__(self, settings: Settings) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        if not settings.s3_bucket:
            raise ValueError("MEDIA_STORE=s3 needs S3_BUCKET")
        self.bucket = settings.s3_bucket
        self.prefix = settings.s3_prefix.strip("/")
        # boto3 clients are thread-safe: one serves every worker thread.
        self.client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region or None,
            # Empty keys: boto3's own chain (AWS_* variables, a profile, an instance role).
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=settings.s3_secret_access_key or None,
            config=Config(
                s3={"addressing_style": settings.s3_addressing_style},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )
        # Above 8 MiB an upload goes in parts (each retried on its own); an S3 object is only
        # there once the last part is in.
        self.transfer = TransferConfig(multipart_threshold=8 * 1_048_576)

    def key(self, relative: PurePosixPath) -> str:
        """The object's key."""
        return f"{self.prefix}/{relative}" if self.prefix else str(relative)

    def location(self, relative: PurePosixPath) -> str:
        """Where the file is, for a person to read (an s3:// address)."""
        return f"s3://{self.bucket}/{self.key(relative)}"

    async def _call(self, function: Callable[..., _T], /, **kwargs: Any) -> _T:
        return await asyncio.to_thread(function, **kwargs)

    @asynccontextmanager
    async def writer(self, relative: PurePosixPath) -> AsyncIterator[BinaryIO]:
        """A local temporary file to stream into; uploaded when the block ends well (in parts
        when big), dropped otherwise."""
        with tempfile.TemporaryFile(prefix="gridpoints-media-") as out:
            yield out
            out.seek(0)
            await self._call(
                self.client.upload_fileobj,
                Fileobj=out,
                Bucket=self.bucket,
                Key=self.key(relative),
                Config=self.transfer,
            )

    async def save(self, relative: PurePosixPath, data: bytes) -> None:
        """Store the bytes as the object (one PUT)."""
        await self._call(
            self.client.put_object, Bucket=self.bucket, Key=self.key(relative), Body=data
        )

    async def delete(self, relative: PurePosixPath) -> None:
        """Remove the object (S3 deletes a missing key without complaint)."""
        await self._call(self.client.delete_object, Bucket=self.bucket, Key=self.key(relative))

    async def files(self, prefix: PurePosixPath) -> list[StoredFile]:
        """Every object below `prefix`."""
        return await asyncio.to_thread(self._files, prefix)

    def _files(self, prefix: PurePosixPath) -> list[StoredFile]:
        start = self.key(prefix) + "/"
        cut = len(self.prefix) + 1 if self.prefix else 0
        found: list[StoredFile] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=start
        ):
            for item in page.get("Contents", []):
                found.append(StoredFile(item["Key"][cut:], item["LastModified"].timestamp()))
        return found

    async def open(self, relative: PurePosixPath) -> OpenedFile | None:
        """The object opened for reading, or None when there is none."""
        from botocore.exceptions import ClientError

        try:
            answer = await self._call(
                self.client.get_object, Bucket=self.bucket, Key=self.key(relative)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        body = answer["Body"]
        return OpenedFile(
            size=int(answer["ContentLength"]),
            modified=answer["LastModified"].timestamp(),
            chunks=_chunks(body),
            release=body.close,
        )

    async def download(self, relative: PurePosixPath, output: Path) -> None:
        """Copy the object to `output`, then delete it from the bucket."""
        output.parent.mkdir(parents=True, exist_ok=True)
        await self._call(
            self.client.download_file,
            Bucket=self.bucket,
            Key=self.key(relative),
            Filename=str(output),
            Config=self.transfer,
        )
        await self.delete(relative)


async def _chunks(body: Any) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(body.read, CHUNK_BYTES):
            yield chunk
    finally:
        body.close()


MediaStore = LocalStore | S3Store

_current: tuple[Settings, MediaStore] | None = None


def store_for(settings: Settings) -> MediaStore:
    """The store the settings choose (MEDIA_STORE), made once per settings object."""
    global _current
    if _current is None or _current[0] is not settings:
        store: MediaStore = (
            S3Store(settings)
            if settings.media_store == "s3"
            else LocalStore(Path(settings.media_dir))
        )
        _current = (settings, store)
    return _current[1]
