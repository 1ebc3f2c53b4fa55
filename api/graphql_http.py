"""GraphQL over HTTP (the GraphQL Foundation's spec, graphql.github.io/graphql-over-http): the
response media type a client accepts, the request content type, the bounds on a request body
(size and JSON nesting), and the coded refusals that go with them.

Used by api.graphql.GraphQLApp; nothing here knows the schema or the database.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping

from cross_web import HTTPException

JSON = "application/json"
GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"

# How specific the Accept range was that matched a media type (RFC 9110 §12.5.1: the most
# specific range that matches decides its quality).
_ANY, _TYPE, _EXACT = 0, 1, 2


class RequestRefused(HTTPException):
    """A request refused before (or instead of) execution: its status, a message, a stable code
    for clients to switch on, and the headers the status calls for (Allow on a 405)."""

    def __init__(
        self, status_code: int, reason: str, *, code: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code, reason)
        self.code = code
        self.headers = dict(headers or {})


class JSONRefused(json.JSONDecodeError):
    """JSON refused before it was parsed (too large, nested too deeply). A JSONDecodeError, so
    that a WebSocket message refused so is handled as any other invalid JSON (close 4400); the
    HTTP paths turn it into a RequestRefused with its status and code."""

    def __init__(self, status_code: int, reason: str, *, code: str) -> None:
        super().__init__(reason, "", 0)
        self.status_code = status_code
        self.reason = reason
        self.code = code


def payload_too_large(limit: int, setting: str = "MAX_REQUEST_BYTES") -> RequestRefused:
    """The 413 for a body over `limit` bytes (the `setting` that says so)."""
    return RequestRefused(
        413,
        f"The request body is larger than {limit} bytes ({setting}).",
        code="PAYLOAD_TOO_LARGE",
    )


def _quality(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0.0 <= value <= 1.0 else None


def _qualities(accept: str) -> dict[str, tuple[float, int]]:
    """For each media type we can answer in, the quality the Accept header gives it and how
    specific the range was that gave it (absent: not acceptable at all)."""
    found: dict[str, tuple[float, int]] = {}
    for part in accept.split(","):
        media_range, *parameters = part.split(";")
        media_range = media_range.strip().lower()
        if not media_range:
            continue
        quality: float | None = 1.0
        utf8 = True
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            name = name.strip().lower()
            value = value.strip().strip('"').lower()
            if name == "q":
                quality = _quality(value)
            elif name == "charset":
                utf8 = value in ("utf-8", "utf8")
        if quality is None or not utf8:  # a malformed range, or a charset we never write
            continue
        for media_type in (GRAPHQL_RESPONSE_JSON, JSON):
            if media_range == media_type:
                specificity = _EXACT
            elif media_range == "application/*":
                specificity = _TYPE
            elif media_range == "*/*":
                specificity = _ANY
            else:
                continue
            known = found.get(media_type)
            if known is None or specificity > known[1]:
                found[media_type] = (quality, specificity)
    return found


@functools.lru_cache(maxsize=256)
def response_media_type(accept: str) -> str | None:
    """The media type to answer in for this Accept header: the acceptable one with the highest
    quality; between equals, the one named more specifically; between two named outright,
    application/graphql-response+json; between wildcards (`*/*`, `application/*`),
    application/json, as the spec asks. No Accept header means application/json (the spec's
    default for legacy clients); None means neither is acceptable (406)."""
    if not accept.strip():
        return JSON
    qualities = {
        media_type: value for media_type, value in _qualities(accept).items() if value[0] > 0
    }
    if not qualities:
        return None
    ranked = sorted(
        qualities.items(),
        key=lambda item: (
            item[1][0],
            item[1][1],
            # ties: graphql-response+json if named outright, application/json for wildcards
            (item[0] == GRAPHQL_RESPONSE_JSON) == (item[1][1] == _EXACT),
        ),
        reverse=True,
    )
    return ranked[0][0]


@functools.lru_cache(maxsize=256)
def is_json_content_type(content_type: str) -> bool:
    """Is this Content-Type `application/json` (any case), with UTF-8 or no charset? Not
    `application/jsonx` nor `text/json`: the type is compared whole, not searched for."""
    media_type, *parameters = content_type.split(";")
    if media_type.strip().lower() != JSON:
        return False
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return True


def content_type(media_type: str) -> str:
    """The Content-Type header for a response in `media_type` (application/json as before,
    application/graphql-response+json with its charset, as the spec's examples write it)."""
    return media_type if media_type == JSON else f"{media_type}; charset=utf-8"


# A JSON string (its escapes included) or, unterminated, the rest of the input: the closing
# quote is optional so that a match never fails, hence never backtracks (linear time).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
# Keeps the brackets only, as `[` and `]` (which kind nests in which does not change depth).
_BRACKETS_ONLY = (
    bytes.maketrans(b"{}", b"[]"),
    bytes(b for b in range(256) if b not in b"[]{}"),
)
_RUNS = re.compile(rb"\[+|\]+")
_OPEN = ord("[")


def json_depth_exceeds(data: bytes | str, bound: int) -> bool:
    """Do arrays and objects nest deeper than `bound` in this JSON text (outside its strings)?

    Read before the text is parsed: the parsers and everything after them (variable coercion,
    the NUL check) recurse once per level, and a few hundred levels exhaust Python's stack.
    A count settles most requests. Otherwise the strings are dropped (a regex) and the
    brackets kept (a translate), both in C; while that removes much, every innermost pair `[]`
    is removed at once (one level fewer each time: many short arrays go in a few passes);
    then the runs of `[` and of `]` that are left are added up, stopping as soon as the bound
    is passed. Linear in the text: a few microseconds for an ordinary request, some tens of
    milliseconds for 1 MiB of the worst shape. Malformed JSON is left to the parser.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if data.count(b"[") + data.count(b"{") <= bound:
        return False
    brackets = _STRING.sub(b"", data).translate(*_BRACKETS_ONLY)
    while len(brackets) > 1024:
        inner = brackets.replace(b"[]", b"")
        removed = len(brackets) - len(inner)
        if removed == 0:  # brackets but no innermost pair: not JSON
            return False
        brackets, bound = inner, bound - 1
        if bound < 0:
            return True
        if removed * 8 < len(brackets):  # long runs are left: adding them up is quicker
            break
    depth = 0
    for run in _RUNS.finditer(brackets):
        start, end = run.span()
        if brackets[start] == _OPEN:
            depth += end - start
            if depth > bound:
                return True
        else:
            depth -= end - start
    return False


def longer_than(data: bytes | str, limit: int) -> bool:
    """Is `data` longer than `limit` bytes (text counted in UTF-8)? Text is encoded only when
    it could be (a character takes at most 4 bytes)."""
    if isinstance(data, bytes):
        return len(data) > limit
    if len(data) * 4 <= limit:
        return False
    return len(data.encode("utf-8", "surrogatepass")) > limit
