"""Uploading in tests: a GraphQL multipart request (api.graphql_multipart) as a client sends it,
and an in-memory upload for running a schema with `Upload` arguments directly."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
from starlette.datastructures import Headers, UploadFile

# One of the headers a multipart request must carry (CSRF prevention).
PREFLIGHT = {"GraphQL-Preflight": "1"}

File = tuple[str, bytes, str]  # name, bytes, content type


def _with_nulls(variables: dict[str, Any], path: str) -> None:
    """Put the spec's null placeholder at `path` (`input.photos.1`), making room in lists."""
    keys = path.split(".")
    target: Any = variables
    for key, following in zip(keys, [*keys[1:], None], strict=True):
        if isinstance(target, list):
            index = int(key)
            target.extend([None] * (index + 1 - len(target)))
            if following is not None and target[index] is None:
                target[index] = [] if following.isdigit() else {}
            target = target[index]
        else:
            if following is None:
                target[key] = None
            else:
                target = target.setdefault(key, [] if following.isdigit() else {})


async def gql_upload(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    files: dict[str, File] | None = None,
    *,
    token: str | None = None,
    url: str = "/graphql",
) -> httpx.Response:
    """POST `query` as a multipart request: each file of `files` (keyed by its path under
    `variables`, e.g. `input.file` or `input.photos.0`) goes in a part of its own.

        await gql_upload(http, IMPORT, {"input": {"kind": "HOUSEHOLDS"}},
                         {"input.file": ("households.csv", data, "text/csv")}, token=token)
    """
    variables = json.loads(json.dumps(variables or {}))
    parts: dict[str, File] = {}
    files_map: dict[str, list[str]] = {}
    for number, (path, file) in enumerate((files or {}).items()):
        _with_nulls(variables, path)
        parts[str(number)] = file
        files_map[str(number)] = [f"variables.{path}"]
    if not parts:  # httpx sends multipart only with a file part: an unmapped one is ignored
        parts["unused"] = ("unused", b"", "application/octet-stream")
    headers = dict(PREFLIGHT)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post(
        url,
        data={
            "operations": json.dumps({"query": query, "variables": variables}),
            "map": json.dumps(files_map),
        },
        files=parts,
        headers=headers,
    )


def upload_file(
    name: str, data: bytes, content_type: str = "application/octet-stream"
) -> UploadFile:
    """An upload as a resolver receives one (a Starlette UploadFile), held in memory: for
    running a schema directly, `schema.execute(..., variable_values={"file": upload_file(...)})`.
    """
    return UploadFile(
        io.BytesIO(data),
        size=len(data),
        filename=name,
        headers=Headers({"content-type": content_type}),
    )
