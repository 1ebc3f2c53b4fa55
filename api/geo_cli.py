"""Command line of the map: `python -m api import-boundaries FILE [--dry-run] [--datum GCJ02]`
and `python -m api check-boundaries [--under CODE]` (the operator at the shell)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from services.enums import Datum
from services.errors import DomainError
from services.geo.boundaries import (
    ImportReport,
    NetProblem,
    check_net_as_operator,
    import_boundaries_as_operator,
)
from services.grids.areas import area_by_code
from services.kit import db
from services.kit.settings import get_settings

COMMANDS = frozenset({"import-boundaries", "check-boundaries"})


def add_commands(sub: Any) -> None:
    """Register the map's subcommands on the parser's subparsers."""
    load = sub.add_parser(
        "import-boundaries",
        help="import area boundaries from a GeoJSON FeatureCollection (properties.code), "
        "all or nothing, then check the net",
    )
    load.add_argument("file", type=Path, help="a .geojson/.json FeatureCollection")
    load.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")
    load.add_argument(
        "--datum",
        choices=[d.value for d in Datum],
        default=Datum.WGS84.value,
        help="datum of the file's coordinates (GCJ02: drawn on 高德/腾讯 maps); stored in WGS84",
    )
    check = sub.add_parser(
        "check-boundaries",
        help="list children outside their parent, overlapping siblings, gaps and areas "
        "without a boundary; exit 1 if any",
    )
    check.add_argument("--under", metavar="CODE", help="only the net under this area code")


def _print_problems(problems: list[NetProblem]) -> int:
    for p in problems:
        print(f"{p.kind.value}\t{', '.join(p.areas)}\t{p.size:.3g} deg²\t{p.message}")
    print("net OK" if not problems else f"{len(problems)} problem(s) in the net")
    return 0 if not problems else 1


def _print_import(report: ImportReport) -> int:
    for p in report.problems:
        where = "file" if p.index < 0 else f"feature {p.index}"
        print(f"{where}\t{p.code or '-'}\t{p.message}")
    if report.problems:
        print(f"{len(report.problems)} problem(s): nothing imported")
        return 1
    verb = "would import" if report.dry_run else "imported"
    print(f"{verb} {report.features} boundar{'y' if report.features == 1 else 'ies'}")
    return 0


async def run(args: argparse.Namespace) -> int:
    """Run one of COMMANDS; the exit status."""
    await db.init(get_settings().database_url, run_migrations=False)
    try:
        if args.command == "import-boundaries":
            try:
                collection = json.loads(args.file.read_text(encoding="utf-8-sig"))
            except (OSError, ValueError) as error:
                print(f"cannot read {args.file}: {error}")
                return 1
            report = await import_boundaries_as_operator(
                collection=collection, datum=Datum(args.datum), dry_run=args.dry_run
            )
            status = _print_import(report)
            if status or report.dry_run:
                return status
            return _print_problems(await check_net_as_operator())
        under = None
        if args.under:
            try:
                under = (await area_by_code(code=args.under)).path
            except DomainError as error:
                print(error)
                return 1
        return _print_problems(await check_net_as_operator(under_path=under))
    finally:
        await db.close()
