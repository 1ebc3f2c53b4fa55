"""GET /media/<path>?token=...: a file the service keeps, for whoever holds a signed link to it
(services.kit.media), streamed from disk or from the S3 store."""

from __future__ import annotations

import mimetypes
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse

from services.errors import InvalidInput
from services.kit.media import check_media_token, open_media

# A link lasts minutes and names one reader's file: no shared cache keeps it.
# The token is in the URL: no Referer carries it to the pages a file links to.
_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _refusal(status: int, code: str, message: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status
    )


def _disposition(filename: str) -> str:
    # As Starlette's FileResponse words it, so both stores offer the same name.
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


async def serve(request: Request) -> Response:
    relative = request.path_params["path"]  # decoded by the router
    offered = check_media_token(relative, request.query_params.get("token", ""))
    if offered is None:
        return _refusal(403, "FORBIDDEN", "The link is not valid for this file, or has expired.")
    try:
        opened = await open_media(relative)
    except InvalidInput:
        return _refusal(404, "NOT_FOUND", "No such file.")
    if opened is None:
        return _refusal(404, "NOT_FOUND", "No such file.")
    if isinstance(opened, Path):
        return FileResponse(opened, filename=offered or None, headers=_HEADERS)
    headers = {
        **_HEADERS,
        "Content-Length": str(opened.size),
        "Last-Modified": formatdate(opened.modified, usegmt=True),
    }
    if offered:
        headers["Content-Disposition"] = _disposition(offered)
    media_type = mimetypes.guess_type(offered or relative)[0] or "application/octet-stream"
    if request.method == "HEAD":
        # Starlette's StreamingResponse reads the whole body for a HEAD too: the headers
        # only, and the object's stream closed unread.
        opened.release()
        return Response(headers=headers, media_type=media_type)
    return StreamingResponse(opened.chunks, headers=headers, media_type=media_type)
