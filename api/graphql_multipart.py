"""File uploads over HTTP: the GraphQL multipart request spec
(github.com/jaydenseric/graphql-multipart-request-spec), as api.graphql.GraphQLApp serves it.

A `multipart/form-data` POST carries the fields `operations` (the operation as JSON, with
`null` where each file goes), `map` (JSON: each file part's name to the paths in `operations`
it fills, e.g. `{"0": ["variables.input.file"]}`), then the file parts. The files reach the
resolvers as Starlette `UploadFile`s (Strawberry's `Upload` scalar).

Bounded while the body streams in, each refusal a RequestRefused with a code: a file over
MAX_UPLOAD_BYTES (413 FILE_TOO_LARGE), more than MAX_UPLOAD_FILES files (413 TOO_MANY_FILES),
`operations` or `map` over MAX_REQUEST_BYTES (413 PAYLOAD_TOO_LARGE); the whole body is bounded
by MAX_MULTIPART_BYTES in GraphQLApp. A file is kept in memory up to 1 MiB and spooled to a
temporary file beyond (Starlette's SpooledTemporaryFile), so memory stays bounded whatever the
file's size. Anything malformed is refused with 400 BAD_REQUEST before anything executes.

Used by api.graphql; nothing here knows the schema or the database.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from strawberry.file_uploads.utils import replace_placeholders_with_files

from api.graphql_http import RequestRefused

MULTIPART = "multipart/form-data"

# A cross-site page can POST a multipart form without a CORS preflight (it is a "simple"
# request); a header a form cannot set proves the request went through one, as Apollo Server's
# CSRF prevention asks (any one of these, with a non-empty value).
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name", "graphql-preflight")

# Kept in memory up to this size, then spooled to a temporary file.
SPOOL_BYTES = 1024 * 1024


def is_multipart_content_type(content_type: str) -> bool:
    """Is this Content-Type `multipart/form-data` (any case, any parameters)?"""
    return content_type.split(";", 1)[0].strip().lower() == MULTIPART


def has_preflight_header(headers: Mapping[str, str]) -> bool:
    """Does the request carry one of PREFLIGHT_HEADERS with a value?"""
    return any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS)


@dataclass(frozen=True)
class UploadLimits:
    """The bounds on one multipart request's parts."""

    file_bytes: int  # each file (MAX_UPLOAD_BYTES)
    files: int  # files per request (MAX_UPLOAD_FILES)
    field_bytes: int  # `operations` and `map` each (MAX_REQUEST_BYTES)


def _refused(reason: str) -> RequestRefused:
    return RequestRefused(400, reason, code="BAD_REQUEST")


class _Parser(MultiPartParser):
    """Starlette's multipart parser, refusing a part over its bound with 413 and a code as the
    part streams in (Starlette's own bounds answer 400 without one, once parsed)."""

    spool_max_size = SPOOL_BYTES

    def __init__(
        self, headers: Headers, stream: AsyncGenerator[bytes, None], limits: UploadLimits
    ) -> None:
        super().__init__(
            headers,
            stream,
            max_files=limits.files,
            # operations, map, and a few more text parts (ignored) at most
            max_fields=limits.files + 2,
            max_part_size=limits.field_bytes,
        )
        self.limits = limits
        self._part_bytes = 0

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._current_part.content_disposition)
        if b"filename" in options and self._current_files >= self.limits.files:
            raise RequestRefused(
                413,
                f"At most {self.limits.files} files may be sent in one request (MAX_UPLOAD_FILES).",
                code="TOO_MANY_FILES",
            )
        super().on_headers_finished()
        self._part_bytes = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._part_bytes += end - start
        if self._current_part.file is not None:
            if self._part_bytes > self.limits.file_bytes:
                raise RequestRefused(
                    413,
                    f"A file is larger than {self.limits.file_bytes} bytes (MAX_UPLOAD_BYTES).",
                    code="FILE_TOO_LARGE",
                )
        elif self._part_bytes > self.limits.field_bytes:
            raise RequestRefused(
                413,
                f"A text part (`operations`, `map`) is larger than {self.limits.field_bytes} "
                "bytes (MAX_REQUEST_BYTES).",
                code="PAYLOAD_TOO_LARGE",
            )
        super().on_part_data(data, start, end)


async def read_form(request: Request, limits: UploadLimits) -> FormData:
    """The multipart body's parts, files spooled (the caller closes them: FormData.close)."""
    try:
        async with aclosing(request.stream()) as stream:
            return await _Parser(request.headers, stream, limits).parse()
    except MultiPartException as error:
        raise _refused(f"The multipart body could not be read: {error.message}") from error


def text_part(form: FormData, name: str) -> str:
    """The text of the part `name` (`operations`, `map`), which must be there and not a file."""
    value = form.get(name)
    if value is None:
        raise _refused(
            f"A multipart request needs the `{name}` field (the GraphQL multipart request spec: "
            "`operations`, then `map`, then the files)."
        )
    if not isinstance(value, str):
        raise _refused(f"The `{name}` part must be a text field, not a file.")
    return value


def _check_path(operations: dict[str, Any], path: object) -> None:
    """`path` (as `map` writes it, e.g. `variables.input.files.0`) must lead, from the
    operation's `variables`, to a null placeholder."""
    if not isinstance(path, str):
        raise _refused("Each path in `map` must be a string such as `variables.file`.")
    keys = path.split(".")
    if keys[0] != "variables" or len(keys) < 2:
        raise _refused(f"The path `{path}` in `map` must start with `variables.`.")
    target: Any = operations
    for key in keys:
        if isinstance(target, dict) and key in target:
            target = target[key]
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            target = target[int(key)]
        else:
            raise _refused(f"The path `{path}` in `map` is not in the operation's variables.")
    if target is not None:
        raise _refused(f"The path `{path}` in `map` must hold null in `operations`.")


def place_files(operations: dict[str, Any], files_map: object, form: FormData) -> dict[str, Any]:
    """`operations` with each file of `map` at its paths (a file may fill several). Every
    key of `map` must name a file part and every path a null in the variables; parts the
    map does not name are ignored."""
    if not isinstance(files_map, dict):
        raise _refused('`map` must be a JSON object, e.g. {"0": ["variables.file"]}.')
    files: dict[str, UploadFile] = {}
    for name, paths in files_map.items():
        part = form.get(name)
        if not isinstance(part, UploadFile):
            raise _refused(f"`map` names the file part `{name}`, which the request does not carry.")
        if not isinstance(paths, list) or not paths:
            raise _refused(f"`map` must give the file part `{name}` a list of paths.")
        for path in paths:
            _check_path(operations, path)
        files[name] = part
    return replace_placeholders_with_files(operations, files_map, files)
