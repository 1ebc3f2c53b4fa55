"""Kept files and their signed links (services.kit.media, GET /media/... in api/media.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from services.errors import InvalidInput
from services.kit import clock
from services.kit.media import (
    check_media_token,
    delete_media,
    link_expiry,
    media_path,
    open_media_writer,
    save_media,
    signed_url,
)
from services.kit.settings import get_settings


def token_of(url: str) -> str:
    return url.partition("?token=")[2]


@pytest.mark.parametrize(
    "relative", ["", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\\\b", "a\\x00b"]
)
def test_paths_outside_the_media_are_refused(media_dir: Path, relative: str) -> None:
    with pytest.raises(InvalidInput):
        media_path(relative)


async def test_a_file_is_written_whole_or_not_at_all(media_dir: Path) -> None:
    # a file saved appears whole
    await save_media("photos/a.jpg", b"abc")
    assert (media_dir / "photos" / "a.jpg").read_bytes() == b"abc"
    # a streamed write that fails leaves nothing behind, not even its temporary file
    with pytest.raises(RuntimeError):
        async with open_media_writer("exports/b.csv") as out:
            out.write(b"half")
            raise RuntimeError("disk full")
    assert list((media_dir / "exports").iterdir()) == []
    await delete_media("photos/a.jpg")
    assert not (media_dir / "photos" / "a.jpg").exists()


def test_a_link_opens_its_file_until_it_expires(media_dir: Path) -> None:
    url = signed_url("exports/x.csv", ttl_seconds=60, filename="户籍.csv")
    assert url.startswith("/media/exports/x.csv?token=")
    token = token_of(url)
    assert check_media_token("exports/x.csv", token) == "户籍.csv"
    # another file's path, a forged token: refused
    assert check_media_token("exports/y.csv", token) is None
    forged = jwt.encode(
        {"aud": "media", "sub": "exports/x.csv", "exp": 2**40},
        "a-wrong-secret-that-is-long-enough-for-hs256",
    )
    assert check_media_token("exports/x.csv", forged) is None
    # on the service clock, not the wall clock
    expiry = link_expiry(url)
    assert expiry is not None
    with clock.frozen(expiry - timedelta(seconds=1)):
        assert check_media_token("exports/x.csv", token) == "户籍.csv"
    with clock.frozen(expiry):
        assert check_media_token("exports/x.csv", token) is None


def test_a_link_of_no_time_is_expired_at_once(media_dir: Path) -> None:
    # ttl_seconds=0 means no time at all, not the default
    with clock.frozen(clock.now()):
        url = signed_url("exports/x.csv", ttl_seconds=0)
        assert link_expiry(url) == clock.now().replace(microsecond=0)
        assert check_media_token("exports/x.csv", token_of(url)) is None
        default = signed_url("exports/x.csv")
        ttl = timedelta(seconds=get_settings().media_url_ttl_seconds)
        assert link_expiry(default) == clock.now().replace(microsecond=0) + ttl


def test_an_access_token_is_not_a_link(media_dir: Path) -> None:
    settings = get_settings()
    access = jwt.encode(
        {"sub": "exports/x.csv", "sid": "s", "exp": 2**40}, settings.jwt_secret, "HS256"
    )
    assert check_media_token("exports/x.csv", access) is None


async def test_the_route_serves_a_linked_file(client: httpx.AsyncClient, media_dir: Path) -> None:
    await save_media("exports/2026/户籍 1.csv", "户号,地址\n".encode())
    url = signed_url("exports/2026/户籍 1.csv", filename="户籍_颜山社区.csv")
    # the link downloads the file, named, never cached by a shared cache
    response = await client.get(url)
    assert response.status_code == 200
    assert response.content == "户号,地址\n".encode()
    assert "attachment" in response.headers["content-disposition"]
    assert "filename*=utf-8''" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "private, no-store"
    # the token in the URL is not passed on as a Referer
    assert response.headers["referrer-policy"] == "no-referrer"
    # without the token, with another file's token, or after it expired: refused
    assert (await client.get(url.partition("?")[0])).status_code == 403
    other = signed_url("exports/2026/other.csv")
    assert (
        await client.get(url.partition("?")[0] + "?" + other.partition("?")[2])
    ).status_code == 403
    expiry = link_expiry(url)
    assert expiry is not None
    with clock.frozen(expiry + timedelta(seconds=1)):
        refused = await client.get(url)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # a linked file that is gone is 404
    missing = signed_url("exports/gone.csv")
    assert (await client.get(missing)).status_code == 404
