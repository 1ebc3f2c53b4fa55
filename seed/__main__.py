"""Command line: `python -m seed demo` or `python -m seed scale --households N`."""

from __future__ import annotations

import argparse
import asyncio
import time

from seed.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, seed_demo
from seed.scale import NotEmpty, seed_scale
from services.enums import AreaLevel
from services.kit import db
from services.models import Area, Household, Person, RoleAssignment

EPILOG = """\
The database is DATABASE_URL (default sqlite://var/gridpoints.sqlite3); it is migrated first.
Settings come from the environment (and .env): without JWT_SECRET, set ENVIRONMENT=dev, e.g.
  ENVIRONMENT=dev DATABASE_URL=sqlite:///tmp/demo.sqlite3 python -m seed demo
Both commands only seed an empty database.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m seed",
        description="Seed the Gridpoints database.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="the demo district (博山区) with demo sign-ins")
    scale = commands.add_parser("scale", help="a large synthetic district for benchmarks")
    scale.add_argument("--households", type=int, required=True, help="1 to 1,000,000")
    scale.add_argument("--batch", type=int, default=5000, help="rows per INSERT batch")
    return parser


async def _summary() -> str:
    levels = [f"{await Area.filter(level=level).count()} {level.value}" for level in AreaLevel]
    counts = (
        f"{await Household.all().count()} households, {await Person.all().count()} people, "
        f"{await RoleAssignment.all().count()} role assignments"
    )
    return f"{', '.join(levels)}; {counts}"


async def _run(args: argparse.Namespace) -> int:
    try:  # close even when migrating fails: an open SQLite connection keeps the process alive
        await db.init()
        started = time.perf_counter()
        if args.command == "demo":
            if not await seed_demo():
                print("The database already holds areas: nothing seeded.")
                return 1
            print(f"Seeded the demo in {time.perf_counter() - started:.1f} s: {await _summary()}")
            print(f"Demo sign-ins (password {DEMO_PASSWORD!r}):")
            for username, role, description in DEMO_ACCOUNTS:
                print(f"  {username:<18} {role:<22} {description}")
        else:
            try:
                counts = await seed_scale(args.households, batch=args.batch)
            except (NotEmpty, ValueError) as exc:
                print(exc)
                return 1
            elapsed = time.perf_counter() - started
            print(f"Seeded {args.households} households in {elapsed:.1f} s:")
            for table, count in counts.items():
                print(f"  {table:<18} {count}")
    finally:
        await db.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments and seed."""
    return asyncio.run(_run(_parser().parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
