"""GraphQL for bulk import: importData over the multipart request spec (a community admin,
dry run then for real, row problems as a connection) returning a QUEUED job at once, importJob
for its runner only (polled until the job ends), importTemplate's URL and the template it
serves."""

from __future__ import annotations

from typing import Any

import httpx

from seed.demo import DEMO_COMMUNITY
from services.enums import ImportKind, PartnerUnitStatus
from services.imports.columns import headers
from services.models import Area, Household, PartnerUnit
from tests.api.multipart_support import gql_upload
from tests.conftest import Database, gql, login
from tests.schema.imports_support import JOB_FIELDS, wait_for_job

IMPORT = f"""
mutation ($input: ImportDataInput!) {{
  importData(input: $input) {{
    __typename
    ... on ImportDataSuccess {{ job {{ {JOB_FIELDS} }} }}
    ... on Error {{ code message }}
  }}
}}
"""

JOB = "query ($id: ID!) { importJob(id: $id) { status rowsTotal rowsDone created } }"


async def _file(rows: int, bad: bool = False) -> bytes:
    community = await Area.get(name=DEMO_COMMUNITY)
    lines = [",".join(headers(ImportKind.HOUSEHOLDS))]
    lines += [f"GQL-{i},{community.code},,颜山路{i}号,,,,2" for i in range(rows)]
    if bad:
        lines.append("GQL-X,NOPE,,某路,,,,2")
    return ("\n".join(lines) + "\n").encode("gb18030")


async def _start(
    client: httpx.AsyncClient, token: str, data: bytes, *, dry_run: bool, kind: str = "HOUSEHOLDS"
) -> dict[str, Any]:
    response = await gql_upload(
        client,
        IMPORT,
        {"input": {"kind": kind, "dryRun": dry_run}},
        {"input.file": (f"{kind.lower()}.csv", data, "text/csv")},
        token=token,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["importData"]
    return result


async def _import(
    client: httpx.AsyncClient, token: str, data: bytes, *, dry_run: bool, kind: str = "HOUSEHOLDS"
) -> dict[str, Any]:
    """The mutation's answer: the job QUEUED (not run yet), replaced by the job once finished."""
    result = await _start(client, token, data, dry_run=dry_run, kind=kind)
    if result["__typename"] != "ImportDataSuccess":
        return result
    job = result["job"]
    assert (job["status"], job["rowsDone"], job["errorCount"]) == ("QUEUED", 0, 0)
    return result | {"job": await wait_for_job(client, token, job["id"])}


class TestImportData:
    async def test_dry_run_then_import_then_the_job_is_readable(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        token = await login(client, "community_admin")
        count = await Household.all().count()
        dry = await _import(client, token, await _file(2), dry_run=True)
        assert dry["__typename"] == "ImportDataSuccess"
        job = dry["job"]
        assert isinstance(job, dict)
        assert (job["status"], job["created"], job["dryRun"]) == ("DRY_RUN_DONE", 2, True)
        assert await Household.all().count() == count
        done = await _import(client, token, await _file(2), dry_run=False)
        job = done["job"]
        assert isinstance(job, dict)
        assert (job["status"], job["created"]) == ("SUCCEEDED", 2)
        assert await Household.all().count() == count + 2
        # the runner reads the job again; another admin does not see it
        read = await gql(client, JOB, {"id": job["id"]}, token=token)
        assert read["data"]["importJob"] == {
            "status": "SUCCEEDED",
            "rowsTotal": 2,
            "rowsDone": 2,
            "created": 2,
        }
        other = await login(client, "street_admin")
        hidden = await gql(client, JOB, {"id": job["id"]}, token=other)
        assert hidden["data"]["importJob"] is None

    async def test_problems_come_back_row_by_row_and_nothing_is_written(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        token = await login(client, "community_admin")
        count = await Household.all().count()
        done = await _import(client, token, await _file(1, bad=True), dry_run=False)
        job = done["job"]
        assert isinstance(job, dict)
        assert job["status"] == "FAILED"
        assert job["errors"] == {
            "totalCount": 1,
            "edges": [
                {
                    "node": {
                        "row": 3,
                        "column": "社区编码",
                        "code": "NOT_FOUND",
                        "message": "No area has the code NOPE.",
                    }
                }
            ],
        }
        assert await Household.all().count() == count

    async def test_partner_units_import_approved(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given a community admin and a file of two partner units of their community
        token = await login(client, "community_admin")
        community = await Area.get(name=DEMO_COMMUNITY)
        lines = [",".join(headers(ImportKind.PARTNERS))]
        lines += [
            f"GQL单位{i},企业,{community.code},颜山路{i}号,13800138000,简介" for i in range(2)
        ]
        data = ("\n".join(lines) + "\n").encode("gb18030")
        # when they import it
        done = await _import(client, token, data, dry_run=False, kind="PARTNERS")
        # then both are created, approved, in that community
        assert done["__typename"] == "ImportDataSuccess"
        job = done["job"]
        assert isinstance(job, dict)
        assert (job["kind"], job["status"], job["created"]) == ("PARTNERS", "SUCCEEDED", 2)
        units = await PartnerUnit.filter(name__startswith="GQL单位")
        assert {(u.community_id, u.status) for u in units} == {
            (community.id, PartnerUnitStatus.APPROVED)
        }
        assert len(units) == 2

    async def test_a_resident_may_not_import(self, db: Database, client: httpx.AsyncClient) -> None:
        token = await login(client, "volunteer")
        done = await _import(client, token, await _file(1), dry_run=False)
        assert (done["__typename"], done["code"]) == ("Forbidden", "FORBIDDEN")


class TestImportTemplate:
    async def test_the_url_serves_the_template(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        body = await gql(client, "{ importTemplate(kind: PEOPLE, format: CSV) }")
        url = body["data"]["importTemplate"]
        assert url == "/templates/people.csv"
        response = await client.get(url)
        assert response.status_code == 200
        assert response.content.decode("utf-8-sig").strip() == ",".join(headers(ImportKind.PEOPLE))
        assert (await client.get("/templates/nothing.csv")).status_code == 404
