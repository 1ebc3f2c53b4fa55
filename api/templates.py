"""GET /templates/{kind}.{csv|xlsx}: the import templates (导入模板), public (headers only)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from services.enums import ImportKind
from services.imports.templates import template, template_name

TEMPLATES_ROUTE = "/templates/{name}"
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def serve(request: Request) -> Response:
    """The template named `households.xlsx`, `people.csv`, ... (404 for anything else)."""
    stem, _, fmt = str(request.path_params["name"]).rpartition(".")
    try:
        kind = ImportKind(stem.upper())
    except ValueError:
        return PlainTextResponse("Not found.", status_code=404)
    if fmt not in ("csv", "xlsx"):
        return PlainTextResponse("Not found.", status_code=404)
    name = template_name(kind, "csv" if fmt == "csv" else "xlsx")
    return Response(
        template(kind, "csv" if fmt == "csv" else "xlsx"),
        media_type=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
