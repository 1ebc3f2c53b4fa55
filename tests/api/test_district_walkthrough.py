"""Issue 16's "done when", as a district admin and a resident would do it over HTTP: a template
downloaded, filled, dry-run, its errors read, imported; coverage changed; the result exported to
XLSX and opened; the micro-grid at a point found on the map; a photo report by position landing
with that micro-grid."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from PIL import Image
from shapely.geometry import shape

from seed.demo import DEMO_COMMUNITY
from services.geo import index
from services.models import Area, WorkOrder
from tests.api.multipart_support import gql_upload
from tests.conftest import Database, gql, login
from tests.schema.grids_support import gid, key_of, micro_grid_m
from tests.schema.imports_support import wait_for_job

IMPORT = """
mutation ($input: ImportDataInput!) {
  importData(input: $input) {
    __typename
    ... on ImportDataSuccess { job { id status } }
    ... on Error { code message }
  }
}
"""

COVERAGE = "query ($id: ID!) { node(id: $id) { ... on Area { coverage { households } } } }"

EXPORT = """
mutation ($input: ExportDataInput!) {
  exportData(input: $input) {
    __typename
    ... on ExportDataSuccess { url filename rows }
    ... on Error { code message }
  }
}
"""

AREA_AT = "query ($lon: Float!, $lat: Float!) { areaAt(longitude: $lon, latitude: $lat) { id } }"

REPORT = """
mutation ($input: ReportProblemInput!) {
  reportProblem(input: $input) {
    __typename
    ... on ReportProblemSuccess { workOrder { id photos { url thumbnailUrl } } }
    ... on Error { code message }
  }
}
"""


@pytest.fixture(autouse=True)
def _fresh_index() -> Iterator[None]:
    # the spatial index is the process's; this test's database is its own
    index.forget()
    yield
    index.forget()


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


async def _import(
    client: httpx.AsyncClient, token: str, data: bytes, *, dry_run: bool
) -> dict[str, Any]:
    response = await gql_upload(
        client,
        IMPORT,
        {"input": {"kind": "HOUSEHOLDS", "dryRun": dry_run}},
        {"input.file": ("households.csv", data, "text/csv")},
        token=token,
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["importData"]
    assert result["__typename"] == "ImportDataSuccess", result
    # the job runs in the background; the console polls it until it ends
    return await wait_for_job(client, token, result["job"]["id"])


async def test_a_district_comes_in_and_goes_out(
    db: Database, client: httpx.AsyncClient, media_dir: Path
) -> None:
    admin = await login(client, "community_admin")
    community = await Area.get(name=DEMO_COMMUNITY)
    micro = await micro_grid_m()
    # the admin downloads the households template
    url = (await gql(client, "{ importTemplate(kind: HOUSEHOLDS, format: CSV) }"))["data"][
        "importTemplate"
    ]
    template = await client.get(url)
    assert template.status_code == 200
    header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))

    # and fills it: three new households in micro-grid M, one with a micro-grid code that is
    # not the district's
    def row(number: str, micro_code: str | None, room: str) -> list[str]:
        values = {"户号": number, "社区编码": community.code, "微网格编码": micro_code}
        values |= {"地址": "颜山路88号", "房号": room, "人数": "2"}
        return [values.get(name) or "" for name in header]

    def filled(rows: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return out.getvalue().encode("gb18030")  # as Chinese Excel saves it

    good = [row(f"YS-88-{i}", micro.code, f"10{i}") for i in range(3)]
    bad = [*good[:2], row("YS-88-2", "NO-SUCH-CODE", "102")]
    before = (await gql(client, COVERAGE, {"id": gid("Area", micro.id)}, token=admin))["data"]
    # the dry run of the faulty file names the row and the column, and writes nothing
    job = await _import(client, admin, filled(bad), dry_run=True)
    assert job["status"] == "FAILED" and job["errorCount"] == 1
    problem = job["errors"]["edges"][0]["node"]
    assert (problem["row"], problem["column"]) == (4, "微网格编码")
    # fixed, the dry run is clean, and the import writes the three households
    assert (await _import(client, admin, filled(good), dry_run=True))["status"] == "DRY_RUN_DONE"
    done = await _import(client, admin, filled(good), dry_run=False)
    assert (done["status"], done["created"]) == ("SUCCEEDED", 3)
    # coverage changed
    after = (await gql(client, COVERAGE, {"id": gid("Area", micro.id)}, token=admin))["data"]
    assert after["node"]["coverage"]["households"] == before["node"]["coverage"]["households"] + 3
    # the community's households go out as XLSX, and the file opens with the template's headers
    body = await gql(
        client,
        EXPORT,
        {"input": {"kind": "HOUSEHOLDS", "under": gid("Area", community.id), "format": "XLSX"}},
        token=admin,
    )
    exported = body["data"]["exportData"]
    assert exported["__typename"] == "ExportDataSuccess", body
    download = await client.get(exported["url"])
    assert download.status_code == 200
    sheet = load_workbook(io.BytesIO(download.content), read_only=True).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == header
    assert {"YS-88-0", "YS-88-1", "YS-88-2"} <= {r[header.index("户号")] for r in rows[1:]}
    # the map finds micro-grid M at a point inside it
    found = await gql(
        client, "query ($c: String!) { areaByCode(code: $c) { boundary } }", {"c": micro.code}
    )
    point = shape(found["data"]["areaByCode"]["boundary"]).representative_point()
    at = await gql(client, AREA_AT, {"lon": point.x, "lat": point.y})
    assert at["data"]["areaAt"]["id"] == gid("Area", micro.id)
    # and a resident's photo report from that point, with no area chosen, lands with M
    resident = await login(client, "resident")
    response = await gql_upload(
        client,
        REPORT,
        {
            "input": {
                "category": "SANITATION",
                "location": "88号楼东侧",
                "description": "垃圾满溢",
                "position": {"longitude": point.x, "latitude": point.y},
            }
        },
        {"input.photos.0": ("photo.jpg", _photo(), "image/jpeg")},
        token=resident,
    )
    report = response.json()["data"]["reportProblem"]
    assert report["__typename"] == "ReportProblemSuccess", report
    order = await WorkOrder.get(id=key_of(report["workOrder"]["id"]))
    assert order.area_id == micro.id
    [photo] = report["workOrder"]["photos"]
    assert (await client.get(photo["url"])).headers["content-type"] == "image/jpeg"
