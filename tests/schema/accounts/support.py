"""Helpers shared by the accounts GraphQL tests: sign in, read the viewer."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import LOGIN, gql

VIEWER = """
{ viewer { id username person { name } roles { role area { id name level } } } }
"""
PASSWORD = "gridpoints-demo"


async def attempt_login(http: httpx.AsyncClient, username: str, password: str) -> dict[str, Any]:
    body = await gql(http, LOGIN, {"u": username, "p": password})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["login"]
    return result


async def sign_in(http: httpx.AsyncClient, username: str) -> dict[str, Any]:
    result = await attempt_login(http, username, PASSWORD)
    assert result["__typename"] == "LoginSuccess", result
    return result


async def read_viewer(http: httpx.AsyncClient, token: str) -> Any:
    body = await gql(http, VIEWER, token=token)
    assert "errors" not in body, body
    return body["data"]["viewer"]
