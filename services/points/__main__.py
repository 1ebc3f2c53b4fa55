"""`python -m services.points verify|expire`: check the ledger, or run the expiry jobs once."""

from __future__ import annotations

import argparse
import asyncio
import sys

from services.kit import db, jobs
from services.points.verify import verify


async def _run(command: str) -> int:
    await db.init(run_migrations=False)
    try:
        if command == "verify":
            report = await verify()
            print("\n".join(report.lines()))
            print("ledger OK" if report.ok else "LEDGER DRIFT FOUND")
            return 0 if report.ok else 1
        print(await jobs.run_once())
        return 0
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.points", description=__doc__)
    parser.add_argument(
        "command",
        choices=["verify", "expire"],
        help="verify: recompute balances, lots, holds and credit from the entries and report "
        "drift (exit 1 on drift); expire: expire due lots and unclaimed holds once",
    )
    return asyncio.run(_run(parser.parse_args(argv).command))


if __name__ == "__main__":
    sys.exit(main())
