"""Household claims (services.household_claims): a resident asks to join a household, the
community approves or rejects."""

from __future__ import annotations

import pytest

from services import household_claims
from services.enums import ClaimStatus
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit.pagination import Window
from services.models import Household, HouseholdClaim, Person
from tests.conftest import Database, actor_for

M = "颜山花园1-2号楼微网格"  # micro-grid M of the demo story


async def pending_claim() -> HouseholdClaim:
    """The demo's pending claim of `claimant` (seed/onboarding.py)."""
    claimant = await actor_for("claimant")
    return await HouseholdClaim.get(person_id=claimant.person_id, status=ClaimStatus.PENDING)


async def state() -> tuple[object, ...]:
    return (
        await HouseholdClaim.all().order_by("id").values_list("id", "status", "reason"),
        await Person.all().order_by("id").values_list("id", "household_id"),
    )


class TestClaimHousehold:
    async def test_a_new_sign_up_asks_to_join_a_household(self, db: Database) -> None:
        # given the newcomer, placed nowhere, and a household of M
        newcomer = await actor_for("newcomer")
        home = await Household.filter(micro_grid__name=M).order_by("-id").first()
        assert home is not None
        # when they claim it
        claim = await household_claims.claim_household(
            actor=newcomer, household_id=home.id, note=" 新搬来的租户 "
        )
        # then the claim waits for review, and they do not live there yet
        assert (claim.status, claim.person_id, claim.household_id, claim.note) == (
            ClaimStatus.PENDING,
            newcomer.person_id,
            home.id,
            "新搬来的租户",
        )
        assert (await Person.get(id=newcomer.person_id)).household_id is None

    async def test_a_second_pending_claim_is_a_conflict(self, db: Database) -> None:
        claimant = await actor_for("claimant")
        other = await Household.filter(micro_grid__name=M).order_by("-id").first()
        assert other is not None
        before = await state()
        with pytest.raises(Conflict):
            await household_claims.claim_household(actor=claimant, household_id=other.id)
        assert await state() == before

    async def test_someone_living_in_a_household_may_not_claim(self, db: Database) -> None:
        resident = await actor_for("resident")
        other = await Household.filter(micro_grid__name=M).order_by("-id").first()
        assert other is not None
        before = await state()
        with pytest.raises(Conflict):
            await household_claims.claim_household(actor=resident, household_id=other.id)
        assert await state() == before

    async def test_bad_input_changes_nothing(self, db: Database) -> None:
        newcomer = await actor_for("newcomer")
        home = await Household.filter(micro_grid__name=M).first()
        assert home is not None
        before = await state()
        with pytest.raises(NotFound):
            await household_claims.claim_household(actor=newcomer, household_id=999_999)
        with pytest.raises(InvalidInput) as caught:
            await household_claims.claim_household(
                actor=newcomer, household_id=home.id, note="长" * 501
            )
        assert caught.value.field == "note"
        assert await state() == before


class TestReviewHouseholdClaim:
    async def test_approval_makes_the_claimant_a_member(self, db: Database) -> None:
        # given the pending claim and the admin of its community
        admin = await actor_for("community_admin")
        claim = await pending_claim()
        # when the admin approves it
        done = await household_claims.review_household_claim(
            actor=admin, claim_id=claim.id, approve=True
        )
        # then the claimant lives in the household
        assert (done.status, done.reviewed_by_id) == (ClaimStatus.APPROVED, admin.person_id)
        assert done.reviewed_at is not None
        assert (await Person.get(id=claim.person_id)).household_id == claim.household_id
        # and a second review is a conflict
        with pytest.raises(Conflict):
            await household_claims.review_household_claim(
                actor=admin, claim_id=claim.id, approve=False, reason="重复"
            )

    async def test_rejection_needs_a_reason_and_places_nobody(self, db: Database) -> None:
        admin = await actor_for("community_admin")
        claim = await pending_claim()
        before = await state()
        with pytest.raises(InvalidInput) as caught:
            await household_claims.review_household_claim(
                actor=admin, claim_id=claim.id, approve=False
            )
        assert caught.value.field == "reason"
        assert await state() == before
        done = await household_claims.review_household_claim(
            actor=admin, claim_id=claim.id, approve=False, reason="户主不认识此人"
        )
        assert (done.status, done.reason) == (ClaimStatus.REJECTED, "户主不认识此人")
        assert (await Person.get(id=claim.person_id)).household_id is None
        # and the claimant may ask again
        again = await household_claims.claim_household(
            actor=await actor_for("claimant"), household_id=claim.household_id
        )
        assert again.status is ClaimStatus.PENDING

    @pytest.mark.parametrize(
        ("username", "error"),
        [
            ("grid_leader", Forbidden),  # reads the household, does not administer it
            ("resident", NotFound),
            ("claimant", NotFound),
        ],
    )
    async def test_only_admins_of_the_household_review(
        self, db: Database, username: str, error: type[Exception]
    ) -> None:
        claim = await pending_claim()
        before = await state()
        with pytest.raises(error):
            await household_claims.review_household_claim(
                actor=await actor_for(username), claim_id=claim.id, approve=True
            )
        assert await state() == before


class TestListClaims:
    async def test_the_community_admin_lists_pending_claims(self, db: Database) -> None:
        claim = await pending_claim()
        for username in ("community_admin", "street_admin", "district_admin"):
            page = await household_claims.household_claims(
                actor=await actor_for(username), window=Window(first=10)
            )
            assert [c.id for c in page.items] == [claim.id]
        page = await household_claims.household_claims(
            actor=await actor_for("community_admin"),
            status=ClaimStatus.APPROVED,
            window=Window(first=10),
        )
        assert page.items == []

    async def test_leaders_and_residents_do_not_list_claims(self, db: Database) -> None:
        for username in ("grid_leader", "resident"):
            with pytest.raises(Forbidden):
                await household_claims.household_claims(
                    actor=await actor_for(username), window=Window(first=10)
                )

    async def test_the_claimant_sees_their_own_claims(self, db: Database) -> None:
        claim = await pending_claim()
        page = await household_claims.my_household_claims(
            actor=await actor_for("claimant"), window=Window(first=10)
        )
        assert [c.id for c in page.items] == [claim.id]
        (seen,) = await household_claims.claims_by_ids(
            actor=await actor_for("resident"), claim_ids=[claim.id]
        )
        assert seen is None
