"""`python -m bench matching-quality`: precision at 1 of `matchesForNeed` on the hand-labelled
fixture (seed/bulk/matching_quality.py: 30 needs, 60 resources, the resource a district worker
picks first for each need), before and after relevance.

- **after**: the service as it is (`services.partners.matches_for_need`, first place).
- **before**: the same candidates re-ranked by the rule matching had until relevance came in
  (issue 15): category 40 same / 20 compatible + area 25 / 15 / 10 + window 15 / 7 + quantity
  20 × min(1, remaining ÷ still needed) (10 in other units); ties by more remaining, then older.
  The candidates are the same (both rules match the same pairs), so only the ranking differs.

Prints a markdown report (each need, the pick, the top before and after) and writes it to
bench/results/matching-quality-<timestamp>-<database>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bench.evaluation import in_context
from seed.bulk.matching_quality import NEEDS, RESOURCES, Fixture
from seed.bulk.matching_quality import build as build_fixture
from services.kit import clock
from services.kit.auth import Actor

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_matching_quality"

# The rule before relevance, read back from the parts of today's candidates.
OLD_CATEGORY = {20: 40, 10: 20}
OLD_AREA = {15: 25, 9: 15, 6: 10}
OLD_WINDOW = {10: 15, 5: 7}


@dataclass(frozen=True)
class Row:
    """One need: the labelled pick and the first resource of each ranking (fixture keys)."""

    need: str
    title: str
    pick: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Quality:
    """Precision at 1 before and after, and the rows behind it."""

    rows: list[Row]

    @property
    def before(self) -> float:
        return sum(r.before == r.pick for r in self.rows) / len(self.rows)

    @property
    def after(self) -> float:
        return sum(r.after == r.pick for r in self.rows) / len(self.rows)


def old_score(*, parts: tuple[int, int, int, int], same: bool, remaining: int, still: int) -> int:
    """The score of the rule before relevance, from today's category, area and window parts."""
    category, area, window, _ = parts
    quantity = 20 * min(remaining, still) // still if same else 10
    return OLD_CATEGORY[category] + OLD_AREA[area] + OLD_WINDOW[window] + quantity


async def evaluate() -> Quality:
    """Build the fixture in the current database (migrated, empty) and rank every need."""
    from seed.demo import bootstrap_district_admin
    from services.accounts import load_actor
    from services.grids import create_district
    from services.kit import db

    await db.migrate()
    district = await create_district(name="质量基准区")
    account = await bootstrap_district_admin(
        district=district,
        username="quality_admin",
        password="quality-password-123",
        name="质量管理员",
        phone="13900000001",
    )
    admin = await load_actor(account_id=account.id)
    assert admin is not None
    fixture = await build_fixture(admin=admin, district_id=district.id)
    return await rank(fixture, admin)


async def rank(fixture: Fixture, actor: Actor) -> Quality:
    """Rank each need of a built fixture with both rules."""
    from services import partners

    rows = []
    for key, wanted in NEEDS.items():
        found = await partners.matches_for_need(
            actor=actor, need_id=fixture.needs[key], first=partners.MAX_MATCHES
        )
        after = fixture.key_of_resource(found[0].resource_id) if found else None
        before = None
        best: tuple[int, int, int] | None = None
        for c in found:
            offer_key = fixture.key_of_resource(c.resource_id)
            offer = RESOURCES[offer_key]
            score = old_score(
                parts=(c.category_score, c.area_score, c.window_score, c.quantity_score),
                same=offer.category is wanted.category,
                remaining=offer.quantity,
                still=wanted.quantity,
            )
            order = (-score, -offer.quantity, c.resource_id)
            if best is None or order < best:
                best, before = order, offer_key
        rows.append(Row(key, wanted.title, wanted.pick, before, after))
    return Quality(rows)


def report(quality: Quality, database: str, started: datetime) -> str:
    """The markdown report."""

    def title(key: str | None) -> str:
        return "—" if key is None else f"{key} {RESOURCES[key].title}"

    lines = [
        f"# matchesForNeed precision at 1 on the hand-labelled fixture ({database})",
        "",
        f"- started {started:%Y-%m-%d %H:%M:%S} UTC; {len(quality.rows)} needs, "
        f"{len(RESOURCES)} resources",
        f"- precision@1 before relevance: **{quality.before:.2f}** "
        f"({round(quality.before * len(quality.rows))}/{len(quality.rows)})",
        f"- precision@1 with relevance: **{quality.after:.2f}** "
        f"({round(quality.after * len(quality.rows))}/{len(quality.rows)})",
        "",
        "| need | pick (label) | top before | top after |",
        "|---|---|---|---|",
    ]
    for r in quality.rows:
        mark_b = "✓" if r.before == r.pick else "✗"
        mark_a = "✓" if r.after == r.pick else "✗"
        lines.append(
            f"| {r.need} {r.title} | {title(r.pick)} | {mark_b} {title(r.before)} | "
            f"{mark_a} {title(r.after)} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Entry point of `python -m bench matching-quality`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench matching-quality",
        description="Precision at 1 of matchesForNeed on the hand-labelled fixture.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write .md")
    args = parser.parse_args(argv)
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secrets.token_urlsafe(48))
    started = clock.now()
    workdir = Path(tempfile.mkdtemp(prefix="gridpoints-bench-quality-"))
    from bench.prepare import drop_postgres, recreate_postgres

    if args.database == "postgres":
        url = os.environ.get("BENCH_MATCHING_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
    else:
        url = f"sqlite://{workdir}/quality.sqlite3"
    try:
        quality: Quality = asyncio.run(in_context(url, evaluate))
    except KeyboardInterrupt:
        print("\n[matching-quality] stopped", file=sys.stderr)
        return 130
    finally:
        if args.database == "postgres":
            asyncio.run(drop_postgres(url))
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(quality, args.database, started)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"matching-quality-{started:%Y%m%d-%H%M%S}-{args.database}.md"
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {path}")
    return 0
