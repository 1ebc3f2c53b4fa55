"""bench.flame: py-spy's samples go to the layer of the request they were spent in, and the
samples of a thread or a loop waiting for work are left out."""

from __future__ import annotations

from bench.flame import IDLE, SQLITE_THREAD, layer, shares

MAIN = "_run_module_as_main (<frozen runpy>:198);Runner.run (asyncio/runners.py:118)"
WORKER = "Thread._bootstrap (threading.py:1002);Thread.run (threading.py:982)"


def test_a_sample_goes_to_the_deepest_layer_it_reached() -> None:
    graphql = f"{MAIN};GraphQLApp.__call__ (api/graphql.py:700)"
    assert layer(f"{graphql};actor_from_token (services/accounts.py:90)").startswith("the actor")
    assert layer(
        f"{graphql};rule_for (services/points/rules.py:80);QuerySet.filter "
        "(tortoise/queryset.py:465)"
    ).startswith("ORM")
    assert layer(f"{graphql};Executor.complete_value (graphql/execution/executor.py:1)").startswith(
        "GraphQL: resolving"
    )
    assert layer(f"{MAIN};RequestIdMiddleware.__call__ (api/app.py:69)").startswith("HTTP")


def test_waiting_is_left_out_and_sqlite_at_work_is_counted() -> None:
    assert layer(f"{WORKER};_connection_worker_thread (aiosqlite/core.py:59)") == IDLE
    assert layer(MAIN) == IDLE
    executing = (
        f"{WORKER};_connection_worker_thread (aiosqlite/core.py:64);"
        "Connection._execute_fetchall (aiosqlite/core.py:147)"
    )
    assert layer(executing) == SQLITE_THREAD
    busy, idle = shares([f"{MAIN} 7", f"{executing} 3", "garbage", ""])
    assert (dict(busy), idle) == ({SQLITE_THREAD: 3}, 7)
