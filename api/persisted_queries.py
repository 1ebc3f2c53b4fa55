"""Persisted queries: Apollo's automatic persisted queries (APQ) and a registered list.

A request may name its document by hash instead of sending it, in
`extensions: {"persistedQuery": {"version": 1, "sha256Hash": "<64 hex digits>"}}` (Apollo
Client's `createPersistedQueryLink`, and most other clients, do so). PERSISTED_QUERIES says
what happens:

- `auto` (the default): a hash seen before runs its document; an unknown one is answered
  PERSISTED_QUERY_NOT_FOUND, and the client sends the hash again with the document, which is
  checked (sha256 of the text), kept, and run. The documents are kept per process, in an LRU of
  PERSISTED_QUERY_CACHE entries (a miss on another worker makes the client send the document
  once more: the protocol's own recovery).
- `only`: only the documents of the manifest (PERSISTED_QUERIES_MANIFEST, the JSON Apollo's
  `generate-persisted-query-manifest` writes) run, by hash or sent in full; any other document
  is refused (PERSISTED_QUERY_NOT_ALLOWED) and nothing is ever added.
- `off`: a request with the extension is refused (PERSISTED_QUERY_NOT_SUPPORTED).

A persisted document is a document like any other: it is parsed, validated and costed through
the same parse cache and limits (the hash only maps to its text).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

MANIFEST_FORMAT = "apollo-persisted-query-manifest"
_HASH = re.compile(r"[0-9a-f]{64}")

Mode = Literal["off", "auto", "only"]


class PersistedQueryError(Exception):
    """A persisted-query request refused: its message and stable code (the message of
    PERSISTED_QUERY_NOT_FOUND and _NOT_SUPPORTED is the one Apollo's clients look for)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def sha256_hex(document: str) -> str:
    """The hash APQ names a document by: sha256 of its UTF-8 text, in lowercase hex."""
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


def read_manifest(path: str | Path) -> dict[str, str]:
    """The operations of an Apollo persisted-query manifest, hash to document; ValueError
    (naming the file and what is wrong) if it cannot be read, is not one, or an operation's
    id is not the sha256 of its body."""
    try:
        data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(
            f"PERSISTED_QUERIES_MANIFEST {str(path)!r}: cannot read it ({error})"
        ) from error
    if (
        not isinstance(data, dict)
        or data.get("format") != MANIFEST_FORMAT
        or data.get("version") != 1
        or not isinstance(data.get("operations"), list)
    ):
        raise ValueError(
            f"PERSISTED_QUERIES_MANIFEST {str(path)!r}: not a manifest "
            f'({{"format": "{MANIFEST_FORMAT}", "version": 1, "operations": [...]}})'
        )
    documents: dict[str, str] = {}
    for index, operation in enumerate(data["operations"]):
        body = operation.get("body") if isinstance(operation, dict) else None
        ident = operation.get("id") if isinstance(operation, dict) else None
        if not isinstance(body, str) or not isinstance(ident, str):
            raise ValueError(
                f"PERSISTED_QUERIES_MANIFEST {str(path)!r}: operation {index} needs a string "
                "`id` and `body`"
            )
        if ident != sha256_hex(body):
            raise ValueError(
                f"PERSISTED_QUERIES_MANIFEST {str(path)!r}: operation {index} "
                f"({operation.get('name')!r}) has id {ident!r}, which is not the sha256 of "
                "its body: regenerate the manifest"
            )
        documents[ident] = body
    return documents


class PersistedQueries:
    """What a request's `query` and `extensions` come to: the document to run, or a
    PersistedQueryError. One per app (process); not shared between workers."""

    def __init__(
        self, mode: Mode, capacity: int, manifest: Mapping[str, str] | None = None
    ) -> None:
        self.mode = mode
        self.capacity = capacity
        self.manifest = dict(manifest or {})
        self._documents: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    def document(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The document this request runs (`query` unchanged when it names none by hash)."""
        persisted = extensions.get("persistedQuery") if extensions else None
        if persisted is None:
            if self.mode == "only" and query is not None and sha256_hex(query) not in self.manifest:
                raise _not_allowed()
            return query
        if self.mode == "off":
            raise PersistedQueryError("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
        digest = _hash_of(persisted)
        if query is not None:
            if sha256_hex(query) != digest:
                raise PersistedQueryError(
                    "The document's sha256 is not extensions.persistedQuery.sha256Hash.",
                    "PERSISTED_QUERY_HASH_MISMATCH",
                )
            if self.mode == "only":
                if digest not in self.manifest:
                    raise _not_allowed()
            else:
                self._keep(digest, query)
            return query
        found = self.manifest.get(digest)
        if found is None and self.mode == "auto":
            found = self._documents.get(digest)
            if found is not None:
                self._documents.move_to_end(digest)
        if found is None:
            raise PersistedQueryError("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        return found

    def _keep(self, digest: str, document: str) -> None:
        if digest in self.manifest or self.capacity == 0:
            return
        self._documents[digest] = document
        self._documents.move_to_end(digest)
        while len(self._documents) > self.capacity:
            self._documents.popitem(last=False)


def _not_allowed() -> PersistedQueryError:
    return PersistedQueryError(
        "Only registered operations run here (PERSISTED_QUERIES=only).",
        "PERSISTED_QUERY_NOT_ALLOWED",
    )


def _hash_of(persisted: object) -> str:
    """The hash of a well-formed `persistedQuery` extension (version 1)."""
    if not isinstance(persisted, Mapping):
        raise PersistedQueryError(
            "extensions.persistedQuery must be an object with `version` and `sha256Hash`.",
            "PERSISTED_QUERY_INVALID",
        )
    version = persisted.get("version")
    if version != 1 or isinstance(version, bool):
        raise PersistedQueryError(
            "Unsupported persisted query version: only version 1 is served.",
            "PERSISTED_QUERY_VERSION_NOT_SUPPORTED",
        )
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise PersistedQueryError(
            "extensions.persistedQuery.sha256Hash must be 64 lowercase hex digits.",
            "PERSISTED_QUERY_INVALID",
        )
    return digest
