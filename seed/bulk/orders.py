"""The orders benchmark's people (`python -m bench orders`), bulk-inserted with SQL.

Residents, each in a household of their own (3 in 4 in the benchmarked community's micro-grids,
the others spread over the rest of the district), each with an account, the RESIDENT role and a
session; every leader of the community (community admins, grid and micro-grid leaders) with an
account if they have none and a session. Access tokens are minted here with the server's secret
(the claims of services.accounts), so no password is hashed.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import jwt

from seed.bulk.sql import insert_rows, next_id
from services.kit import clock, db
from services.kit.settings import get_settings

COMMUNITY_SHARE = 0.75  # of the residents live in the benchmarked community, whose leaders follow
LEADER_ROLES = ("COMMUNITY_ADMIN", "GRID_LEADER", "MICRO_GRID_LEADER")
NO_PASSWORD = "!bench: no password, signs in by a minted token only"
TOKEN_HOURS = 6


@dataclass(frozen=True)
class Resident:
    """A resident who places orders: their token and the path of their household's micro-grid."""

    token: str
    path: str


@dataclass(frozen=True)
class Follower:
    """A leader's token and the area they follow."""

    label: str  # role and area name
    token: str
    area_id: int
    path: str


def _mint(account_id: int, session_id: str) -> str:
    """An access token as services.accounts issues them (same claims, the server's secret)."""
    settings = get_settings()
    now = clock.now()
    claims = {
        "sub": str(account_id),
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=TOKEN_HOURS)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return str(jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm))


async def _sessions(account_ids: list[int]) -> list[str]:
    """A live session for each account; their access tokens, in order."""
    now = clock.now()
    ids = [str(uuid.uuid4()) for _ in account_ids]
    await insert_rows(
        "session",
        ("id", "account_id", "created_at", "expires_at"),
        [
            (sid, account, now, now + timedelta(hours=TOKEN_HOURS))
            for sid, account in zip(ids, account_ids, strict=True)
        ],
    )
    return [_mint(account, sid) for sid, account in zip(ids, account_ids, strict=True)]


async def add_residents(count: int, community_path: str) -> list[Resident]:
    """`count` residents, each in a household of their own, in the district's micro-grids."""
    grids = await db.fetch("SELECT id, path FROM area WHERE level = 'MICRO_GRID' ORDER BY id", [])
    ours = [g for g in grids if str(g["path"]).startswith(community_path)]
    others = [g for g in grids if not str(g["path"]).startswith(community_path)] or ours
    household, person, account = (
        await next_id("household"),
        await next_id("person"),
        await next_id("user_account"),
    )
    now = clock.now()
    households, people, accounts, roles, paths = [], [], [], [], []
    mine = theirs = 0
    for i in range(count):
        if i % 4 < round(COMMUNITY_SHARE * 4) or not others:
            grid, mine = ours[mine % len(ours)], mine + 1
        else:
            grid, theirs = others[theirs % len(others)], theirs + 1
        path = str(grid["path"])
        community = int(path.strip("/").split("/")[2])
        hid, pid, aid = household + i, person + i, account + i
        households.append(
            (hid, community, int(grid["id"]), path, f"基准小区 {i // 40 + 1} 号楼", None, None,
             f"{i % 40 + 101}", 1, now)
        )  # fmt: skip
        people.append((pid, f"基准居民 {i}", None, False, hid, now))
        accounts.append((aid, f"bench_resident_{i}", NO_PASSWORD, pid, True, now))
        roles.append((pid, "RESIDENT", None, "", now))
        paths.append(path)
    await insert_rows(
        "household",
        ("id", "community_id", "micro_grid_id", "path", "address", "building", "unit", "room",
         "member_count", "created_at"),
        households,
    )  # fmt: skip
    await insert_rows(
        "person", ("id", "name", "phone", "party_member", "household_id", "created_at"), people
    )
    await insert_rows(
        "user_account",
        ("id", "username", "password_hash", "person_id", "is_active", "created_at"),
        accounts,
    )
    await insert_rows(
        "role_assignment", ("person_id", "role", "area_id", "area_path", "since"), roles
    )
    await _fix_sequences()
    tokens = await _sessions([account + i for i in range(count)])
    return [Resident(t, p) for t, p in zip(tokens, paths, strict=True)]


async def _fix_sequences() -> None:
    """PostgreSQL: move the id sequences past the rows inserted with explicit ids."""
    if db.dialect() != "postgres":
        return
    for table in ("household", "person", "user_account"):
        await db.execute(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table})) AS v", [])


async def add_followers(community_path: str) -> list[Follower]:
    """Every open leader role in the community's subtree (an account made for those who have
    none), with a fresh session each."""
    rows = await db.fetch(
        "SELECT r.person_id, r.role, r.area_id, r.area_path, a.name, ua.id AS account_id "
        "FROM role_assignment r JOIN area a ON a.id = r.area_id "
        "LEFT JOIN user_account ua ON ua.person_id = r.person_id "
        "WHERE r.until IS NULL AND r.area_path >= ? AND r.area_path < ? "
        f"AND r.role IN ({', '.join('?' for _ in LEADER_ROLES)}) "
        "ORDER BY r.area_path, r.role, r.person_id",
        [community_path, community_path[:-1] + "0", *LEADER_ROLES],
    )
    missing = sorted({int(r["person_id"]) for r in rows if r["account_id"] is None})
    first = await next_id("user_account")
    made = {p: first + i for i, p in enumerate(missing)}
    if missing:
        now = clock.now()
        await insert_rows(
            "user_account",
            ("id", "username", "password_hash", "person_id", "is_active", "created_at"),
            [(made[p], f"bench_leader_{p}", NO_PASSWORD, p, True, now) for p in missing],
        )
        await _fix_sequences()
    account_ids = [
        int(r["account_id"]) if r["account_id"] is not None else made[int(r["person_id"])]
        for r in rows
    ]
    tokens = await _sessions(account_ids)
    return [
        Follower(f"{r['role']} {r['name']}", token, int(r["area_id"]), str(r["area_path"]))
        for r, token in zip(rows, tokens, strict=True)
    ]
