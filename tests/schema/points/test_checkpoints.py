"""Ledger checkpoints through the API: cut on demand, listed for the people of the community,
published once as a notice (公示), the signing key, and the signature checked by a client."""

from __future__ import annotations

import asyncio
import json

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from strawberry import relay

from services.models import Area, LedgerCheckpoint, Notice
from tests.conftest import gql, login
from tests.schema.points_support import area_gid

CREATE = """
mutation C($c: ID!) {
  createLedgerCheckpoint(input: {communityId: $c}) {
    __typename
    ... on CreateLedgerCheckpointSuccess {
      checkpoint { id sequence kind length fromLength transactionCount merkleRoot headHash
        keyId publicKey signature signedMessage community { name } notice { id } }
    }
    ... on Error { code message field }
  }
}"""

LIST = """
query L($u: ID!) {
  ledgerCheckpoints(under: $u, first: 10) {
    totalCount
    edges { node { id sequence kind day merkleRoot community { name } } }
  }
}"""

PUBLISH = """
mutation P($id: ID!) {
  publishLedgerCheckpoint(input: {checkpointId: $id}) {
    __typename
    ... on PublishLedgerCheckpointSuccess {
      checkpoint { id notice { id } } notice { id title body }
    }
    ... on Error { code message field }
  }
}"""

KEY = "query { ledgerSigningKey { keyId publicKey previousKeys } }"


async def _create(client: httpx.AsyncClient, token: str) -> dict:
    body = await gql(client, CREATE, {"c": await area_gid("颜山社区")}, token=token)
    return body["data"]["createLedgerCheckpoint"]


class TestCreateLedgerCheckpoint:
    """createLedgerCheckpoint."""

    async def test_an_admin_cuts_a_signed_checkpoint_anyone_can_check(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo ledger and the community's admin
        admin = await login(client, "community_admin")
        # when they ask for a checkpoint
        result = await _create(client, admin)
        # then it covers the whole chain so far, signed by the published key
        assert result["__typename"] == "CreateLedgerCheckpointSuccess", result
        cp = result["checkpoint"]
        assert cp["sequence"] == 1 and cp["kind"] == "ON_DEMAND" and cp["fromLength"] == 0
        assert cp["transactionCount"] == cp["length"] > 0
        assert cp["community"]["name"] == "颜山社区" and cp["notice"] is None
        key = (await gql(client, KEY))["data"]["ledgerSigningKey"]
        assert key["publicKey"] == cp["publicKey"] and key["keyId"] == cp["keyId"]
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["publicKey"])).verify(
            bytes.fromhex(cp["signature"]), cp["signedMessage"].encode()
        )
        signed = json.loads(cp["signedMessage"])
        assert signed["root"] == cp["merkleRoot"] and signed["head"] == cp["headHash"]
        # and asking again with nothing new answers the same checkpoint
        again = await _create(client, admin)
        assert again["checkpoint"]["id"] == cp["id"]
        assert await LedgerCheckpoint.all().count() == 1

    async def test_people_who_do_not_run_the_community_may_not(
        self, client: httpx.AsyncClient
    ) -> None:
        # given a resident of the community
        resident = await login(client, "resident")
        # when they ask for a checkpoint
        result = await _create(client, resident)
        # then they are refused and nothing is cut
        assert result["code"] == "FORBIDDEN", result
        assert await LedgerCheckpoint.all().count() == 0


