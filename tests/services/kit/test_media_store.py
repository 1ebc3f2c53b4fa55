"""The S3 media store (MEDIA_STORE=s3, services.kit.media_store) on moto's in-process S3: the
same promises as the disk (whole files or none, paths checked), and /media streams from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from services.errors import InvalidInput
from services.kit import clock, media_store
from services.kit.media import (
    delete_media,
    link_expiry,
    list_media,
    media_location,
    move_media_out,
    open_media,
    open_media_writer,
    save_media,
    signed_url,
)
from services.kit.media_store import CHUNK_BYTES, LocalStore, OpenedFile
from services.kit.settings import Settings
from tests.conftest import S3_TEST_BUCKET, S3_TEST_PREFIX, s3_keys
from tests.services.exports.support import files_under


class TestS3Store:
    async def test_save_read_delete(self, s3_media: Any, media_dir: Path) -> None:
        # when a file is saved
        await save_media("photos/2026/05/a.jpg", b"abc")
        # then it is an object under the prefix, and nothing is on the local disk
        head = s3_media.get_object(
            Bucket=S3_TEST_BUCKET, Key=f"{S3_TEST_PREFIX}/photos/2026/05/a.jpg"
        )
        assert head["Body"].read() == b"abc"
        assert files_under(media_dir) == []
        assert media_location("photos/2026/05/a.jpg") == (
            f"s3://{S3_TEST_BUCKET}/{S3_TEST_PREFIX}/photos/2026/05/a.jpg"
        )
        # and it reads back, listed under its folder
        opened = await open_media("photos/2026/05/a.jpg")
        assert isinstance(opened, OpenedFile) and opened.size == 3
        assert b"".join([chunk async for chunk in opened.chunks]) == b"abc"
        assert [f.relative for f in await list_media("photos")] == ["photos/2026/05/a.jpg"]
        # when it is deleted (twice: a missing file is no error)
        await delete_media("photos/2026/05/a.jpg")
        await delete_media("photos/2026/05/a.jpg")
        # then it is gone
        assert await open_media("photos/2026/05/a.jpg") is None
        assert s3_keys(s3_media) == []

    async def test_a_streamed_file_is_uploaded_whole_or_not_at_all(self, s3_media: Any) -> None:
        # a streamed write that fails leaves no object
        with pytest.raises(RuntimeError):
            async with open_media_writer("exports/b.csv") as out:
                out.write(b"half")
                raise RuntimeError("disk full")
        assert s3_keys(s3_media) == []
        # one that ends well is there whole, however many chunks it takes to read
        big = bytes(range(256)) * (CHUNK_BYTES // 256 * 2 + 3)
        async with open_media_writer("exports/c.csv") as out:
            out.write(big)
        assert s3_keys(s3_media) == ["exports/c.csv"]
        opened = await open_media("exports/c.csv")
        assert isinstance(opened, OpenedFile)
        chunks = [chunk async for chunk in opened.chunks]
        assert len(chunks) == 3 and b"".join(chunks) == big

    async def test_paths_outside_the_media_are_refused(self, s3_media: Any) -> None:
        for relative in ("../x", "/etc/passwd", "a//b"):
            with pytest.raises(InvalidInput):
                await save_media(relative, b"x")
        assert s3_keys(s3_media) == []

    async def test_moved_out_to_a_local_file(self, s3_media: Any, tmp_path: Path) -> None:
        await save_media("exports/2026-05-13/1-abc/people.csv", b"data")
        output = tmp_path / "out" / "people.csv"
        assert await move_media_out("exports/2026-05-13/1-abc/people.csv", output) == output
        assert output.read_bytes() == b"data" and s3_keys(s3_media) == []


class TestRoute:
    async def test_the_route_streams_a_linked_object(
        self, s3_media: Any, client: httpx.AsyncClient
    ) -> None:
        # given a file in S3 and a signed link to it
        await save_media("exports/2026/户籍 1.csv", "户号,地址\n".encode())
        url = signed_url("exports/2026/户籍 1.csv", filename="户籍_颜山社区.csv")
        # when it is fetched
        response = await client.get(url)
        # then the object comes, named, with the same headers as from the disk
        assert response.status_code == 200
        assert response.content == "户号,地址\n".encode()
        assert response.headers["content-length"] == str(len("户号,地址\n".encode()))
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment; filename*=utf-8''" in response.headers["content-disposition"]
        assert response.headers["cache-control"] == "private, no-store"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-content-type-options"] == "nosniff"
        # and after the link expired (on the service clock) it is refused
        expiry = link_expiry(url)
        assert expiry is not None
        with clock.frozen(expiry + timedelta(seconds=1)):
            assert (await client.get(url)).status_code == 403

    async def test_a_missing_object_is_404(self, s3_media: Any, client: httpx.AsyncClient) -> None:
        response = await client.get(signed_url("exports/gone.csv"))
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


class TestSettings:
    def test_local_is_the_default(self, media_dir: Path) -> None:
        from services.kit.media import media_store

        assert isinstance(media_store(), LocalStore)

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({}, "MEDIA_STORE=s3 needs S3_BUCKET"),
            ({"s3_bucket": " "}, "MEDIA_STORE=s3 needs S3_BUCKET"),
            ({"s3_bucket": "b", "s3_access_key_id": "k"}, "go together"),
            ({"s3_bucket": "b", "s3_endpoint_url": "minio:9000"}, "S3_ENDPOINT_URL"),
            ({"s3_bucket": "b", "s3_prefix": "a/../b"}, "S3_PREFIX"),
        ],
    )
    def test_a_bad_s3_setup_fails_at_start(self, values: dict[str, str], message: str) -> None:
        with pytest.raises(ValidationError, match=message):
            Settings(environment="test", media_store="s3", **values)  # type: ignore[arg-type]

    async def test_head_sends_the_headers_and_reads_no_byte(
        self, s3_media: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a file in S3, a signed link to it, and the chunks read from S3 counted
        await save_media("exports/2026/big.csv", b"x" * 100_000)
        url = signed_url("exports/2026/big.csv", filename="big.csv")
        read: list[int] = []
        real = media_store._chunks

        async def counted(body: Any) -> AsyncIterator[bytes]:
            async for chunk in real(body):
                read.append(len(chunk))
                yield chunk

        monkeypatch.setattr(media_store, "_chunks", counted)
        # when it is asked for with HEAD
        response = await client.head(url)
        # then the headers are those of a GET, and nothing of the object was read
        assert response.status_code == 200 and response.content == b""
        assert response.headers["content-length"] == "100000"
        assert response.headers["content-disposition"] == 'attachment; filename="big.csv"'
        assert response.headers["cache-control"] == "private, no-store"
        assert read == []
