"""The activities benchmark's data (`python -m bench activities`), bulk-inserted with SQL:
activities over the district's communities, grids and micro-grids, a reader's sign-ups, and
the people who race for one activity's places."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from seed.bulk.sql import insert_rows, next_id
from services.kit import clock, db

COMMUNITY_SHARE = 0.1  # of the activities, in the benchmarked community's subtree


async def bulk_activities(count: int, community_path: str, organiser: int) -> tuple[int, int]:
    """Insert `count` activities (a tenth in the community's subtree); returns (in the
    community, upcoming in the community)."""
    areas = await db.fetch(
        "SELECT id, path, level FROM area WHERE level IN ('COMMUNITY', 'GRID', 'MICRO_GRID')", []
    )
    ours = [a for a in areas if str(a["path"]).startswith(community_path)]
    others = [a for a in areas if not str(a["path"]).startswith(community_path)]
    communities = {str(a["path"]): int(a["id"]) for a in areas if a["level"] == "COMMUNITY"}
    rng = random.Random(5)
    now = clock.now().replace(microsecond=0)
    rows = []
    in_community = upcoming = 0
    for i in range(count):
        mine = i % round(1 / COMMUNITY_SHARE) == 0
        area = rng.choice(ours if mine else others)
        path = str(area["path"])
        community = communities["/" + "/".join(path.strip("/").split("/")[:3]) + "/"]
        start = now + timedelta(minutes=rng.randint(-90 * 24 * 60, 90 * 24 * 60))
        end = start + timedelta(hours=rng.choice((1, 2, 3)))
        cancelled = rng.random() < 0.05
        in_community += mine
        upcoming += mine and not cancelled and end > now
        rows.append(
            (
                f"志愿活动 {i}",
                "社区党群服务中心",
                int(area["id"]),
                path,
                community,
                start,
                end,
                rng.choice((10, 20, 30)),
                0,
                "CANCELLED" if cancelled else "OPEN",
                secrets.token_hex(16),
                organiser,
                now,
            )
        )
    await insert_rows(
        "volunteer_activity",
        (
            "title",
            "place",
            "area_id",
            "area_path",
            "community_id",
            "starts_at",
            "ends_at",
            "capacity",
            "signed_up",
            "status",
            "code_secret",
            "organiser_id",
            "created_at",
        ),
        rows,
    )
    return in_community, upcoming


async def sign_up_some(person_id: int, community_path: str) -> None:
    """The reader signs up for every fifth upcoming activity of the community (mySignUp)."""
    rows = await db.fetch(
        "SELECT id FROM volunteer_activity WHERE area_path >= ? AND area_path < ? "
        "AND status = 'OPEN' AND starts_at > ? "
        "AND id NOT IN (SELECT activity_id FROM activity_sign_up WHERE person_id = ?) "
        "ORDER BY starts_at LIMIT 200",
        [community_path, community_path[:-1] + "0", clock.now(), person_id],
    )

    chosen = [int(r["id"]) for r in rows][::5]
    await insert_rows(
        "activity_sign_up",
        ("activity_id", "person_id", "status", "signed_up_at", "auto_checked_out"),
        [(a, person_id, "SIGNED_UP", clock.now(), False) for a in chosen],
    )
    for a in chosen:
        await db.execute(
            "UPDATE volunteer_activity SET signed_up = signed_up + 1 WHERE id = ? RETURNING id",
            [a],
        )


async def racers_people(count: int) -> list[int]:
    """`count` people with nothing but a name (they race for one activity); their ids."""
    first = await next_id("person")
    now = clock.now()
    people = list(range(first, first + count))
    await insert_rows(
        "person",
        ("id", "name", "party_member", "created_at"),
        [(p, f"抢报 {p}", False, now) for p in people],
    )
    if db.dialect() == "postgres":
        await db.execute("SELECT setval('person_id_seq', (SELECT MAX(id) FROM person))", [])
    return people
