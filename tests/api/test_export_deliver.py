"""`python -m api export --output FILE` moves the file out of MEDIA_DIR on any file system."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from api.__main__ import deliver


async def test_output_on_another_disk(
    media_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an export under MEDIA_DIR, and an output a rename cannot reach (another disk)
    relative = "exports/2026-01-01/1-abc/people.csv"
    written = media_dir / relative
    written.parent.mkdir(parents=True)
    written.write_bytes(b"data")
    output = tmp_path / "elsewhere" / "people.csv"

    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "rename", cross_device)
    # when it is delivered
    assert await deliver(relative, output) == output
    # then the file is there (copied), and gone from MEDIA_DIR with its folder
    assert output.read_bytes() == b"data"
    assert not written.exists() and not written.parent.exists()
