"""`python -m bench imports`: bulk import (批量导入) at a district's scale, on SQLite.

For each size (default 10,000 and 100,000 households, three people each) a fresh process
builds a fresh SQLite database in a temp dir, imports a net of 1 district, 2 streets, 10
communities, 100 grids and 1,000 micro-grids (an AREAS file), then writes a households CSV
and a people CSV (GB18030, as Chinese Excel saves) and imports each through the service the
command line uses. It prints seconds and peak RSS (resource.getrusage, so per process) after
each import. Memory is bounded when the 100,000 run's peak is not ten times the 10,000 run's:
rows are streamed, only the keys (household numbers, phones) are held.

Target: 100,000 households + 300,000 people in under 60 s together.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from services.enums import ImportKind, ImportStatus
from services.imports import import_file
from services.imports.columns import headers
from services.kit import db

STREETS, COMMUNITIES, GRIDS, MICROS = 2, 5, 10, 10  # per parent: 2 × 5 × 10 × 10 = 1,000 micros


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def write_files(folder: Path, households: int, seed: int = 16) -> tuple[Path, Path, Path]:
    """The areas, households and people files (people: three per household)."""
    rng = random.Random(seed)
    areas, micros = folder / "areas.csv", []
    with areas.open("w", encoding="utf-8-sig", newline="") as stream:
        out = csv.writer(stream)
        out.writerow(headers(ImportKind.AREAS))
        out.writerow(["B", "基准区", "区", "", "", "", ""])
        for s in range(STREETS):
            street = f"B{s}"
            out.writerow([street, f"街道{s}", "街道", "B", "", "", ""])
            for c in range(COMMUNITIES):
                community = f"{street}-{c}"
                out.writerow([community, f"社区{c}", "社区", street, "", "", ""])
                for g in range(GRIDS):
                    grid = f"{community}-{g}"
                    out.writerow([grid, f"网格{g}", "网格", community, "", "", ""])
                    for m in range(MICROS):
                        micro = f"{grid}-{m}"
                        out.writerow([micro, f"微网格{m}", "微网格", grid, "", "", ""])
                        micros.append((community, micro))
    homes, people = folder / "households.csv", folder / "people.csv"
    with homes.open("w", encoding="gb18030", newline="") as stream:
        out = csv.writer(stream)
        out.writerow(headers(ImportKind.HOUSEHOLDS))
        for i in range(households):
            community, micro = micros[i % len(micros)]
            out.writerow(
                [f"H{i:07d}", community, micro, f"幸福路{i}号", str(i % 30), "1", f"{i % 6}01", "3"]
            )
    surnames = "王李张刘陈杨赵黄周吴"
    with people.open("w", encoding="gb18030", newline="") as stream:
        out = csv.writer(stream)
        out.writerow(headers(ImportKind.PEOPLE))
        for i in range(households * 3):
            out.writerow(
                [
                    f"{rng.choice(surnames)}{i % 1000}",
                    f"+86 139-{i:08d}"[:16],
                    f"H{i // 3:07d}",
                    "是" if rng.random() < 0.1 else "否",
                    f"**************{i % 10000:04d}",
                ]
            )
    return areas, homes, people


async def run_one(households: int) -> None:
    """One size in this process: fresh database, import the three files, print the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as tmp:
        folder = Path(tmp)
        files = write_files(folder, households)
        await db.init(f"sqlite://{folder}/bench.sqlite3", run_migrations=True)
        try:
            total = 0.0
            for kind, path in zip(
                (ImportKind.AREAS, ImportKind.HOUSEHOLDS, ImportKind.PEOPLE), files, strict=True
            ):
                started = time.perf_counter()
                job = await import_file(actor=None, kind=kind, path=path)
                seconds = time.perf_counter() - started
                if kind is not ImportKind.AREAS:
                    total += seconds
                assert job.status is ImportStatus.SUCCEEDED, (job.status, job.error_count)
                print(
                    f"| {households:,} | {kind.value} | {job.rows_total:,} | {seconds:.1f} s "
                    f"| {job.rows_total / seconds:,.0f} rows/s | {_rss_mib():.0f} MiB |",
                    flush=True,
                )
            print(f"| {households:,} | households + people | | {total:.1f} s | | |", flush=True)
        finally:
            await db.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point: each size in its own process (peak RSS is per process)."""
    parser = argparse.ArgumentParser(prog="python -m bench imports")
    parser.add_argument("--sizes", default="10000,100000", help="households per run")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one is not None:
        asyncio.run(run_one(args.one))
        return 0
    print("| households | kind | rows | time | rate | peak RSS |")
    print("|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        done = subprocess.run(
            [sys.executable, "-m", "bench", "imports", "--one", str(size)], check=False
        )
        if done.returncode:
            return done.returncode
    return 0
