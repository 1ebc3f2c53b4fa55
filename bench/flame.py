"""`python -m bench.flame FILE [FILE ...]`: where a server's CPU went, from a py-spy profile.

Reads py-spy's raw (collapsed) output, `py-spy record --format raw -p <server pid> -o FILE`, one
line per distinct stack: `frame;frame;...;frame count`. Each sample goes to one layer of the
request, by the first rule below that its stack matches, and the shares of the busy samples are
printed per file (the findings are in bench/README.md, "Where the time goes").

Idle samples are left out: the aiosqlite worker thread waiting for its next statement, and the
event loop waiting in `select` (with `--nonblocking`, py-spy cannot tell them from work).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

IDLE = "idle"

# (layer, any of these in the stack); the first match wins, so deeper layers come first.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("the actor from the token (per request)", ("actor_from_token",)),
    (
        "statements, client side (Tortoise client, aiosqlite, asyncpg)",
        ("aiosqlite", "asyncpg", "tortoise/backends"),
    ),
    ("ORM: query building and model instances", ("tortoise/", "pypika")),
    ("services: own code", ("services/",)),
    ("GraphQL: resolving and completing fields", ("complete_value", "execute_fields", "complete_")),
    (
        "GraphQL: the request (cached document, cost, extensions, context, response)",
        ("strawberry", "graphql/", "schema/", "api/graphql"),
    ),
    ("HTTP: uvicorn, middlewares, body", ("api/", "starlette", "uvicorn/", "httptools", "h11")),
    ("event loop", ("asyncio", "selectors")),
]
SQLITE_THREAD = "statements, SQLite executing them (its worker thread)"


def layer(stack: str) -> str:
    """The layer a sample's stack (frames joined by ';', outermost first) belongs to."""
    frames = stack.split(";")
    leaf = frames[-1]
    if "_bootstrap" in frames[0]:  # a thread of the process: aiosqlite's worker, or another
        if leaf.startswith("_connection_worker_thread (aiosqlite/core.py:59)"):
            return IDLE  # tx.get(): waiting for the next statement
        return SQLITE_THREAD if "aiosqlite" in stack else "other threads"
    if leaf.startswith(("Runner.run (asyncio", "select (selectors")):
        return IDLE
    for name, marks in LAYERS:
        if any(mark in stack for mark in marks):
            return name
    return "other"


def shares(lines: Iterable[str]) -> tuple[Counter[str], int]:
    """Busy samples per layer, and the idle samples left out."""
    busy: Counter[str] = Counter()
    idle = 0
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        name = layer(stack)
        if name == IDLE:
            idle += int(count)
        else:
            busy[name] += int(count)
    return busy, idle


def report(path: Path) -> str:
    busy, idle = shares(path.read_text(encoding="utf-8").splitlines())
    total = sum(busy.values()) or 1
    rows = [f"| {name} | {100 * n / total:.1f}% |" for name, n in busy.most_common()]
    return "\n".join(
        [
            f"{path.name}: {sum(busy.values())} busy samples ({idle} idle left out)",
            "",
            "| layer | share |",
            "|---|--:|",
            *rows,
            "",
        ]
    )


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv:
        print(report(Path(name)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
