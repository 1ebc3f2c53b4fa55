"""`python -m bench.exports [--sizes 10000 100000] [--format xlsx]`: peak memory of an export.

For each size, a child process builds a fresh SQLite database with that many households in one
community (bulk inserts, no services: only the export is measured), exports them (HOUSEHOLDS,
CSV or XLSX) and reports the peak of the Python heap during the export (tracemalloc, which
also slows it: the seconds are not a speed figure), its peak resident set (ru_maxrss) before
and after the export, and the rows. Memory is flat when the 100,000-row export peaks about where the
10,000-row one does: rows are read a page at a time and streamed to the file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

BATCH = 1000


async def _child(size: int, fmt: str, folder: Path) -> dict[str, float]:
    from services.enums import AreaLevel, ExportFormat, ExportKind
    from services.exports import export
    from services.exports.service import system_actor
    from services.kit import clock, db
    from services.models import Area, Household

    await db.init(f"sqlite:///{folder / 'bench.sqlite3'}", run_migrations=True)
    try:
        district = await Area.create(name="基准区", level=AreaLevel.DISTRICT, path="/1/", code="B")
        street = await Area.create(
            name="基准街道", level=AreaLevel.STREET, parent=district, path="/1/2/", code="B001"
        )
        community = await Area.create(
            name="基准社区",
            level=AreaLevel.COMMUNITY,
            parent=street,
            path="/1/2/3/",
            code="B001001",
        )
        for start in range(0, size, BATCH):
            await Household.bulk_create(
                [
                    Household(
                        community_id=community.id,
                        path=community.path,
                        number=f"H{i:07d}",
                        address=f"基准路{i // 24 + 1}号",
                        building=str(i // 24 + 1),
                        unit=str(i % 24 // 12 + 1),
                        room=f"{i % 12 // 2 + 1}0{i % 2 + 1}",
                        member_count=3,
                        created_at=clock.now(),
                    )
                    for i in range(start, min(size, start + BATCH))
                ]
            )
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        actor = await system_actor(community)
        tracemalloc.start()
        started = time.perf_counter()
        result = await export(
            actor=actor,
            kind=ExportKind.HOUSEHOLDS,
            under=community.id,
            format=ExportFormat(fmt.upper()),
        )
        seconds = time.perf_counter() - started
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        await db.close()
    return {
        "rows": result.rows,
        "seconds": round(seconds, 2),
        "peak_rss_mib_before": round(before / 1024, 1),
        "peak_rss_mib_after": round(after / 1024, 1),
        "traced_peak_mib": round(traced_peak / 2**20, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.exports", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        with tempfile.TemporaryDirectory() as folder:
            os.environ["MEDIA_DIR"] = str(Path(folder) / "media")
            figures = asyncio.run(_child(args.child, args.format, Path(folder)))
        print(json.dumps(figures))
        return 0
    print(
        "| households | format | seconds (traced) | Python heap peak during export "
        "| peak RSS before export | peak RSS after |"
    )
    print("|---:|---|---:|---:|---:|---:|")
    for size in args.sizes:
        out = (
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.exports",
                    "--child",
                    str(size),
                    "--format",
                    args.format,
                ],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "ENVIRONMENT": "dev", "LOG_LEVEL": "WARNING"},
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        f = json.loads(out)
        print(
            f"| {int(f['rows']):,} | {args.format} | {f['seconds']} | {f['traced_peak_mib']} MiB | "
            f"{f['peak_rss_mib_before']} MiB | {f['peak_rss_mib_after']} MiB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
