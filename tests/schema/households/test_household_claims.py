"""Household claims through GraphQL: claimHousehold, reviewHouseholdClaim, householdClaims,
viewer.householdClaims."""

from __future__ import annotations

import httpx

from services.enums import ClaimStatus
from services.models import Household, HouseholdClaim, Person
from tests.conftest import actor_for, gql, login
from tests.schema.grids_support import gid, key_of

CLAIM = """
mutation Claim($input: ClaimHouseholdInput!) {
  claimHousehold(input: $input) {
    __typename
    ... on ClaimHouseholdSuccess { claim { id status note person { name } household { id } } }
    ... on Error { code message field }
  }
}
"""

REVIEW = """
mutation Review($input: ReviewHouseholdClaimInput!) {
  reviewHouseholdClaim(input: $input) {
    __typename
    ... on ReviewHouseholdClaimSuccess {
      claim { status reason reviewedBy { name } household { members { name } } }
    }
    ... on Error { code message field }
  }
}
"""

CLAIMS = """
query Claims($status: ClaimStatus) {
  householdClaims(status: $status, first: 10) {
    totalCount
    edges { node { id status note person { name } household { address } } }
  }
}
"""

MY_CLAIMS = "{ viewer { householdClaims(first: 5) { edges { node { id status } } } } }"


async def pending() -> HouseholdClaim:
    claimant = await actor_for("claimant")
    return await HouseholdClaim.get(person_id=claimant.person_id, status=ClaimStatus.PENDING)


class TestClaimHousehold:
    async def test_a_new_sign_up_claims_a_household(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "newcomer")
        home = await Household.filter(micro_grid__name="颜山花园1-2号楼微网格").first()
        assert home is not None
        body = await gql(
            client,
            CLAIM,
            {"input": {"householdId": gid("Household", home.id), "note": "租户"}},
            token=token,
        )
        result = body["data"]["claimHousehold"]
        assert result["__typename"] == "ClaimHouseholdSuccess", result
        claim = result["claim"]
        # the claimant sees their claim, not yet the household
        assert (claim["status"], claim["note"], claim["person"], claim["household"]) == (
            "PENDING",
            "租户",
            {"name": "吴晓燕"},
            None,
        )
        row = await HouseholdClaim.get(id=key_of(claim["id"]))
        assert row.household_id == home.id
        body = await gql(client, MY_CLAIMS, token=token)
        assert body["data"]["viewer"]["householdClaims"]["edges"] == [
            {"node": {"id": claim["id"], "status": "PENDING"}}
        ]

    async def test_a_second_pending_claim_is_a_conflict(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "claimant")
        home = await Household.filter(micro_grid__name="颜山花园1-2号楼微网格").first()
        assert home is not None
        body = await gql(
            client, CLAIM, {"input": {"householdId": gid("Household", home.id)}}, token=token
        )
        result = body["data"]["claimHousehold"]
        assert (result["__typename"], result["code"]) == ("Conflict", "CONFLICT")
        assert await HouseholdClaim.all().count() == 1


class TestReviewHouseholdClaim:
    async def test_the_community_admin_lists_and_approves(self, client: httpx.AsyncClient) -> None:
        # given the pending claim of the demo
        token = await login(client, "community_admin")
        claim = await pending()
        body = await gql(client, CLAIMS, token=token)
        claims = body["data"]["householdClaims"]
        assert claims["totalCount"] == 1
        node = claims["edges"][0]["node"]
        assert (node["status"], node["person"]) == ("PENDING", {"name": "钱永福"})
        assert node["household"]["address"]
        # when the admin approves it
        body = await gql(
            client,
            REVIEW,
            {"input": {"claimId": node["id"], "approve": True, "reason": "户主已确认"}},
            token=token,
        )
        # then the claimant is a member of the household
        result = body["data"]["reviewHouseholdClaim"]
        assert result["__typename"] == "ReviewHouseholdClaimSuccess", result
        assert result["claim"]["status"] == "APPROVED"
        assert result["claim"]["reviewedBy"] == {"name": "张红梅"}
        assert {"name": "钱永福"} in result["claim"]["household"]["members"]
        assert (await Person.get(id=claim.person_id)).household_id == claim.household_id
        # and nothing is pending any more
        body = await gql(client, CLAIMS, token=token)
        assert body["data"]["householdClaims"]["totalCount"] == 0

    async def test_a_rejection_without_reason_is_invalid(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "community_admin")
        claim = await pending()
        body = await gql(
            client,
            REVIEW,
            {"input": {"claimId": gid("HouseholdClaim", claim.id), "approve": False}},
            token=token,
        )
        result = body["data"]["reviewHouseholdClaim"]
        assert (result["__typename"], result["field"]) == ("InvalidInput", "reason")
        assert (await HouseholdClaim.get(id=claim.id)).status is ClaimStatus.PENDING

    async def test_a_grid_leader_may_not_review(self, client: httpx.AsyncClient) -> None:
        token = await login(client, "grid_leader")
        claim = await pending()
        body = await gql(
            client,
            REVIEW,
            {"input": {"claimId": gid("HouseholdClaim", claim.id), "approve": True}},
            token=token,
        )
        assert body["data"]["reviewHouseholdClaim"]["__typename"] == "Forbidden"
        assert (await HouseholdClaim.get(id=claim.id)).status is ClaimStatus.PENDING
