"""Command line: `python -m api serve | migrate | check-migrations | backup | restore |
verify-ledger | ledger-checkpoint | run-jobs (expire) | import | import-template | export |
import-boundaries | check-boundaries | simulate-evaluation`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Never

import uvicorn
from tqdm import tqdm

from api import geo_cli, logs, whatif_cli
from api.jobs import JOBS
from services.enums import ExportFormat, ExportKind, ImportKind, ImportStatus
from services.errors import DomainError
from services.exports import Options, export, system_actor
from services.exports.service import area_for
from services.imports import import_file
from services.imports.templates import template, template_name
from services.kit import backups, db, jobs
from services.kit.media import media_location, move_media_out
from services.kit.relay import RedisRelay
from services.kit.settings import get_settings
from services.models import ImportRowError
from services.points import checkpoints
from services.points.verify import Report, verify

RELAY_GRACE_SECONDS = 10.0


async def _prepare(*, seed: bool) -> None:
    """Migrate, then seed demo data into an empty database when asked (before any worker starts)."""
    settings = get_settings()
    await db.init(settings.database_url, run_migrations=True)
    try:
        if seed:
            from seed.demo import seed_demo

            if await seed_demo():
                logging.getLogger("gridpoints").info("demo data seeded")
    finally:
        await db.close()


async def _migrate_to(name: str) -> int:
    """Apply or undo migrations until `name` is the last applied (every backward undoes all of
    its forward: tests/services/test_migrations.py)."""
    await db.init(get_settings().database_url, run_migrations=False)
    try:
        await db.migrate(to=name)
    except (NotImplementedError, ValueError) as exc:
        # Each migration is applied or undone in its own transaction: the ones before the
        # refusal stay done, and `migrate` (to the head) applies them again.
        print(f"migrate failed: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    return 0


async def _check_migrations() -> int:
    """Exit 1 when the models have changes no migration records."""
    await db.init("sqlite://:memory:", run_migrations=True)
    try:
        pending = await db.pending_model_changes()
    finally:
        await db.close()
    if pending:
        print(f"models and migrations differ; run `make migrations`: {pending}", file=sys.stderr)
        return 1
    print("migrations are in sync with the models")
    return 0


async def _backup(to: Path | None) -> int:
    """Write a consistent online backup and print where."""
    path = await backups.backup(to=to)
    print(path)
    return 0


async def _restore(source: Path, url: str | None) -> int:
    """Restore a backup into an empty database, then verify its ledger (exit 1 on drift)."""
    url = url or get_settings().database_url
    await backups.restore(source=source, url=url)
    await db.init(url, run_migrations=False)
    try:
        report = await verify()
        counts = await backups.table_counts()
    finally:
        await db.close()
    print(f"restored {source}: {len(counts)} tables, {sum(counts.values())} rows")
    return _print_report(report)


async def _verify_ledger() -> int:
    """Recompute every balance, lot, hold and evaluation credit from the ledger's entries and
    report drift (exit 1 on drift)."""
    await db.init(get_settings().database_url, run_migrations=False)
    try:
        report = await verify()
    finally:
        await db.close()
    return _print_report(report)


async def _ledger_checkpoint(code: str | None) -> int:
    """Cut an ON_DEMAND checkpoint of one community (by code) or of every community with a
    chain, and print each (exit 1 when a chain is broken: it is not signed)."""
    await db.init(get_settings().database_url, run_migrations=False)
    failed = 0
    try:
        if code is not None:
            try:
                communities = [(await area_for(code)).id]
            except DomainError as exc:
                print(f"{code}: {exc}", file=sys.stderr)
                return 1
        else:
            communities = await checkpoints.chained_communities()
        for community_id in communities:
            try:
                cp = await checkpoints.cut_on_demand(community_id, created_by_id=None)
            except DomainError as exc:
                print(f"community {community_id}: {exc}", file=sys.stderr)
                failed += 1
                continue
            if cp is None:
                print(f"community {community_id}: no transactions")
                continue
            print(
                f"community {cp.community_id} checkpoint {cp.sequence} ({cp.kind} {cp.day}): "
                f"positions {cp.from_length + 1}..{cp.length}, transactions "
                f"{cp.first_transaction_id}..{cp.last_transaction_id}, head {cp.head_hash}, "
                f"root {cp.merkle_root}, key {cp.key_id}, signature {cp.signature}"
            )
    finally:
        await db.close()
    return 1 if failed else 0


async def _export(
    kind: ExportKind, under: str, format: ExportFormat, output: Path | None, options: Options
) -> int:
    """Export as the system (the admin of the area's district); print the file and row count."""
    await db.init(get_settings().database_url, run_migrations=False)
    try:
        actor = await system_actor(await area_for(under))
        result = await export(actor=actor, kind=kind, under=under, format=format, options=options)
    finally:
        await db.close()
    written = media_location(result.path) if output is None else await deliver(result.path, output)
    print(f"{written}\t{result.rows} rows\t{result.filename}")
    return 0


async def deliver(relative: str, output: Path) -> Path:
    """Take an export out of the media store to `output`: moved out of MEDIA_DIR on any file
    system (a rename would fail across disks, e.g. to /tmp: it is copied then) and its emptied
    folder with it, or downloaded from S3 and deleted there."""
    return await move_media_out(relative, output)


def _print_report(report: Report) -> int:
    """Print what the ledger check found; the exit status (1 on drift)."""
    print("\n".join(report.lines()))
    print("ledger OK" if report.ok else "LEDGER DRIFT FOUND")
    return 0 if report.ok else 1


async def _run_jobs() -> int:
    """Run every periodic job once (escalation, auto-confirmation, expiry...) and report.

    With EVENTS_REDIS_URL set, what the jobs changed is published on the relay channel, as a
    server's own jobs would: the subscribers held by the servers hear of an escalation run from
    cron. The relay is stopped only once its sends have finished (or `RELAY_GRACE_SECONDS`
    passed, Redis being unreachable), so no event is lost to the process exiting.
    """
    settings = get_settings()
    await db.init(settings.database_url, run_migrations=False)
    relay = (
        RedisRelay(settings.events_redis_url, settings.events_channel)
        if settings.events_redis_url
        else None
    )
    try:
        if relay is not None:
            await relay.start(listen=False)  # nobody here to deliver others' events to
        done = await jobs.run_once(JOBS)
    finally:
        if relay is not None:
            await relay.stop(grace_seconds=RELAY_GRACE_SECONDS)
        await db.close()
    print(" ".join(f"{name}={count}" for name, count in done.items()))
    return 0


async def _import(kind: ImportKind, path: Path, *, dry_run: bool) -> int:
    """Import a file as the system (the command line has no actor: no scope applies), with a
    progress bar per pass; print the report, every problem as `row N, column X: CODE message`.
    Exit 1 when the file had problems (nothing was written)."""
    await db.init(get_settings().database_url, run_migrations=False)
    bars: dict[str, tqdm[Never]] = {}

    def progress(phase: str, rows: int) -> None:
        if phase not in bars:
            for bar in bars.values():
                bar.close()
            label = "checking" if phase == "check" else ("counting" if dry_run else "writing")
            bars[phase] = tqdm(desc=label, unit=" rows", file=sys.stderr)
        bars[phase].update(rows)

    try:
        job = await import_file(
            actor=None, kind=kind, path=path, dry_run=dry_run, progress=progress
        )
        for bar in bars.values():
            bar.close()
        errors = await ImportRowError.filter(job_id=job.id).order_by("id")
    finally:
        await db.close()
    for error in errors:
        column = f", column {error.column}" if error.column else ""
        print(f"row {error.row}{column}: {error.code} {error.message}")
    # (past the kept problems, the last one kept is a MORE_ERRORS line counting the rest)
    print(
        f"{job.kind.value} {path.name}: {job.status.value}, {job.rows_total} rows, "
        f"created {job.created}, updated {job.updated}, unchanged {job.unchanged}, "
        f"problems {job.error_count}" + (" (dry run: nothing written)" if dry_run else "")
    )
    return 0 if job.status in (ImportStatus.SUCCEEDED, ImportStatus.DRY_RUN_DONE) else 1


def _import_kind(text: str) -> ImportKind:
    try:
        return ImportKind(text.upper().replace("-", "_"))
    except ValueError as exc:
        kinds = ", ".join(k.value.lower() for k in ImportKind)
        raise argparse.ArgumentTypeError(f"one of {kinds}") from exc


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m api", description="Gridpoints server")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="migrate, seed demo data if SEED_DEMO=true, then serve")
    migrate = sub.add_parser("migrate", help="apply pending migrations and exit")
    migrate.add_argument(
        "--to",
        metavar="NAME",
        help="migrate forward or back until NAME (e.g. 0016_work_orders; zero: none) is the "
        "last applied",
    )
    sub.add_parser("check-migrations", help="fail if the models need a new migration")
    backup = sub.add_parser(
        "backup",
        help="consistent online backup of DATABASE_URL (SQLite backup API, or pg_dump)",
    )
    backup.add_argument(
        "--to",
        type=Path,
        default=None,
        help="file to write, or a directory for gridpoints-<UTC timestamp>.sqlite3|.dump "
        f"(default: {backups.DEFAULT_DIR}/)",
    )
    restore = sub.add_parser(
        "restore", help="restore a backup into an empty database and verify its ledger"
    )
    restore.add_argument("source", type=Path, help="a file written by `backup`")
    restore.add_argument(
        "--to",
        default=None,
        metavar="DATABASE_URL",
        help="the empty database to restore into (default: DATABASE_URL)",
    )
    sub.add_parser(
        "verify-ledger",
        help="recompute every balance, lot, hold and evaluation credit from the ledger's "
        "entries; exit 1 on drift",
    )
    checkpoint = sub.add_parser(
        "ledger-checkpoint",
        help="sign a checkpoint of the ledger's hash chain now (one community or all) and "
        "print it; exit 1 when a chain is broken",
    )
    checkpoint.add_argument(
        "--community", default=None, metavar="CODE", help="the community, by its code"
    )
    sub.add_parser(
        "run-jobs",
        aliases=["expire"],
        help="run the periodic jobs once (expired lots and holds, forgotten check-ins, "
        "work-order timers; for cron or tests) and exit",
    )
    geo_cli.add_commands(sub)
    whatif_cli.add_commands(sub)
    exporting = sub.add_parser(
        "export",
        help="write a report (households, people, roles, coverage gaps, points, ledger, "
        "rankings, work-order figures) under an area as CSV or XLSX; prints the file and rows",
    )
    exporting.add_argument("kind", type=str.upper, choices=[k.value for k in ExportKind])
    exporting.add_argument(
        "--under", required=True, metavar="CODE", help="the area, by its code (Area.code)"
    )
    exporting.add_argument("--format", type=str.upper, choices=["CSV", "XLSX"], default="XLSX")
    exporting.add_argument(
        "--output",
        type=Path,
        default=None,
        help="move the file here (default: left under MEDIA_DIR/exports/, where it is deleted "
        "MEDIA_URL_TTL_SECONDS + 10 minutes later)",
    )
    exporting.add_argument(
        "--period",
        default=None,
        help="RANKINGS: a quarter (2026Q2; default the latest scored); WORK_ORDER_STATS: a "
        "quarter, month (2026-11) or days (2026-10-01..2026-12-31; default this quarter)",
    )
    exporting.add_argument(
        "--person", type=int, default=None, help="POINTS_STATEMENT of one person (by id)"
    )
    exporting.add_argument(
        "--unmasked-phones",
        action="store_true",
        help="full phone numbers (masked as 138****1234 by default)",
    )
    imports = sub.add_parser(
        "import", help="import a CSV or XLSX file (as the system: no scope applies)"
    )
    imports.add_argument(
        "kind",
        type=_import_kind,
        help="areas, households, people, roles, partners or partner-resources",
    )
    imports.add_argument("file", type=Path, help="the CSV (UTF-8 or GB18030) or XLSX file")
    imports.add_argument(
        "--dry-run", action="store_true", help="check and count only, write nothing"
    )
    templates = sub.add_parser("import-template", help="write the template of an import kind")
    templates.add_argument("kind", type=_import_kind, help="areas, households, people, ...")
    templates.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    templates.add_argument(
        "--output", type=Path, default=None, help="file to write (default: its Chinese name)"
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    logs.configure(settings)
    if args.command in geo_cli.COMMANDS:
        return asyncio.run(geo_cli.run(args))
    if args.command in whatif_cli.COMMANDS:
        return asyncio.run(whatif_cli.run(args))
    if args.command == "check-migrations":
        return asyncio.run(_check_migrations())
    if args.command in {"backup", "restore"}:
        try:
            if args.command == "backup":
                return asyncio.run(_backup(args.to))
            return asyncio.run(_restore(args.source, args.to))
        except (DomainError, backups.BackupFailed) as exc:
            print(f"{args.command} failed: {exc}", file=sys.stderr)
            return 1
    if args.command == "verify-ledger":
        return asyncio.run(_verify_ledger())
    if args.command == "ledger-checkpoint":
        return asyncio.run(_ledger_checkpoint(args.community))
    if args.command == "export":
        options = Options(
            unmasked_phones=args.unmasked_phones, period=args.period, person_id=args.person
        )
        try:
            return asyncio.run(
                _export(
                    ExportKind(args.kind),
                    args.under,
                    ExportFormat(args.format),
                    args.output,
                    options,
                )
            )
        except DomainError as exc:
            print(f"export failed: {exc}", file=sys.stderr)
            return 1
    if args.command == "import":
        try:
            return asyncio.run(_import(args.kind, args.file, dry_run=args.dry_run))
        except (DomainError, OSError) as exc:
            print(f"import failed: {exc}", file=sys.stderr)
            return 1
    if args.command == "import-template":
        output = args.output or Path(template_name(args.kind, args.format))
        output.write_bytes(template(args.kind, args.format))
        print(output)
        return 0
    if args.command in {"run-jobs", "expire"}:
        return asyncio.run(_run_jobs())
    if args.command == "migrate" and args.to:
        return asyncio.run(_migrate_to(args.to))
    asyncio.run(_prepare(seed=args.command == "serve" and settings.seed_demo))
    if args.command == "migrate":
        return 0
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level.lower(),
        log_config=logs.log_config(settings),
        access_log=False,
        # The app believes X-Forwarded-For from TRUSTED_PROXIES only (api.app). uvicorn's own
        # handling would believe it from 127.0.0.1 (FORWARDED_ALLOW_IPS) before the app could
        # look: any local caller could then pose as any client and sidestep the throttles.
        proxy_headers=False,
        server_header=False,
        # A WebSocket message larger than MAX_REQUEST_BYTES is closed by the protocol library
        # (1009) before more of it is buffered (16 MiB by default); the app checks the size of
        # what it is handed too (4400), for servers started otherwise.
        ws_max_size=settings.max_request_bytes,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
