"""Awards, reviews, caps, who may grant, batches, penalties, reversals (points/awards.py)."""

from __future__ import annotations

import pytest

from services import market, points
from services.accounts import create_account, load_actor
from services.enums import AwardStatus, MembershipStatus, Role, TransactionKind
from services.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    LimitExceeded,
    NotFound,
)
from services.kit import calendar, clock
from services.kit.pagination import Window
from services.models import TeamMembership, VolunteerTeam
from services.people import assign_role
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    FINE,
    HOUR,
    OTHER_COMMUNITY,
    VOLUNTEER,
    Clock,
    assert_ledger_ok,
    award,
    batch,
    batch_result,
    community,
    counts,
    credit,
    key,
    local,
    lots,
    outsider,
    penalize,
    person_id,
    pool_balance,
    redeem,
    reverse,
    reward,
    rule,
    summary,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestAward:
    """Awarding points by a rule."""

    async def test_replaying_an_award_returns_it_and_writes_nothing(self, db: Database) -> None:
        # given an award made with a key
        await rule()
        first = await award("resident", quantity=2, idempotency_key="award-1")
        before = await counts()
        # when the same request is sent again with the same key
        again = await award("resident", quantity=2, idempotency_key="award-1")
        # then it is the same award and nothing new was written
        assert again.id == first.id
        assert again.transaction_id == first.transaction_id
        assert await counts() == before
        assert (await summary("resident")).balance == 20

    async def test_a_key_reused_with_another_input_conflicts(self, db: Database) -> None:
        await rule()
        await award("resident", quantity=2, idempotency_key="award-1")
        before = await counts()
        with pytest.raises(IdempotencyConflict):
            await award("resident", quantity=3, idempotency_key="award-1")
        with pytest.raises(IdempotencyConflict):
            await award("volunteer", quantity=2, idempotency_key="award-1")
        assert await counts() == before
        # keys belong to the actor: another granter may use the same key
        other = await award("resident", quantity=2, by="grid_leader", idempotency_key="award-1")
        assert other.status is AwardStatus.APPROVED
        assert (await summary("resident")).balance == 40

    @pytest.mark.parametrize(
        ("reason", "idempotency_key"), [("", "k"), ("清扫", ""), ("清扫", "k" * 101)]
    )
    async def test_an_empty_reason_or_a_bad_key_is_refused(
        self, db: Database, reason: str, idempotency_key: str
    ) -> None:
        await rule()
        before = await counts()
        with pytest.raises(InvalidInput):
            await points.award_points(
                actor=await actor_for("community_admin"),
                person_id=await person_id("resident"),
                rule_code=HOUR,
                quantity=1,
                reason=reason,
                source=None,
                idempotency_key=idempotency_key,
            )
        assert await counts() == before

    async def test_the_granting_community_pays_for_someone_who_serves_elsewhere(
        self, db: Database
    ) -> None:
        # given a resident of the demo community who volunteers in the neighbouring community,
        # and an admin of that neighbouring community only
        other = await community(OTHER_COMMUNITY)
        await rule(code="T_OTHER", points_each=7)
        resident = await person_id("resident")
        district = await actor_for("district_admin")
        await assign_role(actor=district, person_id=resident, role=Role.VOLUNTEER, area_id=other.id)
        account = await create_account(
            username="other_admin",
            password="quiet-harbour-lantern",
            name="邻社区管理员",
            phone=None,
        )
        await assign_role(
            actor=district, person_id=account.person_id, role=Role.COMMUNITY_ADMIN, area_id=other.id
        )
        admin = await load_actor(account_id=account.id)
        before_home = await pool_balance()
        before_other = await pool_balance(OTHER_COMMUNITY)
        # when the neighbouring community's admin awards them
        award_made = await points.award_points(
            actor=admin,
            person_id=resident,
            rule_code="T_OTHER",
            quantity=1,
            reason="邻社区志愿服务",
            source=None,
            idempotency_key=key(),
        )
        # then the neighbouring community's pool pays, not the home community's
        assert award_made.community_id == other.id
        assert await pool_balance(OTHER_COMMUNITY) == before_other - 7
        assert await pool_balance() == before_home
        await assert_ledger_ok()


