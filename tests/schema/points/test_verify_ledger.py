"""verifyLedger through the API: admins of the area only, naming the first broken transaction."""

from __future__ import annotations

import httpx
from strawberry import relay

from services import points
from services.enums import AreaLevel
from services.kit import db
from services.models import Area, PointsAccount, PointsTransaction
from tests.conftest import actor_for, gql, login
from tests.schema.points_support import area_gid
from tests.services.points_support import raw

QUERY = """
query V($u: ID!) {
  verifyLedger(under: $u) {
    ok chains transactions failedSumChecks accounts entries
    firstProblem { community transaction fault message }
  }
}"""


class TestVerifyLedger:
    """verifyLedger."""

    async def test_admins_see_the_report_and_the_first_changed_transaction(
        self, client: httpx.AsyncClient
    ) -> None:
        # given the demo ledger and the demo community's admin
        admin = await login(client, "community_admin")
        under = await area_gid("颜山社区")
        body = await gql(client, QUERY, {"u": under}, token=admin)
        report = body["data"]["verifyLedger"]
        assert report["ok"] is True, body
        assert report["chains"] == 1 and report["transactions"] > 0
        assert report["firstProblem"] is None
        # the district-wide sums are not checked below the district
        assert report["failedSumChecks"] is None and report["accounts"] is None
        # when a transaction's reason is rewritten behind the triggers' back
        tx = await PointsTransaction.all().order_by("id").first()
        assert tx is not None
        if db.dialect() == "postgres":
            await raw(
                "ALTER TABLE points_transaction DISABLE TRIGGER points_transaction_append_only"
            )
        else:
            await raw("DROP TRIGGER points_transaction_no_update")
        await raw(f"UPDATE points_transaction SET reason = 'changed' WHERE id = {tx.id}")
        # then a district admin's check names it
        district = await login(client, "district_admin")
        district_area = await Area.filter(level=AreaLevel.DISTRICT).order_by("id").first()
        assert district_area is not None
        body = await gql(
            client, QUERY, {"u": str(relay.GlobalID("Area", str(district_area.id)))}, token=district
        )
        report = body["data"]["verifyLedger"]
        assert report["ok"] is False
        assert report["firstProblem"]["fault"] == "CONTENT_CHANGED"
        assert report["firstProblem"]["transaction"] == str(
            relay.GlobalID("PointsTransaction", str(tx.id))
        )
        assert report["failedSumChecks"] == []

    async def test_the_sums_are_checked_at_the_district_only(
        self, client: httpx.AsyncClient
    ) -> None:
        # given a cached balance changed behind the ledger's back
        account = await PointsAccount.filter(kind="PERSON").order_by("id").first()
        assert account is not None
        await raw(f"UPDATE points_account SET balance = balance + 5 WHERE id = {account.id}")
        district_area = await Area.filter(level=AreaLevel.DISTRICT).order_by("id").first()
        assert district_area is not None
        # when the community admin checks their community
        admin = await login(client, "community_admin")
        body = await gql(client, QUERY, {"u": await area_gid("颜山社区")}, token=admin)
        # then they get the chains only, not district-wide figures
        report = body["data"]["verifyLedger"]
        assert report["failedSumChecks"] is None and report["entries"] is None, body
        assert report["ok"] is True
        # and the district admin's check finds the drift
        district = await login(client, "district_admin")
        body = await gql(
            client, QUERY, {"u": str(relay.GlobalID("Area", str(district_area.id)))}, token=district
        )
        report = body["data"]["verifyLedger"]
        assert report["ok"] is False, body
        assert len(report["failedSumChecks"]) == 2 and report["accounts"] > 0

    async def test_others_are_forbidden(self, client: httpx.AsyncClient) -> None:
        resident = await login(client, "resident")
        body = await gql(client, QUERY, {"u": await area_gid("颜山社区")}, token=resident)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    async def test_a_changed_checkpoint_is_reported(self, client: httpx.AsyncClient) -> None:
        # given a signed checkpoint of the demo community
        area = await Area.get(name="颜山社区")
        cp = await points.create_checkpoint(
            actor=await actor_for("community_admin"), community_id=area.id
        )
        admin = await login(client, "community_admin")
        under = await area_gid("颜山社区")
        body = await gql(client, CHECKPOINTS, {"u": under}, token=admin)
        report = body["data"]["verifyLedger"]
        assert report["ok"] is True and report["checkpoints"] == 1, body
        assert report["brokenCheckpoints"] == 0 and report["checkpointProblems"] == []
        # when its Merkle root is changed
        await raw(f"UPDATE ledger_checkpoint SET merkle_root = '{'b' * 64}' WHERE id = {cp.id}")
        # then verifyLedger names it
        body = await gql(client, CHECKPOINTS, {"u": under}, token=admin)
        report = body["data"]["verifyLedger"]
        assert report["ok"] is False and report["brokenCheckpoints"] == 1
        assert report["checkpointProblems"] == [
            {
                "sequence": 1,
                "fault": "SIGNATURE_INVALID",
                "transaction": str(
                    relay.GlobalID("PointsTransaction", str(cp.first_transaction_id))
                ),
            }
        ]


CHECKPOINTS = """
query V($u: ID!) {
  verifyLedger(under: $u) {
    ok checkpoints brokenCheckpoints checkpointProblems { sequence fault transaction }
  }
}"""
