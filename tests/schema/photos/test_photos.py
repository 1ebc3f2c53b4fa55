"""Photos through the API: uploaded by the GraphQL multipart request spec on reportProblem,
resolveWorkOrder and addActivityPhotos, read back as short-lived signed links that download
through /media, only by those who may see what they belong to."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from services.kit import clock
from services.kit.media import link_expiry
from services.models import Photo, WorkOrder
from tests.conftest import Database, gql, login, s3_keys
from tests.schema.workorders_support import gid
from tests.services.photos.images import encoded, jpeg
from tests.services.photos.test_attachments import files_in
from tests.services.volunteering_support import activity
from tests.services.workorders_support import micro_grid

RESULT = "__typename ... on Error { code message } ... on InvalidInput { field }"
PHOTO = "url thumbnailUrl contentType width height bytes"

REPORT = f"""
mutation R($input: ReportProblemInput!) {{ reportProblem(input: $input) {{ {RESULT}
  ... on ReportProblemSuccess {{ workOrder {{ id photoUrls photos {{ {PHOTO} }} }} }} }} }}"""

RESOLVE = f"""
mutation V($input: ResolveWorkOrderInput!) {{ resolveWorkOrder(input: $input) {{ {RESULT}
  ... on ResolveWorkOrderSuccess {{ workOrder {{ status
    timeline {{ action photos {{ {PHOTO} }} }} }} }} }} }}"""

STEP = """
mutation S($input: {kind}!) {{ {name}(input: $input) {{ __typename }} }}"""

ADD = f"""
mutation A($input: AddActivityPhotosInput!) {{ addActivityPhotos(input: $input) {{ {RESULT}
  ... on AddActivityPhotosSuccess {{ photos {{ {PHOTO} }}
    activity {{ photos {{ url }} }} }} }} }}"""

NODE = f"""
query N($id: ID!) {{ node(id: $id) {{ __typename
  ... on WorkOrder {{ photos {{ {PHOTO} }} timeline {{ photos {{ url }} }} }}
  ... on VolunteerActivity {{ photos {{ {PHOTO} }} }} }} }}"""


@pytest.fixture(autouse=True)
def _own_media_dir(media_dir: Path) -> Path:
    """Each test stores its photos in its own MEDIA_DIR (before the app reads the settings)."""
    return media_dir


async def multipart(
    http: httpx.AsyncClient,
    query: str,
    input_values: dict[str, Any],
    files: list[tuple[str, bytes, str]],
    *,
    token: str,
) -> dict[str, Any]:
    """A mutation with `input.photos` sent as files (the GraphQL multipart request spec); with
    no file, as JSON."""
    if not files:
        return await gql(http, query, {"input": input_values}, token=token)
    operations = {
        "query": query,
        "variables": {"input": {**input_values, "photos": [None] * len(files)}},
    }
    files_map = {str(i): [f"variables.input.photos.{i}"] for i in range(len(files))}
    response = await http.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(files_map)},
        files={str(i): file for i, file in enumerate(files)},
        headers={"Authorization": f"Bearer {token}", "GraphQL-Preflight": "1"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


async def latest_order() -> WorkOrder:
    found = await WorkOrder.all().order_by("-id").first()
    assert found is not None
    return found


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def report(http: httpx.AsyncClient, token: str, *files: tuple[str, bytes, str]) -> Any:
    body = await multipart(
        http,
        REPORT,
        {
            "category": "SANITATION",
            "areaId": gid("Area", (await micro_grid()).id),
            "location": "3 号楼东侧",
            "description": "垃圾满溢",
            "photoUrls": ["https://img.example.com/a.jpg"],
        },
        list(files),
        token=token,
    )
    return body["data"]["reportProblem"]


class TestReportProblem:
    async def test_uploaded_photos_download_clean_through_signed_links(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given a grid worker reporting with a phone photo (GPS in its EXIF) and a PNG
        rider = await login(client, "rider")
        result = await report(
            client,
            rider,
            ("street.jpg", jpeg((640, 480)), "image/jpeg"),
            ("map.png", encoded("PNG", (30, 20)), "image/png"),
        )

        # then the order has both, and today's links are kept
        assert result["__typename"] == "ReportProblemSuccess", result
        order = result["workOrder"]
        assert order["photoUrls"] == ["https://img.example.com/a.jpg"]
        first, second = order["photos"]
        assert (first["width"], first["height"]) == (640, 480)
        assert (second["width"], second["height"]) == (30, 20)
        assert first["contentType"] == "image/jpeg"

        # and the photo downloads by its link, as a JPEG without EXIF (no GPS)
        got = await client.get(first["url"])
        assert got.status_code == 200
        assert got.headers["content-type"] == "image/jpeg"
        # shown inline in a browser or WebView, not offered as a download
        assert "attachment" not in got.headers.get("content-disposition", "")
        assert len(got.content) == first["bytes"]
        assert b"GridCam" not in got.content
        assert len(decoded(got.content).getexif()) == 0
        thumb = await client.get(first["thumbnailUrl"])
        assert thumb.status_code == 200 and decoded(thumb.content).size == (320, 240)

        # and the database holds the rows
        latest = await latest_order()
        assert gid("WorkOrder", latest.id) == order["id"]
        assert await Photo.filter(work_order_id=latest.id).count() == 2

    async def test_with_s3_the_photos_go_to_the_bucket_and_download_from_it(
        self, db: Database, client: httpx.AsyncClient, s3_media: Any, media_dir: Path
    ) -> None:
        # given MEDIA_STORE=s3, a grid worker reports with a photo
        rider = await login(client, "rider")
        result = await report(client, rider, ("street.jpg", jpeg((640, 480)), "image/jpeg"))
        assert result["__typename"] == "ReportProblemSuccess", result
        # then the photo and its thumbnail are objects in the bucket, nothing is on the disk
        keys = s3_keys(s3_media)
        assert len(keys) == 2 and all(k.startswith("photos/2026/05/") for k in keys)
        assert files_in(media_dir) == []
        # and both download through the service's links, the photo shown inline
        photo = result["workOrder"]["photos"][0]
        got = await client.get(photo["url"])
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
        assert "content-disposition" not in got.headers
        assert len(got.content) == photo["bytes"]
        assert decoded(got.content).size == (640, 480)
        thumb = await client.get(photo["thumbnailUrl"])
        assert thumb.status_code == 200 and decoded(thumb.content).size == (320, 240)

    async def test_an_expired_or_tampered_link_is_refused(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        rider = await login(client, "rider")
        result = await report(client, rider, ("a.jpg", jpeg(), "image/jpeg"))
        url = result["workOrder"]["photos"][0]["url"]
        expiry = link_expiry(url)
        assert expiry is not None
        assert expiry - clock.now() <= timedelta(minutes=10)
        with clock.frozen(expiry + timedelta(seconds=1)):
            assert (await client.get(url)).status_code == 403
        # a link to the photo does not open its thumbnail
        thumbnail = result["workOrder"]["photos"][0]["thumbnailUrl"].partition("?")[0]
        assert (await client.get(thumbnail + "?" + url.partition("?")[2])).status_code == 403

    async def test_a_file_that_is_no_photo_is_refused_and_nothing_is_stored(
        self, db: Database, client: httpx.AsyncClient, media_dir: Path
    ) -> None:
        rider = await login(client, "rider")
        before = await WorkOrder.all().count()
        result = await report(
            client,
            rider,
            ("a.jpg", jpeg(), "image/jpeg"),
            ("b.jpg", encoded("GIF"), "image/jpeg"),  # the name and type lie
        )
        assert result["__typename"] == "InvalidInput"
        assert result["field"] == "photos"
        assert await WorkOrder.all().count() == before
        assert files_in(media_dir) == []

    async def test_photos_sent_as_json_are_refused(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        rider = await login(client, "rider")
        values = {
            "category": "SANITATION",
            "areaId": gid("Area", (await micro_grid()).id),
            "location": "3 号楼东侧",
            "description": "垃圾满溢",
            "photos": ["not a file"],
        }
        body = await gql(client, REPORT, {"input": values}, token=rider)
        assert body["data"]["reportProblem"]["__typename"] == "InvalidInput"


class TestWhoSeesThem:
    async def test_only_who_may_see_the_report_gets_its_photos(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        rider = await login(client, "rider")
        await report(client, rider, ("a.jpg", jpeg(), "image/jpeg"))
        order = await latest_order()
        node = gid("WorkOrder", order.id)

        # the micro-grid's leader (who handles it) sees its photos
        leader = await login(client, "microgrid_leader")
        seen = await gql(client, NODE, {"id": node}, token=leader)
        assert len(seen["data"]["node"]["photos"]) == 1
        # a resident of the community (not the reporter) does not see the order, nor its photos
        resident = await login(client, "resident")
        hidden = await gql(client, NODE, {"id": node}, token=resident)
        assert hidden["data"]["node"] is None
        # nor does an anonymous caller
        anonymous = await gql(client, NODE, {"id": node})
        assert anonymous.get("data", {}).get("node") is None


class TestResolveWithPhoto:
    async def test_the_result_photo_is_on_the_resolve_step(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        rider = await login(client, "rider")
        await report(client, rider)
        order = await latest_order()
        leader = await login(client, "microgrid_leader")
        node = gid("WorkOrder", order.id)
        for name, kind in (
            ("acceptWorkOrder", "AcceptWorkOrderInput"),
            ("startWorkOrder", "StartWorkOrderInput"),
        ):
            body = await gql(
                client,
                STEP.format(name=name, kind=kind),
                {"input": {"workOrderId": node}},
                token=leader,
            )
            assert body["data"][name]["__typename"] == kind.replace("Input", "Success"), body
        body = await multipart(
            client,
            RESOLVE,
            {"workOrderId": node, "note": "已清运"},
            [("after.webp", encoded("WEBP", (50, 40)), "image/webp")],
            token=leader,
        )
        result = body["data"]["resolveWorkOrder"]
        assert result["__typename"] == "ResolveWorkOrderSuccess", result
        steps = result["workOrder"]["timeline"]
        resolved = [s for s in steps if s["action"] == "RESOLVE"]
        assert [(p["width"], p["height"]) for p in resolved[0]["photos"]] == [(50, 40)]
        assert all(s["photos"] == [] for s in steps if s["action"] != "RESOLVE")
        got = await client.get(resolved[0]["photos"][0]["url"])
        assert got.status_code == 200 and decoded(got.content).format == "JPEG"


class TestActivityPhotos:
    async def test_organisers_add_photos_that_signed_in_users_see(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        item = await activity(by="community_admin")
        node = gid("VolunteerActivity", item.id)
        admin = await login(client, "community_admin")
        body = await multipart(
            client,
            ADD,
            {"activityId": node},
            [("group.jpg", jpeg((200, 100)), "image/jpeg")],
            token=admin,
        )
        result = body["data"]["addActivityPhotos"]
        assert result["__typename"] == "AddActivityPhotosSuccess", result
        assert len(result["photos"]) == 1 and len(result["activity"]["photos"]) == 1

        resident = await login(client, "resident")
        seen = await gql(client, NODE, {"id": node}, token=resident)
        (photo,) = seen["data"]["node"]["photos"]
        assert (await client.get(photo["thumbnailUrl"])).status_code == 200
        # an anonymous caller (who may not list activities either) gets none
        anonymous = await gql(client, NODE, {"id": node})
        hidden = (anonymous.get("data") or {}).get("node")
        assert hidden is None or hidden["photos"] == []

    async def test_others_may_not_add_photos(self, db: Database, client: httpx.AsyncClient) -> None:
        item = await activity(by="community_admin")
        resident = await login(client, "resident")
        body = await multipart(
            client,
            ADD,
            {"activityId": gid("VolunteerActivity", item.id)},
            [("x.jpg", jpeg(), "image/jpeg")],
            token=resident,
        )
        assert body["data"]["addActivityPhotos"]["__typename"] == "Forbidden"
        assert await Photo.filter(activity_id=item.id).count() == 0