class TestReview:
    """Awards by a rule that needs review: approving and rejecting."""

    async def test_a_rule_needing_review_leaves_the_award_pending(self, db: Database) -> None:
        # given a rule that needs review
        await rule(requires_review=True)
        # when the grid leader asks for an award
        before = await counts()
        made = await award("resident", quantity=2, by="grid_leader")
        # then it waits: no transaction, no entry, no lot, no balance
        assert (made.status, made.transaction_id) == (AwardStatus.PENDING, None)
        after = await counts()
        assert after.awards == before.awards + 1
        assert (after.entries, after.transactions, after.lots) == (
            before.entries,
            before.transactions,
            before.lots,
        )
        assert (await summary("resident")).balance == 0
        page = await points.pending_awards(
            actor=await actor_for("community_admin"), under_id=None, window=Window(first=100)
        )
        assert made.id in [a.id for a in page.items]

    async def test_approving_posts_the_points_once(self, db: Database) -> None:
        # given a pending award asked for by the grid leader
        await rule(requires_review=True)
        made = await award("resident", quantity=2, by="grid_leader")
        admin = await actor_for("community_admin")
        # when the community admin approves it, twice
        approved = await points.approve_award(actor=admin, award_id=made.id)
        before = await counts()
        again = await points.approve_award(actor=admin, award_id=made.id)
        # then the points were posted once
        assert approved.status is AwardStatus.APPROVED
        assert approved.reviewed_by_id == admin.account_id
        assert again.transaction_id == approved.transaction_id is not None
        assert await counts() == before
        assert (await summary("resident")).balance == 20
        assert await credit("resident") == {(calendar.period_of(clock.now()), VOLUNTEER): 20}
        # and an approved award cannot be rejected any more
        with pytest.raises(Conflict):
            await points.reject_award(actor=admin, award_id=made.id, reason="重复申报")
        await assert_ledger_ok()

    async def test_a_rejected_award_posts_nothing_and_cannot_be_approved(
        self, db: Database
    ) -> None:
        await rule(requires_review=True)
        made = await award("resident", by="grid_leader")
        admin = await actor_for("community_admin")
        rejected = await points.reject_award(actor=admin, award_id=made.id, reason="材料不全")
        assert (rejected.status, rejected.review_reason) == (AwardStatus.REJECTED, "材料不全")
        again = await points.reject_award(actor=admin, award_id=made.id, reason="材料不全")
        assert again.status is AwardStatus.REJECTED
        before = await counts()
        with pytest.raises(Conflict):
            await points.approve_award(actor=admin, award_id=made.id)
        assert await counts() == before
        assert (await summary("resident")).balance == 0

    async def test_nobody_approves_their_own_award(self, db: Database) -> None:
        # given an award the community admin asked for
        await rule(requires_review=True)
        made = await award("resident")
        before = await counts()
        # when they approve it themselves, it is refused
        with pytest.raises(Forbidden):
            await points.approve_award(actor=await actor_for("community_admin"), award_id=made.id)
        with pytest.raises(Forbidden):
            await points.reject_award(
                actor=await actor_for("community_admin"), award_id=made.id, reason="x"
            )
        # and leaders who may not review see no such award
        with pytest.raises(NotFound):
            await points.approve_award(actor=await actor_for("grid_leader"), award_id=made.id)
        assert await counts() == before
        # while an admin above may approve it
        done = await points.approve_award(actor=await actor_for("street_admin"), award_id=made.id)
        assert done.status is AwardStatus.APPROVED


