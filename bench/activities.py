"""`python -m bench activities`: `activities(upcoming)` for a community, and sign-ups racing
for one activity.

Issue 5 ("Proof"): `activities(upcoming)` for a community with many activities.

1. **Build**: a fresh database (migrations, the demo district through the services, the bench
   community admin), then `--activities` activities bulk-inserted over the district's
   communities, grids and micro-grids (a tenth of them, by default 1,000 of 10,000, in 颜山社区's
   subtree), starting from 90 days ago to 90 days ahead, some cancelled, some with sign-ups.
2. **Reads**: the GraphQL query an app sends for a community's upcoming activities (first page,
   and a page deep in the list by cursor), over HTTP in this process (httpx on the ASGI app, as
   the tests do), as a resident who signed up for some: p50/p99 over `--requests` requests and
   the SQL statements of one request (counted on the `tortoise.db_client` logger).
3. **Contention**: `--racers` people sign up at once for one activity with `--places` places
   through `services.volunteering.sign_up` (concurrent tasks; separate connections on
   PostgreSQL): wall time, sign-ups/s, and the check that exactly `--places` got in.

Prints a markdown report and writes it to bench/results/activities-<timestamp>-<database>.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import secrets
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from seed.bulk.activities import bulk_activities, racers_people, sign_up_some
from services.kit import clock

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_activities"
QUERY = """
query Upcoming($under: ID!, $first: Int, $after: String) {
  activities(under: $under, upcoming: true, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id title place startsAt endsAt capacity placesLeft status
      area { name } team { name } mySignUp { status hoursStatus } } }
  }
}
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench activities",
        description="p50/p99 and statements of activities(upcoming); sign-ups under contention.",
    )
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--activities", type=int, default=10_000, help="in the district (10000)")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per query")
    parser.add_argument("--racers", type=int, default=200, help="people racing to sign up")
    parser.add_argument("--places", type=int, default=50, help="places of the raced activity")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where to write .md")
    return parser


@dataclass
class Timing:
    """Latencies of one query, in milliseconds, and the statements of one request."""

    label: str
    samples: list[float] = field(default_factory=list)
    statements: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@dataclass
class Outcome:
    """Everything measured."""

    engine: str
    activities: int
    in_community: int
    upcoming_in_community: int
    build_seconds: float
    reads: list[Timing]
    racers: int
    places: int
    placed: int
    refused: int
    race_seconds: float