class TestLedgerCheckpoints:
    """ledgerCheckpoints and node(id:)."""

    async def test_the_people_of_the_community_list_them(self, client: httpx.AsyncClient) -> None:
        # given a checkpoint of 颜山社区
        admin = await login(client, "community_admin")
        cp = (await _create(client, admin))["checkpoint"]
        # when a resident of the community lists the checkpoints under it
        resident = await login(client, "resident")
        body = await gql(client, LIST, {"u": await area_gid("颜山社区")}, token=resident)
        # then they see it
        page = body["data"]["ledgerCheckpoints"]
        assert page["totalCount"] == 1, body
        assert page["edges"][0]["node"]["id"] == cp["id"]
        assert page["edges"][0]["node"]["community"]["name"] == "颜山社区"
        # and the district admin sees it from the district
        district = await login(client, "district_admin")
        district_area = await Area.filter(level="DISTRICT").order_by("id").first()
        assert district_area is not None
        body = await gql(
            client,
            LIST,
            {"u": str(relay.GlobalID("Area", str(district_area.id)))},
            token=district,
        )
        assert [e["node"]["id"] for e in body["data"]["ledgerCheckpoints"]["edges"]] == [cp["id"]]

    async def test_someone_from_elsewhere_is_refused(self, client: httpx.AsyncClient) -> None:
        # given a checkpoint of 颜山社区 and a person placed nowhere
        admin = await login(client, "community_admin")
        cp = (await _create(client, admin))["checkpoint"]
        newcomer = await login(client, "newcomer")
        # when they list it or read it by id
        body = await gql(client, LIST, {"u": await area_gid("颜山社区")}, token=newcomer)
        node = await gql(
            client,
            "query N($id: ID!) { node(id: $id) { id } }",
            {"id": cp["id"]},
            token=newcomer,
        )
        # then they are refused, and the node is not found
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert node["data"]["node"] is None


class TestPublishLedgerCheckpoint:
    """publishLedgerCheckpoint."""

    async def test_published_once_as_a_notice_with_what_is_needed_to_check_it(
        self, client: httpx.AsyncClient
    ) -> None:
        # given a checkpoint
        admin = await login(client, "community_admin")
        cp = (await _create(client, admin))["checkpoint"]
        notices_before = await Notice.all().count()
        # when the admin publishes it, twice
        first = (await gql(client, PUBLISH, {"id": cp["id"]}, token=admin))["data"][
            "publishLedgerCheckpoint"
        ]
        second = (await gql(client, PUBLISH, {"id": cp["id"]}, token=admin))["data"][
            "publishLedgerCheckpoint"
        ]
        # then one notice carries the root, the key and the signature
        assert first["__typename"] == "PublishLedgerCheckpointSuccess", first
        notice = first["notice"]
        assert second["notice"]["id"] == notice["id"]
        assert first["checkpoint"]["notice"]["id"] == notice["id"]
        assert await Notice.all().count() == notices_before + 1
        assert "积分账本公示" in notice["title"]
        for part in (cp["merkleRoot"], cp["headHash"], cp["publicKey"], cp["signature"]):
            assert part in notice["body"]

    async def test_two_admins_publishing_at_once_make_one_notice(
        self, client: httpx.AsyncClient
    ) -> None:
        # given a checkpoint and two admins of its community
        admin = await login(client, "community_admin")
        street_admin = await login(client, "street_admin")
        cp = (await _create(client, admin))["checkpoint"]
        notices_before = await Notice.all().count()
        # when both publish it at the same time
        both = await asyncio.gather(
            gql(client, PUBLISH, {"id": cp["id"]}, token=admin),
            gql(client, PUBLISH, {"id": cp["id"]}, token=street_admin),
        )
        # then both are answered with the one notice, and only one was sent
        results = [body["data"]["publishLedgerCheckpoint"] for body in both]
        assert {r["__typename"] for r in results} == {"PublishLedgerCheckpointSuccess"}, results
        assert results[0]["notice"]["id"] == results[1]["notice"]["id"]
        assert await Notice.all().count() == notices_before + 1
        saved = await LedgerCheckpoint.get(id=int(relay.GlobalID.from_id(cp["id"]).node_id))
        assert str(saved.notice_id) == relay.GlobalID.from_id(results[0]["notice"]["id"]).node_id

    async def test_a_resident_may_not_publish(self, client: httpx.AsyncClient) -> None:
        # given a checkpoint and a resident of the community
        admin = await login(client, "community_admin")
        cp = (await _create(client, admin))["checkpoint"]
        resident = await login(client, "resident")
        notices_before = await Notice.all().count()
        # when the resident publishes it
        result = (await gql(client, PUBLISH, {"id": cp["id"]}, token=resident))["data"][
            "publishLedgerCheckpoint"
        ]
        # then they are refused and no notice is made
        assert result["code"] == "FORBIDDEN", result
        assert await Notice.all().count() == notices_before