class TestCaps:
    """A rule's per-person caps per day, month and quarter."""

    async def test_a_daily_cap_refuses_the_award_that_would_pass_it(self, db: Database) -> None:
        await rule(cap_per_day=25)
        await award("resident", quantity=2)
        before = await counts()
        with pytest.raises(LimitExceeded):
            await award("resident")
        assert await counts() == before
        # the cap is per person
        await award("volunteer", quantity=2)

    async def test_pending_awards_count_against_the_cap_until_rejected(self, db: Database) -> None:
        await rule(cap_per_day=30, requires_review=True)
        pending = await award("resident", quantity=2, by="grid_leader")
        before = await counts()
        with pytest.raises(LimitExceeded):
            await award("resident", quantity=2, by="grid_leader")
        assert await counts() == before
        await points.reject_award(
            actor=await actor_for("community_admin"), award_id=pending.id, reason="不符合"
        )
        assert (await award("resident", quantity=3, by="grid_leader")).status is AwardStatus.PENDING

    async def test_caps_count_local_days_months_and_quarters(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a rule of 10 points capped at 20 a day, 50 a month and 70 a quarter
        clock = Clock(local(2026, 4, 1, 23, 30))
        await rule(cap_per_day=20, cap_per_month=50, cap_per_quarter=70)

        async def give(quantity: int) -> None:
            await award("resident", quantity=quantity)

        await give(2)
        with pytest.raises(LimitExceeded, match="per day"):
            await give(1)
        # half past midnight local time is a new day (the same UTC day)
        clock.set(local(2026, 4, 2, 0, 30))
        await give(2)
        clock.set(local(2026, 4, 3, 12))
        await give(1)
        with pytest.raises(LimitExceeded, match="per month"):
            await give(1)
        clock.set(local(2026, 5, 1, 12))
        await give(2)
        clock.set(local(2026, 5, 2, 12))
        with pytest.raises(LimitExceeded, match="per quarter"):
            await give(1)
        clock.set(local(2026, 7, 1, 12))
        await give(2)
        assert (await summary("resident")).balance == 90
        await assert_ledger_ok()

    async def test_a_penalty_cap_counts_penalties(self, db: Database) -> None:
        await rule(FINE, -10, cap_per_day=20)
        await penalize("resident", quantity=2)
        before = await counts()
        with pytest.raises(LimitExceeded):
            await penalize("resident")
        assert await counts() == before


class TestWhoMayGrant:
    """Who may grant what to whom."""

    async def test_receiver_roles_limit_who_may_receive(self, db: Database) -> None:
        await rule(receiver_roles=[Role.VOLUNTEER])
        before = await counts()
        with pytest.raises(InvalidInput):
            await award("resident")
        assert await counts() == before
        assert (await award("volunteer")).status is AwardStatus.APPROVED

    async def test_granter_roles_limit_who_may_grant(self, db: Database) -> None:
        await rule(granter_roles=[Role.COMMUNITY_ADMIN])
        before = await counts()
        with pytest.raises(Forbidden):
            await award("resident", by="grid_leader")
        assert await counts() == before
        assert (await award("resident", by="community_admin")).points == 10

    async def test_nobody_awards_themselves(self, db: Database) -> None:
        await rule()
        before = await counts()
        with pytest.raises(Forbidden):
            await award("grid_leader", by="grid_leader")
        with pytest.raises(Forbidden):
            await award("community_admin", by="community_admin")
        assert await counts() == before

    async def test_people_outside_the_actors_areas_are_not_found(self, db: Database) -> None:
        await rule()
        other = await outsider()
        before = await counts()
        with pytest.raises(NotFound):  # the volunteer lives in another micro-grid of grid G
            await award("volunteer", by="microgrid_leader")
        with pytest.raises(NotFound):  # residents grant nothing to anybody
            await award("central_household", by="resident")
        for stranger in (other.id, 999_999):
            with pytest.raises(NotFound):
                await points.award_points(
                    actor=await actor_for("community_admin"),
                    person_id=stranger,
                    rule_code=HOUR,
                    quantity=1,
                    reason="清扫",
                    source=None,
                    idempotency_key=key(),
                )
        assert await counts() == before

    async def test_an_unknown_rule_is_not_found(self, db: Database) -> None:
        await rule()
        before = await counts()
        with pytest.raises(NotFound):
            await award("resident", code="NO_SUCH_RULE")
        assert await counts() == before

    @pytest.mark.parametrize("quantity", [0, -1, 1001])
    async def test_quantities_outside_1_to_1000_are_refused(
        self, db: Database, quantity: int
    ) -> None:
        await rule()
        await rule(FINE, -5)
        before = await counts()
        with pytest.raises(InvalidInput):
            await award("resident", quantity=quantity)
        with pytest.raises(InvalidInput):
            await penalize("resident", quantity=quantity)
        assert await counts() == before

    async def test_penalties_and_awards_do_not_mix(self, db: Database) -> None:
        await rule()
        await rule(FINE, -5)
        before = await counts()
        with pytest.raises(InvalidInput):
            await award("resident", code=FINE)
        with pytest.raises(InvalidInput):
            await penalize("resident", code=HOUR)
        assert await counts() == before


class TestAwardBatch:
    """Awarding one rule to several people at once."""

    async def test_a_batch_awards_everybody_and_replays(self, db: Database) -> None:
        await rule()
        people = ("resident", "volunteer", "central_household")
        start = {username: (await summary(username)).balance for username in people}
        made = await batch(["resident", "volunteer", "central_household"], "batch-1", quantity=2)
        assert sorted(a.person_id for a in made) == sorted(
            [await person_id(u) for u in ("resident", "volunteer", "central_household")]
        )
        assert {a.status for a in made} == {AwardStatus.APPROVED}
        before = await counts()
        again = await batch(["volunteer", "central_household", "resident"], "batch-1", quantity=2)
        assert sorted(a.id for a in again) == sorted(a.id for a in made)
        assert await counts() == before
        with pytest.raises(IdempotencyConflict):
            await batch(["volunteer", "resident"], "batch-1", quantity=2)
        assert await counts() == before
        for username in people:
            assert (await summary(username)).balance == start[username] + 20
        await assert_ledger_ok()

    async def test_a_capped_person_is_refused_and_the_others_are_awarded(
        self, db: Database
    ) -> None:
        # given a rule capped at 20 a day, and the volunteer's cap already full
        await rule(cap_per_day=20)
        await award("volunteer", quantity=2)
        other = await outsider()
        people = ["resident", "central_household", "volunteer", other.id]
        # when the four are awarded together
        result = await batch_result(people, "capped")
        # then every person has an outcome, by person id: the volunteer refused by the cap,
        # the outsider as not found, the others awarded
        ids = {u: await person_id(u) for u in ("resident", "central_household", "volunteer")}
        assert [o.person_id for o in result.outcomes] == sorted([*ids.values(), other.id])
        by_person = {o.person_id: o for o in result.outcomes}
        assert isinstance(by_person[ids["volunteer"]].error, LimitExceeded)
        assert by_person[ids["volunteer"]].award is None
        assert isinstance(by_person[other.id].error, NotFound)
        assert {a.person_id for a in result.awards} == {ids["resident"], ids["central_household"]}
        assert not result.refused
        # and a retry answers with the same outcomes, writing nothing
        before = await counts()
        again = await batch_result(people, "capped")
        assert [(o.person_id, o.award and o.award.id, type(o.error)) for o in again.outcomes] == [
            (o.person_id, o.award and o.award.id, type(o.error)) for o in result.outcomes
        ]
        assert await counts() == before
        await assert_ledger_ok()

    async def test_an_atomic_batch_with_a_refusal_awards_nobody_and_says_who(
        self, db: Database
    ) -> None:
        await rule(cap_per_day=20)
        await award("volunteer", quantity=2)  # the volunteer's cap is full
        before = await counts()
        result = await batch_result(["resident", "volunteer"], key(), atomic=True)
        assert result.refused
        assert result.awards == []
        assert [(o.person_id, type(o.error)) for o in result.outcomes] == [
            (await person_id("volunteer"), LimitExceeded)
        ]
        assert await counts() == before

    async def test_a_team_batch_awards_every_active_member(self, db: Database) -> None:
        # given a volunteer team of the demo community with its approved members
        await rule()
        team = await VolunteerTeam.filter(area_path__startswith=(await community()).path).first()
        assert team is not None
        members = sorted(
            await TeamMembership.filter(
                team_id=team.id, status=MembershipStatus.APPROVED
            ).values_list("person_id", flat=True)
        )
        admin = await person_id("community_admin")
        # when the team is awarded
        result = await batch_result(None, key(), team_id=team.id)
        # then each member has an outcome in person order (the asking admin, if a member, refused)
        assert [o.person_id for o in result.outcomes] == members
        for outcome in result.outcomes:
            if outcome.person_id == admin:
                assert isinstance(outcome.error, Forbidden)
            else:
                assert outcome.award is not None, outcome.error
        await assert_ledger_ok()

    async def test_a_batch_names_people_or_a_team(self, db: Database) -> None:
        await rule()
        before = await counts()
        with pytest.raises(InvalidInput):
            await batch_result(None, key())
        with pytest.raises(InvalidInput):
            await batch_result(["resident"], key(), team_id=1)
        with pytest.raises(NotFound):
            await batch_result(None, key(), team_id=10**6)
        assert await counts() == before

    async def test_a_batch_with_a_bad_request_awards_nobody(self, db: Database) -> None:
        await rule(cap_per_day=20)
        before = await counts()
        with pytest.raises(Forbidden):
            await batch(["resident", "community_admin"], key())
        with pytest.raises(InvalidInput):
            await batch(["resident", "resident"], key())
        with pytest.raises(InvalidInput):
            await batch([], key())
        assert await counts() == before
        assert (await summary("resident")).balance == 0

    async def test_a_batch_over_the_limit_is_refused_before_anything_else(
        self, db: Database
    ) -> None:
        # given one person too many (and no sign-in: the size is checked first)
        too_many = list(range(1, points.MAX_BATCH + 2))
        before = await counts()
        with pytest.raises(InvalidInput) as refused:
            await points.award_points_batch(
                actor=None,
                person_ids=too_many,
                rule_code=HOUR,
                quantity=1,
                reason="test",
                source=None,
                idempotency_key=key(),
            )
        # then it is refused with the API's message, and nothing was written
        assert (refused.value.message, refused.value.field) == (
            f"At most {points.MAX_BATCH} people at once.",
            "personIds",
        )
        assert await counts() == before


class TestPenalize:
    """Penalties."""

    async def test_a_penalty_above_the_balance_takes_what_is_there(self, db: Database) -> None:
        # given 30 points and a penalty of 50 in the same dimension
        await rule()
        await rule(FINE, -50)
        pool = await pool_balance()
        await award("resident", quantity=3)
        # when the penalty is applied
        tx = await penalize("resident")
        # then it took all 30 points, recorded the 20 it could not take, counted 50 against credit
        assert (tx.kind, tx.points, tx.credit, tx.shortfall) == (
            TransactionKind.PENALTY,
            -30,
            -50,
            20,
        )
        assert (await summary("resident")).balance == 0
        assert [lot.remaining for lot in await lots("resident")] == [0]
        assert await credit("resident") == {(calendar.period_of(clock.now()), VOLUNTEER): -20}
        assert await pool_balance() == pool
        # and a penalty on an empty account still counts in full, writing no postings
        before = await counts()
        second = await penalize("resident")
        assert (second.points, second.credit, second.shortfall) == (0, -50, 50)
        after = await counts()
        assert (after.entries, after.transactions) == (before.entries, before.transactions + 1)
        assert await credit("resident") == {(calendar.period_of(clock.now()), VOLUNTEER): -70}
        await assert_ledger_ok()

    async def test_a_penalty_never_takes_held_points(self, db: Database) -> None:
        await rule()
        await rule(FINE, -10)
        await award("resident", quantity=3)
        await redeem("resident", await reward(price=24))
        tx = await penalize("resident")
        assert (tx.points, tx.shortfall) == (-6, 4)
        assert ((s := await summary("resident")).balance, s.held) == (24, 24)
        await assert_ledger_ok()


class TestReverse:
    """Reversing an award or a penalty."""

    async def test_reversing_an_award_takes_its_points_and_credit_back(self, db: Database) -> None:
        # given two awards
        await rule()
        first = await award("resident", quantity=3)
        second = await award("resident", quantity=2)
        # when the second is reversed
        tx = await reverse(second.transaction_id)
        # then its points come back out of its own lot, and its credit is gone
        assert (tx.kind, tx.reverses_id, tx.points, tx.credit) == (
            TransactionKind.REVERSAL,
            second.transaction_id,
            -20,
            -20,
        )
        assert [(lot.transaction_id, lot.remaining) for lot in await lots("resident")] == [
            (first.transaction_id, 30),
            (second.transaction_id, 0),
        ]
        assert (await summary("resident")).balance == 30
        assert await credit("resident") == {(calendar.period_of(clock.now()), VOLUNTEER): 30}
        await assert_ledger_ok()

    async def test_reversing_a_spent_award_takes_what_is_left_and_all_the_credit(
        self, db: Database
    ) -> None:
        await rule()
        made = await award("resident", quantity=3)
        await redeem("resident", await reward(price=24))
        tx = await reverse(made.transaction_id)
        assert (tx.points, tx.shortfall, tx.credit) == (-6, 24, -30)
        assert ((s := await summary("resident")).balance, s.held) == (24, 24)
        assert await credit("resident") == {(calendar.period_of(clock.now()), VOLUNTEER): 0}
        await assert_ledger_ok()

    async def test_reversing_a_penalty_gives_back_what_it_took(self, db: Database) -> None:
        await rule()
        await rule(FINE, -50)
        await award("resident", quantity=3)
        penalty = await penalize("resident")
        tx = await reverse(penalty.id)
        assert (tx.points, tx.credit) == (30, 50)
        assert (await summary("resident")).balance == 30
        assert await credit("resident") == {(calendar.period_of(clock.now()), VOLUNTEER): 30}
        assert sum(lot.remaining for lot in await lots("resident")) == 30
        await assert_ledger_ok()

    async def test_a_transaction_is_reversed_once(self, db: Database) -> None:
        await rule()
        made = await award("resident", quantity=3)
        first = await reverse(made.transaction_id, idempotency_key="rev-1")
        before = await counts()
        # a retry with the key returns the reversal; a second reversal conflicts
        assert (await reverse(made.transaction_id, idempotency_key="rev-1")).id == first.id
        with pytest.raises(Conflict):
            await reverse(made.transaction_id)
        with pytest.raises(Conflict):
            await reverse(made.transaction_id, by="street_admin")
        assert await counts() == before

    async def test_only_admins_reverse_and_only_awards_and_penalties(self, db: Database) -> None:
        await rule()
        made = await award("resident", quantity=3)
        held = await redeem("resident", await reward(price=5))
        done = await market.fulfil(
            actor=await actor_for("community_admin"), pickup_code=held.pickup_code
        )
        before = await counts()
        for who in ("grid_leader", "volunteer", "resident"):
            with pytest.raises((NotFound, Forbidden)):
                await reverse(made.transaction_id, by=who)
        with pytest.raises(NotFound):
            await reverse(999_999)
        assert done.transaction_id is not None
        with pytest.raises(InvalidInput):  # a redemption is cancelled, not reversed
            await reverse(done.transaction_id)
        assert await counts() == before
        reversal = await reverse(made.transaction_id, by="street_admin")
        with pytest.raises(InvalidInput):  # nor is a reversal reversed
            await reverse(reversal.id)
        await assert_ledger_ok()
