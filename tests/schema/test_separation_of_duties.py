"""Separation of duties through the API: an admin reviewing an award paid to themselves, or
reversing a penalty given to themselves, gets a FORBIDDEN error and changes nothing."""

from __future__ import annotations

import httpx
from strawberry import relay

from services.enums import AwardStatus
from services.models import PointsAward, PointsTransaction
from tests.conftest import Database, gql, login
from tests.services.database_support import fingerprint
from tests.services.points_support import award, counts, penalize, rule

APPROVE = """
mutation A($id: ID!) { approveAward(input: {awardId: $id}) {
  __typename
  ... on ApproveAwardSuccess { award { status transaction { points } } }
  ... on Error { code field } } }
"""
REVERSE = """
mutation V($input: ReverseTransactionInput!) { reverseTransaction(input: $input) {
  __typename
  ... on ReverseTransactionSuccess { transaction { kind points reverses { id } } }
  ... on Error { code field } } }
"""


def gid(type_name: str, key: int) -> str:
    return str(relay.GlobalID(type_name, str(key)))


async def test_an_admin_approves_awards_of_others_not_their_own(
    client: httpx.AsyncClient, db: Database
) -> None:
    # given two awards waiting for review, asked for by the street admin: one pays the
    # community admin, the other the volunteer
    await rule("SOD_DEED", 30, requires_review=True)
    mine = await award("community_admin", code="SOD_DEED", by="street_admin")
    theirs = await award("volunteer", code="SOD_DEED", by="street_admin")
    token = await login(client, "community_admin")
    before, ledger = await fingerprint(), await counts()
    # when the community admin approves their own
    body = await gql(client, APPROVE, {"id": gid("PointsAward", mine.id)}, token=token)
    # then it is refused as a typed error and nothing changed
    assert body["data"]["approveAward"] == {
        "__typename": "Forbidden",
        "code": "FORBIDDEN",
        "field": "awardId",
    }
    assert (await PointsAward.get(id=mine.id)).status is AwardStatus.PENDING
    assert await counts() == ledger and await fingerprint() == before
    # and the volunteer's is approved and posted
    body = await gql(client, APPROVE, {"id": gid("PointsAward", theirs.id)}, token=token)
    assert body["data"]["approveAward"] == {
        "__typename": "ApproveAwardSuccess",
        "award": {"status": "APPROVED", "transaction": {"points": 30}},
    }


async def test_an_admin_reverses_penalties_of_others_not_their_own(
    client: httpx.AsyncClient, db: Database
) -> None:
    # given penalties the district admin imposed on the community admin and the volunteer
    await rule("SOD_FINE", -5)
    mine = await penalize("community_admin", code="SOD_FINE", by="district_admin")
    theirs = await penalize("volunteer", code="SOD_FINE", by="district_admin")
    token = await login(client, "community_admin")
    before = await fingerprint()

    def reversal(transaction: PointsTransaction, key: str) -> dict[str, object]:
        return {
            "input": {
                "transactionId": gid("PointsTransaction", transaction.id),
                "reason": "更正",
                "idempotencyKey": key,
            }
        }

    # when the community admin reverses their own penalty
    body = await gql(client, REVERSE, reversal(mine, "sod-1"), token=token)
    # then it is refused as a typed error, nothing is posted and the key is not used up
    assert body["data"]["reverseTransaction"] == {
        "__typename": "Forbidden",
        "code": "FORBIDDEN",
        "field": "transactionId",
    }
    assert not await PointsTransaction.exists(reverses_id=mine.id)
    assert await fingerprint() == before
    # and the volunteer's penalty is reversed
    body = await gql(client, REVERSE, reversal(theirs, "sod-2"), token=token)
    assert body["data"]["reverseTransaction"] == {
        "__typename": "ReverseTransactionSuccess",
        "transaction": {
            "kind": "REVERSAL",
            "points": -theirs.points,
            "reverses": {"id": gid("PointsTransaction", theirs.id)},
        },
    }
