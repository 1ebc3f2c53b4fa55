"""`python -m bench photos`: peak memory of processing one large photo (services.photos.processing).

For each case (a 6000×4000 JPEG upright, the same turned by EXIF orientation 6, a 4000×3000 PNG)
the input is written once to a temp dir; then a fresh process per case reads it, notes its peak
RSS, runs `process()` once and prints:

- peak RSS added by `process()` (VmHWM of /proc/self/status, reset just before the call, above
  the RSS the process had then): what the machine sees, Pillow's pixel buffers included;
- tracemalloc's peak: the Python heap only (the input and output bytes, BytesIO buffers).
  Pillow allocates pixels with its own C allocator, which tracemalloc does not see, so the RSS
  figure is the one that tells how many full-size images were held at once;
- seconds for the call.

Pillow holds an RGB image in 4 bytes a pixel: a 6000×4000 photo is 91.6 MiB of pixels, and the
RSS figure divided by that is the number of full-size images held at the peak. The encoder's
work space counts too: with optimize=True (Huffman tables fitted to the photo, a smaller file)
libjpeg keeps the whole photo's DCT coefficients, about 0.75 of a full-size image.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from PIL import Image

CASES = {
    "jpeg": ("JPEG", (6000, 4000), None),
    "jpeg-rotated": ("JPEG", (6000, 4000), 6),
    "png": ("PNG", (4000, 3000), None),
}
MIB = 1024 * 1024


def _status_mib(field: str) -> float:
    """A figure of /proc/self/status (VmRSS, VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    raise LookupError(field)


def _reset_peak_rss() -> None:
    """Set this process's RSS high-water mark (VmHWM) to its current RSS (Linux >= 4.0).
    getrusage's ru_maxrss cannot be reset, and after fork and exec it still holds the parent's
    peak (the parent built the input image)."""
    Path("/proc/self/clear_refs").write_text("5")


def write_input(folder: Path, case: str) -> Path:
    """A photo-like image (gradients and noise, so it compresses as a photo does)."""
    fmt, size, orientation = CASES[case]
    base = Image.linear_gradient("L").resize(size)
    noise = Image.effect_noise(size, 40)
    image = Image.merge(
        "RGB", (base, Image.radial_gradient("L").resize(size), Image.blend(base, noise, 0.5))
    )
    out = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(out, format=fmt, quality=92, exif=exif)
    else:
        image.save(out, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    path = folder / f"{case}.{fmt.lower()}"
    path.write_bytes(out.getvalue())
    return path


def run_one(case: str, path: Path) -> None:
    """Process the file once in this process and print one row of the table."""
    from services.photos.processing import process

    data = path.read_bytes()
    _reset_peak_rss()
    before = _status_mib("VmRSS")
    tracemalloc.start()
    started = time.perf_counter()
    photo = process(data)
    seconds = time.perf_counter() - started
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    added = _status_mib("VmHWM") - before
    _, size, _ = CASES[case]
    pixels = size[0] * size[1] * 4 / MIB  # Pillow's RGB is 4 bytes a pixel
    print(
        f"| {case} | {size[0]}×{size[1]} | {len(data) / MIB:.1f} MiB "
        f"| {added:.0f} MiB ({added / pixels:.1f}×) | {heap_peak / MIB:.1f} MiB "
        f"| {seconds:.2f} s | {photo.width}×{photo.height} |",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point: each case in its own process (peak RSS is per process)."""
    parser = argparse.ArgumentParser(prog="python -m bench photos")
    parser.add_argument("--cases", default=",".join(CASES), help="which cases (all)")
    parser.add_argument("--one", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        run_one(args.one[0], Path(args.one[1]))
        return 0
    print(
        "| case | size | file | peak RSS added (× full-size image) | tracemalloc peak "
        "| time | stored size |"
    )
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-photos-") as tmp:
        for case in args.cases.split(","):
            path = write_input(Path(tmp), case)
            done = subprocess.run(
                [sys.executable, "-m", "bench", "photos", "--one", case, str(path)], check=False
            )
            if done.returncode:
                return done.returncode
    return 0
