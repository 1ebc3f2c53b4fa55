"""GET /media/<path>?token=...: a file the service keeps, for whoever holds a signed link to it
(services.kit.media), streamed from disk."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from services.errors import InvalidInput
from services.kit.media import check_media_token, media_path


def _refusal(status: int, code: str, message: str) -> Response:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status
    )


async def serve(request: Request) -> Response:
    relative = request.path_params["path"]  # decoded by the router
    offered = check_media_token(relative, request.query_params.get("token", ""))
    if offered is None:
        return _refusal(403, "FORBIDDEN", "The link is not valid for this file, or has expired.")
    try:
        path = media_path(relative)
    except InvalidInput:
        return _refusal(404, "NOT_FOUND", "No such file.")
    if not path.is_file():
        return _refusal(404, "NOT_FOUND", "No such file.")
    return FileResponse(
        path,
        filename=offered or None,
        # A link lasts minutes and names one reader's file: no shared cache keeps it.
        # The token is in the URL: no Referer carries it to the pages a file links to.
        headers={
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
