"""`exportData` through GraphQL: the signed link downloads the file through /media, expires,
and the mutation is scoped like the service."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
from openpyxl import load_workbook

from seed.demo import DEMO_COMMUNITY
from services.enums import Role
from services.kit import clock
from services.kit.media import link_expiry
from services.models import Area, Household, RoleAssignment, UserAccount
from tests.conftest import Database, gql, login, s3_keys
from tests.schema.grids_support import gid
from tests.services.exports.support import files_under

EXPORT_DATA = """
mutation($input: ExportDataInput!) {
  exportData(input: $input) {
    __typename
    ... on ExportDataSuccess { url filename rows expiresAt }
    ... on Error { code field message }
  }
}
"""


async def test_an_admin_downloads_the_households_of_the_community(
    db: Database, client: httpx.AsyncClient, media_dir: Path
) -> None:
    # given the demo community and its admin
    token = await login(client, "community_admin")
    community = await Area.get(name=DEMO_COMMUNITY)
    # when they export its households to XLSX
    body = await gql(
        client,
        EXPORT_DATA,
        {"input": {"kind": "HOUSEHOLDS", "under": gid("Area", community.id), "format": "XLSX"}},
        token=token,
    )
    payload = body["data"]["exportData"]
    assert payload["__typename"] == "ExportDataSuccess", body
    expected = sum(h.path.startswith(community.path) for h in await Household.all())
    assert payload["rows"] == expected > 0
    assert payload["filename"] == f"家庭_{DEMO_COMMUNITY}_2026-05-13.xlsx"
    # then the link downloads a workbook with the template's headers, offering that name
    response = await client.get(payload["url"])
    assert response.status_code == 200
    disposition = unquote(response.headers["content-disposition"])
    assert payload["filename"] in disposition
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("户号", "社区编码", "微网格编码", "地址")
    assert len(rows) - 1 == expected
    # and once the link expired it is refused
    expiry = link_expiry(payload["url"])
    assert expiry is not None and expiry.isoformat() == payload["expiresAt"].replace("Z", "+00:00")
    with clock.frozen(expiry + timedelta(seconds=1)):
        assert (await client.get(payload["url"])).status_code == 403
    # and so is the path without its token
    assert (await client.get(payload["url"].partition("?")[0])).status_code == 403


async def test_out_of_scope_and_anonymous_get_typed_errors(
    db: Database, client: httpx.AsyncClient, media_dir: Path
) -> None:
    community = await Area.get(name=DEMO_COMMUNITY)
    variables = {"input": {"kind": "LEDGER", "under": gid("Area", community.id), "format": "CSV"}}
    # a grid leader may not export the ledger; an anonymous caller nothing at all
    token = await login(client, "grid_leader")
    refused = (await gql(client, EXPORT_DATA, variables, token=token))["data"]["exportData"]
    assert refused["__typename"] == "Forbidden" and refused["code"] == "FORBIDDEN"
    anonymous = (await gql(client, EXPORT_DATA, variables))["data"]["exportData"]
    assert anonymous["code"] == "UNAUTHENTICATED"
    # full phone numbers are for admins of the area, not for the leader of a grid
    leader = await UserAccount.get(username="grid_leader")
    grid = await RoleAssignment.get(person_id=leader.person_id, role=Role.GRID_LEADER, until=None)
    assert grid.area_id is not None
    variables["input"] |= {
        "kind": "PEOPLE",
        "unmaskedPhones": True,
        "under": gid("Area", grid.area_id),
    }
    masked = (await gql(client, EXPORT_DATA, variables, token=token))["data"]["exportData"]
    assert masked["__typename"] == "Forbidden" and masked["field"] == "unmaskedPhones"
    # nothing was written
    assert files_under(media_dir) == []


async def test_with_s3_the_file_is_kept_in_the_bucket_and_streamed_from_it(
    db: Database, client: httpx.AsyncClient, s3_media: Any, media_dir: Path
) -> None:
    # given MEDIA_STORE=s3 and the community's admin
    token = await login(client, "community_admin")
    community = await Area.get(name=DEMO_COMMUNITY)
    # when they export its households to CSV
    body = await gql(
        client,
        EXPORT_DATA,
        {"input": {"kind": "HOUSEHOLDS", "under": gid("Area", community.id), "format": "CSV"}},
        token=token,
    )
    payload = body["data"]["exportData"]
    assert payload["__typename"] == "ExportDataSuccess", body
    # then the file is one object in the bucket, none on the local disk
    (key,) = s3_keys(s3_media)
    assert key.startswith("exports/2026-05-13/") and key.endswith("/households.csv")
    assert files_under(media_dir) == []
    # and the service's link streams it, headers and every row
    response = await client.get(payload["url"])
    assert response.status_code == 200
    assert payload["filename"] in unquote(response.headers["content-disposition"])
    text = response.content.decode("utf-8-sig").splitlines()
    assert text[0].startswith("户号,社区编码") and len(text) - 1 == payload["rows"] > 0