async def _reads(community_id: int, requests: int) -> list[Timing]:
    """Time the query over HTTP on the app (first page, then a page deep in the list)."""
    import httpx
    from strawberry import relay

    from api.app import create_app
    from bench.evaluation import Phase, counting
    from services.kit.settings import get_settings

    app = create_app(get_settings(), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        login = await http.post(
            "/graphql",
            json={
                "query": 'mutation { login(input: {username: "resident", password: '
                '"gridpoints-demo"}) { ... on LoginSuccess { accessToken } } }'
            },
        )
        token = login.json()["data"]["login"]["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        under = str(relay.GlobalID("Area", str(community_id)))

        async def ask(after: str | None) -> dict[str, Any]:
            response = await http.post(
                "/graphql",
                json={"query": QUERY, "variables": {"under": under, "first": 20, "after": after}},
                headers=headers,
            )
            body: dict[str, Any] = response.json()
            assert "errors" not in body, body
            return body

        deep: str | None = None
        for _ in range(10):  # walk 10 pages in: the cursor of a deep page
            page = (await ask(deep))["data"]["activities"]
            deep = page["pageInfo"]["endCursor"]
        timings = []
        for label, after in (("first page (20)", None), ("11th page (20, by cursor)", deep)):
            timing = Timing(label)
            for _ in range(20):  # warm-up
                await ask(after)
            for _ in range(requests):
                started = time.perf_counter()
                await ask(after)
                timing.samples.append((time.perf_counter() - started) * 1000)
            phase = Phase()
            async with counting(phase, None):
                await ask(after)
            timing.statements = phase.statements
            timings.append(timing)
    return timings


async def _race(community_id: int, racers: int, places: int) -> tuple[int, int, float]:
    """`racers` volunteers sign up at once for one activity with `places` places."""
    from services import volunteering
    from services.enums import AreaLevel, Role
    from services.errors import Conflict
    from services.kit import db
    from services.kit.auth import Actor, RoleGrant
    from services.models import Area

    community = await Area.get(id=community_id)
    now = clock.now()
    people = await racers_people(racers)
    admin = Actor(
        account_id=0,
        person_id=0,
        username="bench",
        grants=(
            RoleGrant(Role.COMMUNITY_ADMIN, community.id, community.path, AreaLevel.COMMUNITY),
        ),
    )
    start = now.replace(microsecond=0) + timedelta(days=200)
    activity = await volunteering.create_activity(
        actor=admin,
        area_id=community.id,
        team_id=None,
        project_id=None,
        title="抢报名活动",
        place="广场",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=places,
    )
    grant = RoleGrant(Role.VOLUNTEER, community.id, community.path, AreaLevel.COMMUNITY)
    actors = [Actor(account_id=p, person_id=p, username=f"r{p}", grants=(grant,)) for p in people]

    async def one(actor: Actor) -> bool:
        try:
            await volunteering.sign_up(actor=actor, activity_id=activity.id)
        except Conflict:
            return False
        return True

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(one(a) for a in actors))
    seconds = time.perf_counter() - started
    counted = await db.fetch(
        "SELECT COUNT(*) AS n FROM activity_sign_up WHERE activity_id = ? AND status = 'SIGNED_UP'",
        [activity.id],
    )
    assert int(counted[0]["n"]) == sum(outcomes) == places, (counted, sum(outcomes))
    return sum(outcomes), outcomes.count(False), seconds


async def _measure(url: str, options: argparse.Namespace) -> Outcome:
    from tortoise import connections
    from tortoise.context import TortoiseContext

    from seed.bulk.district import prepare
    from services.kit import db
    from services.models import Area, UserAccount

    started = time.perf_counter()
    prepared = await prepare(url, households=None)
    async with TortoiseContext() as ctx:
        await ctx.init(config=db.tortoise_config(url))
        community = await Area.get(id=prepared.community_id)
        organiser = (await UserAccount.get(username="community_admin")).person_id
        in_community, upcoming = await bulk_activities(
            options.activities, community.path, organiser
        )
        reader = (await UserAccount.get(username="resident")).person_id
        await sign_up_some(reader, community.path)
        if db.dialect() == "postgres":
            await connections.get("default").execute_script("ANALYZE")
        build = time.perf_counter() - started
        reads = await _reads(community.id, options.requests)
        placed, refused, race = await _race(community.id, options.racers, options.places)
    return Outcome(
        engine=prepared.engine,
        activities=options.activities,
        in_community=in_community,
        upcoming_in_community=upcoming,
        build_seconds=build,
        reads=reads,
        racers=options.racers,
        places=options.places,
        placed=placed,
        refused=refused,
        race_seconds=race,
    )


def report(outcome: Outcome, options: argparse.Namespace, started: datetime) -> str:
    lines = [
        f"# activities benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- database: {outcome.engine}; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs",
        f"- {outcome.activities:,} activities in the district, {outcome.in_community:,} in "
        f"颜山社区's subtree ({outcome.upcoming_in_community:,} upcoming); built in "
        f"{outcome.build_seconds:.1f} s",
        "",
        "| `activities(under: 颜山社区, upcoming: true)` | p50 ms | p99 ms | statements |",
        "|---|---:|---:|---:|",
    ]
    for t in outcome.reads:
        lines.append(f"| {t.label} | {t.p50:.2f} | {t.p99:.2f} | {t.statements} |")
    rate = outcome.racers / outcome.race_seconds if outcome.race_seconds else 0.0
    lines += [
        "",
        f"Sign-up race: {outcome.racers} people at once for {outcome.places} places: "
        f"{outcome.placed} placed, {outcome.refused} refused (full), in "
        f"{outcome.race_seconds:.2f} s ({rate:.0f} sign-up attempts/s).",
        "",
        f"({options.requests} timed requests per query over HTTP on the ASGI app in-process, "
        "one at a time, after 20 warm-up requests; statements counted on one request.)",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """Entry point of `python -m bench activities`."""
    options = _parser().parse_args(argv)
    if not 100 <= options.activities <= 1_000_000:
        raise SystemExit("--activities must be 100..1,000,000")
    if not 1 <= options.places <= options.racers <= 5000:
        raise SystemExit("need 1 <= --places <= --racers <= 5000")
    os.environ.update(ENVIRONMENT="dev", JWT_SECRET=secrets.token_urlsafe(48))
    started = clock.now()  # after the settings: the clock reads them
    workdir = Path(tempfile.mkdtemp(prefix="gridpoints-bench-activities-"))
    if options.database == "postgres":
        from bench.prepare import drop_postgres, recreate_postgres

        url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
        asyncio.run(recreate_postgres(url))
    else:
        url = f"sqlite://{workdir / 'bench.sqlite3'}"
    try:
        outcome = asyncio.run(_measure(url, options))
    finally:
        if options.database == "postgres":
            asyncio.run(drop_postgres(url))
        shutil.rmtree(workdir, ignore_errors=True)
    text = report(outcome, options, started)
    options.results_dir.mkdir(parents=True, exist_ok=True)
    path = options.results_dir / f"activities-{started:%Y%m%d-%H%M%S}-{options.database}.md"
    path.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {path}")
    return 0
