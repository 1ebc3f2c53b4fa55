"""The points ledger: awards, review, caps, penalties, reversals, expiry, guards, verification."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError

from services import market, points
from services.accounts import create_account, load_actor
from services.enums import (
    AwardStatus,
    Dimension,
    ExpiryKind,
    RedemptionStatus,
    Role,
    TransactionKind,
)
from services.errors import (
    Conflict,
    Forbidden,
    IdempotencyConflict,
    InvalidInput,
    LimitExceeded,
    NotFound,
)
from services.kit import calendar, clock
from services.models import (
    Person,
    PointsAward,
    PointsEntry,
    PointsLot,
    PointsTransaction,
    Redemption,
    RedemptionLot,
)
from services.people import assign_role
from services.points import ledger
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    FINE,
    HOUR,
    OTHER_COMMUNITY,
    Clock,
    assert_ledger_ok,
    award,
    community,
    counts,
    credit,
    key,
    lots,
    penalize,
    person_id,
    pool_balance,
    redeem,
    reward,
    rule,
    summary,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

TZ = ZoneInfo("Asia/Shanghai")
VOLUNTEER = Dimension.VOLUNTEER_SERVICE


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A moment in the configured (Beijing) time zone."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


async def outsider() -> Person:
    """A resident of another community (outside the demo community admin's scope)."""
    person = await Person.filter(household__community__name=OTHER_COMMUNITY).order_by("id").first()
    assert person is not None
    return person


async def set_policy(expiry: ExpiryKind, months: int | None = None) -> None:
    await points.set_policy(
        actor=await actor_for("community_admin"),
        area_id=(await community()).id,
        expiry=expiry,
        expiry_months=months,
        hold_days=7,
    )


# --- awards ---------------------------------------------------------------------------------


async def test_an_award_moves_points_from_the_pool_into_a_new_lot(db: Database) -> None:
    # given a district rule worth 10 points and no expiry policy
    await rule()
    await set_policy(ExpiryKind.NONE)
    pool = await pool_balance()
    # when the community admin awards 3 units to the resident
    made = await award("resident", quantity=3)
    # then one balanced transaction moved 30 points from the pool to the resident
    assert (made.status, made.points, made.quantity) == (AwardStatus.APPROVED, 30, 3)
    tx = await PointsTransaction.get(id=made.transaction_id)
    assert (tx.kind, tx.points, tx.credit, tx.dimension) == (
        TransactionKind.AWARD,
        30,
        30,
        VOLUNTEER,
    )
    legs = await PointsEntry.filter(transaction_id=tx.id).values("points")
    assert sorted(leg["points"] for leg in legs) == [-30, 30]
    assert (await summary("resident")).balance == 30
    assert await pool_balance() == pool - 30
    # and the points sit in one never-expiring lot
    (lot,) = await lots("resident")
    assert (lot.points, lot.remaining, lot.expires_at) == (30, 30, None)
    await assert_ledger_ok()


@pytest.mark.parametrize(
    ("expiry", "months", "expected"),
    [
        # 31 August + 6 months has no 31st: the last day of February
        (ExpiryKind.MONTHS, 6, local(2027, 2, 28, 10, 0)),
        (ExpiryKind.END_OF_NEXT_YEAR, None, local(2028, 1, 1)),
        (ExpiryKind.NONE, None, None),
    ],
)
async def test_a_lot_expires_as_the_community_policy_says(
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    expiry: ExpiryKind,
    months: int | None,
    expected: datetime | None,
) -> None:
    # given a policy of the demo community, and the clock at 31 August 2026 10:00 local time
    Clock(local(2026, 8, 31, 10, 0))
    await rule()
    await points.set_policy(
        actor=await actor_for("community_admin"),
        area_id=(await community()).id,
        expiry=expiry,
        expiry_months=months,
        hold_days=7,
    )
    # when points are awarded
    await award("resident")
    # then the lot expires when the policy says
    (lot,) = await lots("resident")
    assert lot.expires_at == expected


async def test_the_district_policy_applies_where_a_community_has_none(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a district default (end of next year) and a 3-month policy in the demo community
    Clock(local(2026, 5, 10, 9, 0))
    await rule()
    district = await actor_for("district_admin")
    await points.set_policy(
        actor=district,
        area_id=None,
        expiry=ExpiryKind.END_OF_NEXT_YEAR,
        expiry_months=None,
        hold_days=7,
    )
    await points.set_policy(
        actor=district,
        area_id=(await community()).id,
        expiry=ExpiryKind.MONTHS,
        expiry_months=3,
        hold_days=7,
    )
    other = await outsider()
    # when people in both communities are awarded
    await award("resident")
    await points.award_points(
        actor=district,
        person_id=other.id,
        rule_code=HOUR,
        quantity=1,
        reason="清扫",
        source=None,
        idempotency_key=key(),
    )
    # then the community's policy wins in the community, the default applies elsewhere
    (mine,) = await lots("resident")
    assert mine.expires_at == local(2026, 8, 10, 9, 0)
    account = await ledger.person_account(other.id)
    (theirs,) = await PointsLot.filter(account_id=account.id)
    assert theirs.expires_at == local(2028, 1, 1)


async def test_policies_are_set_by_admins_with_sane_values(db: Database) -> None:
    area = (await community()).id
    with pytest.raises(Forbidden):
        await points.set_policy(
            actor=await actor_for("grid_leader"),
            area_id=area,
            expiry=ExpiryKind.NONE,
            expiry_months=None,
            hold_days=7,
        )
    with pytest.raises(Forbidden):
        await points.set_policy(
            actor=await actor_for("community_admin"),
            area_id=None,
            expiry=ExpiryKind.NONE,
            expiry_months=None,
            hold_days=7,
        )
    with pytest.raises(InvalidInput):
        await points.set_policy(
            actor=await actor_for("community_admin"),
            area_id=area,
            expiry=ExpiryKind.MONTHS,
            expiry_months=0,
            hold_days=7,
        )


async def test_evaluation_credit_is_kept_per_period_and_dimension(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two rules in different dimensions
    clock = Clock(local(2026, 3, 31, 23, 0))  # Q1 locally, though 15:00 UTC
    await rule()
    await rule("T_REPORT", 5, dimension=Dimension.INFORMATION_REPORTING)
    # when the resident earns in Q1 and in Q2
    await award("resident", quantity=2)
    await award("resident", code="T_REPORT")
    clock.set(local(2026, 4, 1, 0, 30))
    await award("resident")
    # then the credit is split by local quarter and dimension
    assert await credit("resident") == {
        ("2026Q1", VOLUNTEER): 20,
        ("2026Q1", Dimension.INFORMATION_REPORTING): 5,
        ("2026Q2", VOLUNTEER): 10,
    }
    # and spending and expiry leave it alone
    item = await reward(price=15)
    held = await redeem("resident", item)
    await market.fulfil(actor=await actor_for("community_admin"), pickup_code=held.pickup_code)
    await points.set_policy(
        actor=await actor_for("community_admin"),
        area_id=(await community()).id,
        expiry=ExpiryKind.MONTHS,
        expiry_months=1,
        hold_days=7,
    )
    await award("resident", code="T_REPORT")
    assert await points.expire_lots(at=local(2026, 6, 1)) == 5
    assert await credit("resident") == {
        ("2026Q1", VOLUNTEER): 20,
        ("2026Q1", Dimension.INFORMATION_REPORTING): 5,
        ("2026Q2", VOLUNTEER): 10,
        ("2026Q2", Dimension.INFORMATION_REPORTING): 5,
    }
    assert (await summary("resident")).balance == 20
    await assert_ledger_ok()


async def test_replaying_an_award_returns_it_and_writes_nothing(db: Database) -> None:
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


async def test_a_key_reused_with_another_input_conflicts(db: Database) -> None:
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


async def test_a_rule_needing_review_leaves_the_award_pending(db: Database) -> None:
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
        actor=await actor_for("community_admin"), under_id=None, first=100, after=None
    )
    assert made.id in [a.id for a in page.items]


async def test_approving_posts_the_points_once(db: Database) -> None:
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


async def test_a_rejected_award_posts_nothing_and_cannot_be_approved(db: Database) -> None:
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


async def test_nobody_approves_their_own_award(db: Database) -> None:
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


# --- caps -----------------------------------------------------------------------------------


async def test_a_daily_cap_refuses_the_award_that_would_pass_it(db: Database) -> None:
    await rule(cap_per_day=25)
    await award("resident", quantity=2)
    before = await counts()
    with pytest.raises(LimitExceeded):
        await award("resident")
    assert await counts() == before
    # the cap is per person
    await award("volunteer", quantity=2)


async def test_pending_awards_count_against_the_cap_until_rejected(db: Database) -> None:
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
    db: Database, monkeypatch: pytest.MonkeyPatch
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


async def test_a_penalty_cap_counts_penalties(db: Database) -> None:
    await rule(FINE, -10, cap_per_day=20)
    await penalize("resident", quantity=2)
    before = await counts()
    with pytest.raises(LimitExceeded):
        await penalize("resident")
    assert await counts() == before


# --- who may grant what to whom -------------------------------------------------------------


async def test_receiver_roles_limit_who_may_receive(db: Database) -> None:
    await rule(receiver_roles=[Role.VOLUNTEER])
    before = await counts()
    with pytest.raises(InvalidInput):
        await award("resident")
    assert await counts() == before
    assert (await award("volunteer")).status is AwardStatus.APPROVED


async def test_granter_roles_limit_who_may_grant(db: Database) -> None:
    await rule(granter_roles=[Role.COMMUNITY_ADMIN])
    before = await counts()
    with pytest.raises(Forbidden):
        await award("resident", by="grid_leader")
    assert await counts() == before
    assert (await award("resident", by="community_admin")).points == 10


async def test_nobody_awards_themselves(db: Database) -> None:
    await rule()
    before = await counts()
    with pytest.raises(Forbidden):
        await award("grid_leader", by="grid_leader")
    with pytest.raises(Forbidden):
        await award("community_admin", by="community_admin")
    assert await counts() == before


async def test_people_outside_the_actors_areas_are_not_found(db: Database) -> None:
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


async def test_an_unknown_rule_is_not_found(db: Database) -> None:
    await rule()
    before = await counts()
    with pytest.raises(NotFound):
        await award("resident", code="NO_SUCH_RULE")
    assert await counts() == before


@pytest.mark.parametrize("quantity", [0, -1, 1001])
async def test_quantities_outside_1_to_1000_are_refused(db: Database, quantity: int) -> None:
    await rule()
    await rule(FINE, -5)
    before = await counts()
    with pytest.raises(InvalidInput):
        await award("resident", quantity=quantity)
    with pytest.raises(InvalidInput):
        await penalize("resident", quantity=quantity)
    assert await counts() == before


async def test_penalties_and_awards_do_not_mix(db: Database) -> None:
    await rule()
    await rule(FINE, -5)
    before = await counts()
    with pytest.raises(InvalidInput):
        await award("resident", code=FINE)
    with pytest.raises(InvalidInput):
        await penalize("resident", code=HOUR)
    assert await counts() == before


async def test_a_community_override_wins_in_its_community(db: Database) -> None:
    # given a district default of 10 and an override of 25 in the demo community
    await rule()
    override = await rule(points_each=25, area=await community())
    other = await outsider()
    # when people in both communities are awarded
    mine = await award("resident")
    theirs = await points.award_points(
        actor=await actor_for("district_admin"),
        person_id=other.id,
        rule_code=HOUR.lower(),
        quantity=1,
        reason="清扫",
        source=None,
        idempotency_key=key(),
    )
    # then each gets the rule of their community
    assert (mine.points, mine.rule_id) == (25, override.id)
    assert theirs.points == 10
    # and once the override is retired the default applies again
    await points.retire_rule(actor=await actor_for("community_admin"), rule_id=override.id)
    assert (await award("resident")).points == 10


async def test_an_override_needs_a_district_default(db: Database) -> None:
    with pytest.raises(InvalidInput):
        await rule("LOCAL_ONLY", area=await community())


async def test_an_update_changes_what_it_is_given(db: Database) -> None:
    # given a rule with caps and roles
    made = await rule(cap_per_day=30, cap_per_month=100, receiver_roles=[Role.VOLUNTEER])
    # when a null cap, null roles and a null name are given, and the points changed
    changed = await points.update_rule(
        actor=await actor_for("district_admin"),
        rule_id=made.id,
        changes={"cap_per_day": None, "receiver_roles": None, "name": None, "points": 20},
    )
    # then the cap is cleared, the roles emptied, the name kept, and what was left out stays
    assert (changed.cap_per_day, changed.cap_per_month) == (None, 100)
    assert (changed.receiver_roles, changed.name, changed.points) == ([], made.name, 20)


async def test_a_retired_rule_awards_nothing(db: Database) -> None:
    made = await rule()
    retired = await points.retire_rule(actor=await actor_for("district_admin"), rule_id=made.id)
    assert retired.retired_at is not None
    before = await counts()
    with pytest.raises(NotFound):
        await award("resident")
    assert await counts() == before
    with pytest.raises(Conflict):
        await points.retire_rule(actor=await actor_for("district_admin"), rule_id=made.id)


# --- batches --------------------------------------------------------------------------------


async def batch(
    usernames: list[str | int], idempotency_key: str, quantity: int = 1
) -> list[PointsAward]:
    ids = [u if isinstance(u, int) else await person_id(u) for u in usernames]
    return await points.award_points_batch(
        actor=await actor_for("community_admin"),
        person_ids=ids,
        rule_code=HOUR,
        quantity=quantity,
        reason="社区清扫",
        source=points.Source(type="Activity", id="A1"),
        idempotency_key=idempotency_key,
    )


async def test_a_batch_awards_everybody_and_replays(db: Database) -> None:
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


async def test_a_batch_with_one_bad_person_awards_nobody(db: Database) -> None:
    await rule(cap_per_day=20)
    await award("volunteer", quantity=2)  # the volunteer's cap is full
    other = await outsider()
    before = await counts()
    with pytest.raises(NotFound):
        await batch(["resident", other.id], key())
    with pytest.raises(LimitExceeded):
        await batch(["resident", "central_household", "volunteer"], key())
    with pytest.raises(Forbidden):
        await batch(["resident", "community_admin"], key())
    with pytest.raises(InvalidInput):
        await batch(["resident", "resident"], key())
    with pytest.raises(InvalidInput):
        await batch([], key())
    assert await counts() == before
    assert (await summary("resident")).balance == 0


async def test_a_batch_over_the_limit_is_refused_before_anything_else(db: Database) -> None:
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


# --- penalties ------------------------------------------------------------------------------


async def test_a_penalty_above_the_balance_takes_what_is_there(db: Database) -> None:
    # given 30 points and a penalty of 50 in the same dimension
    await rule()
    await rule(FINE, -50)
    pool = await pool_balance()
    await award("resident", quantity=3)
    # when the penalty is applied
    tx = await penalize("resident")
    # then it took all 30 points, recorded the 20 it could not take, counted 50 against credit
    assert (tx.kind, tx.points, tx.credit, tx.shortfall) == (TransactionKind.PENALTY, -30, -50, 20)
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


async def test_a_penalty_never_takes_held_points(db: Database) -> None:
    await rule()
    await rule(FINE, -10)
    await award("resident", quantity=3)
    await redeem("resident", await reward(price=24))
    tx = await penalize("resident")
    assert (tx.points, tx.shortfall) == (-6, 4)
    assert ((s := await summary("resident")).balance, s.held) == (24, 24)
    await assert_ledger_ok()


# --- reversals ------------------------------------------------------------------------------


async def reverse(
    tx_id: int | None, *, by: str = "community_admin", idempotency_key: str | None = None
) -> PointsTransaction:
    assert tx_id is not None
    return await points.reverse_transaction(
        actor=await actor_for(by),
        transaction_id=tx_id,
        reason="录入错误",
        idempotency_key=idempotency_key or key(),
    )


async def test_reversing_an_award_takes_its_points_and_credit_back(db: Database) -> None:
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


async def test_reversing_a_spent_award_takes_what_is_left_and_all_the_credit(db: Database) -> None:
    await rule()
    made = await award("resident", quantity=3)
    await redeem("resident", await reward(price=24))
    tx = await reverse(made.transaction_id)
    assert (tx.points, tx.shortfall, tx.credit) == (-6, 24, -30)
    assert ((s := await summary("resident")).balance, s.held) == (24, 24)
    assert await credit("resident") == {(calendar.period_of(clock.now()), VOLUNTEER): 0}
    await assert_ledger_ok()


async def test_reversing_a_penalty_gives_back_what_it_took(db: Database) -> None:
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


async def test_a_transaction_is_reversed_once(db: Database) -> None:
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


async def test_only_admins_reverse_and_only_awards_and_penalties(db: Database) -> None:
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


# --- expiry ---------------------------------------------------------------------------------


async def test_spending_takes_the_soonest_expiring_lots_first(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given lots expiring in 12 months, never, and in 1 month (awarded in that order)
    Clock(local(2026, 1, 15, 10))
    await rule()
    await set_policy(ExpiryKind.MONTHS, 12)
    await award("resident")
    await set_policy(ExpiryKind.NONE)
    await award("resident")
    await set_policy(ExpiryKind.MONTHS, 1)
    await award("resident")
    year, never, month = await lots("resident")
    # when 25 points are redeemed
    held = await redeem("resident", await reward(price=25))
    # then the 1-month lot went first, then the 12-month one, never-expiring ones last
    taken = await RedemptionLot.filter(redemption_id=held.id).values_list("lot_id", "points")
    assert sorted(taken) == sorted([(month.id, 10), (year.id, 10), (never.id, 5)])
    assert [lot.remaining for lot in await lots("resident")] == [0, 5, 0]
    await assert_ledger_ok()


async def test_expired_remainders_return_to_the_pool_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 30 points expiring in a month, 12 of them spent
    Clock(clock.now())
    await rule()
    await set_policy(ExpiryKind.MONTHS, 1)
    await award("resident", quantity=3)
    held = await redeem("resident", await reward(price=12))
    await market.fulfil(actor=await actor_for("community_admin"), pickup_code=held.pickup_code)
    (lot,) = await lots("resident")
    assert lot.expires_at is not None
    # then they are listed as expiring soon, and not expired yet
    soon = await points.expiring_soon(account_id=lot.account_id, days=40)
    assert [(e.points, e.expires_at) for e in soon] == [(18, lot.expires_at)]
    assert await points.expiring_soon(account_id=lot.account_id, days=10) == []
    assert await points.expire_lots(at=lot.expires_at - timedelta(seconds=1)) == 0
    # when the expiry job runs after they expire, twice
    pool_before = await pool_balance()
    assert await points.expire_lots(at=lot.expires_at + timedelta(days=1)) == 18
    before = await counts()
    assert await points.expire_lots(at=lot.expires_at + timedelta(days=2)) == 0
    # then the remainder went back to the pool once
    assert await counts() == before
    assert (await summary("resident")).balance == 0
    assert await pool_balance() == pool_before + 18
    expiry = await PointsTransaction.get(kind=TransactionKind.EXPIRY)
    assert (expiry.points, expiry.credit) == (-18, 0)
    assert await points.expiring_soon(account_id=lot.account_id, days=40) == []
    await assert_ledger_ok()


@pytest.mark.parametrize(("days", "allowed"), [(0, False), (1, True), (3660, True), (3661, False)])
async def test_expiring_soon_looks_1_to_3660_days_ahead(
    db: Database, days: int, allowed: bool
) -> None:
    # given an account with points (and one that has none yet)
    await rule()
    await award("resident")
    account_id = (await summary("resident")).account_id
    for account in (account_id, None):
        if allowed:
            # then a horizon within bounds is read
            assert isinstance(await points.expiring_soon(account_id=account, days=days), list)
        else:
            # then one outside them is refused, for an empty account too
            with pytest.raises(InvalidInput) as refused:
                await points.expiring_soon(account_id=account, days=days)
            assert (refused.value.message, refused.value.field) == (
                "`days` must be between 1 and 3660.",
                "days",
            )


async def test_held_points_do_not_expire_until_released(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given 30 points expiring in a month, 12 held by a redemption
    clock = Clock(local(2026, 1, 10, 10))
    await rule()
    await set_policy(ExpiryKind.MONTHS, 1)
    await award("resident", quantity=3)
    held = await redeem("resident", await reward(price=12))
    # when the lot expires, the free 18 go, the held 12 stay
    assert await points.expire_lots(at=local(2026, 2, 11)) == 18
    assert ((s := await summary("resident")).balance, s.held) == (12, 12)
    await assert_ledger_ok()
    # and once the hold is cancelled they return to the (expired) lot and expire next run
    clock.set(local(2026, 2, 12))
    await market.cancel(actor=await actor_for("resident"), redemption_id=held.id)
    assert await points.expire_lots(at=local(2026, 2, 12)) == 12
    assert ((s := await summary("resident")).balance, s.held) == (0, 0)
    await assert_ledger_ok()


# --- database guards ------------------------------------------------------------------------


async def raw(sql: str) -> None:
    await connections.get("default").execute_query(sql)


# Both backends raise tortoise's IntegrityError (a subclass of OperationalError): SQLite's
# triggers RAISE(ABORT) a constraint error, PostgreSQL's CHECKs and the append-only trigger
# (ERRCODE integrity_constraint_violation) are integrity violations.


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE points_entry SET points = points + 1",
        "DELETE FROM points_entry",
        "UPDATE points_transaction SET points = 0",
        "DELETE FROM points_transaction",
    ],
)
async def test_the_ledger_is_append_only(db: Database, sql: str) -> None:
    await rule()
    await award("resident", quantity=3)
    before = await counts()
    with pytest.raises(IntegrityError, match="append-only"):
        await raw(sql)
    assert await counts() == before
    await assert_ledger_ok()


@pytest.mark.parametrize(
    ("sql", "constraint"),
    [
        ("UPDATE points_account SET balance = -1 WHERE kind = 'PERSON'", "not_negative"),
        ("UPDATE points_account SET held = balance + 1 WHERE kind = 'PERSON'", "not_negative"),
        ("UPDATE points_account SET held = -1 WHERE kind = 'PERSON'", "not_negative"),
        ("UPDATE points_lot SET remaining = -1", "points_lot_remaining"),
        ("UPDATE points_lot SET remaining = points + 1", "points_lot_remaining"),
        ("UPDATE reward SET stock = -1", "reward_stock_and_price"),
    ],
)
async def test_balances_holds_lots_and_stock_never_go_negative(
    db: Database, sql: str, constraint: str
) -> None:
    await rule()
    await award("resident", quantity=3)
    await reward()
    before = await counts()
    with pytest.raises(IntegrityError, match=constraint):
        await raw(sql)
    assert await counts() == before


async def test_pools_run_negative(db: Database) -> None:
    await rule()
    before = await pool_balance()
    await award("resident", quantity=3)
    assert await pool_balance() == before - 30 < 0


# --- verification ---------------------------------------------------------------------------


async def test_verify_is_ok_after_a_busy_day_and_finds_a_tampered_balance(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a day of awards, a review, penalties, redemptions, a reversal and expiry
    clock = Clock(local(2026, 3, 1, 9))
    await rule()
    await rule("T_REVIEWED", 7, requires_review=True)
    await rule(FINE, -15)
    await set_policy(ExpiryKind.MONTHS, 1)
    await batch(["resident", "volunteer", "central_household"], key(), quantity=4)
    pending = await award("volunteer", code="T_REVIEWED", by="grid_leader")
    await points.approve_award(actor=await actor_for("community_admin"), award_id=pending.id)
    await penalize("central_household", quantity=4)
    item = await reward(price=7, stock=10)
    first = await redeem("resident", item, 2)
    second = await redeem("volunteer", item, 3)
    await redeem("resident", item, 1)
    await market.fulfil(actor=await actor_for("grid_leader"), pickup_code=first.pickup_code)
    await market.cancel(actor=await actor_for("volunteer"), redemption_id=second.id)
    volunteer_award = await PointsAward.filter(
        person_id=await person_id("volunteer"), rule_id=pending.rule_id
    ).first()
    assert volunteer_award is not None and volunteer_award.transaction_id is not None
    await reverse(volunteer_award.transaction_id)
    clock.set(local(2026, 4, 2, 9))
    await points.expire_lots(at=local(2026, 4, 2, 9))
    await market.expire_holds(at=local(2026, 4, 2, 9))
    report = await points.verify()
    assert report.ok, report.lines()
    assert report.entries == await PointsEntry.all().count() > 0
    # when a cached balance is changed behind the ledger's back
    account = await ledger.person_account(await person_id("volunteer"))
    await raw(f"UPDATE points_account SET balance = balance + 5 WHERE id = {account.id}")
    # then verify reports the drift
    report = await points.verify()
    assert not report.ok
    assert report.balance_drift == [(account.id, account.balance + 5, account.balance)]
    assert [drift[0] for drift in report.lot_drift] == [account.id]
    assert any(line.startswith("DRIFT") for line in report.lines())


# --- reading --------------------------------------------------------------------------------


async def test_statistics_and_the_leaderboard_read_the_ledger(db: Database) -> None:
    # given awards and a penalty in a community the demo leaves without points
    await rule()
    await rule(FINE, -5)
    district = await actor_for("district_admin")
    area = await community(OTHER_COMMUNITY)
    first, second, third = (
        await Person.filter(household__community__name=OTHER_COMMUNITY).order_by("id").limit(3)
    )
    for person, code, quantity in (
        (first, HOUR, 3),
        (second, HOUR, 1),
        (third, HOUR, 1),
        (second, FINE, 1),
        (third, FINE, 3),
    ):
        give = points.penalize_points if code == FINE else points.award_points
        await give(
            actor=district,
            person_id=person.id,
            rule_code=code,
            quantity=quantity,
            reason="记录",
            source=None,
            idempotency_key=key(),
        )
    # then the statistics add up the movements through the community
    stats = await points.statistics(actor=district, under_id=area.id)
    assert (stats.issued, stats.penalized, stats.redeemed, stats.expired) == (50, 15, 0, 0)
    assert (stats.reversed, stats.outstanding, stats.held) == (0, 35, 0)
    # and the leaderboard ranks evaluation credit (a penalty counts in full)
    board = await points.leaderboard(
        actor=district, under_id=area.id, period=None, dimension=None, role=None, first=10
    )
    assert [(s.rank, s.person_id, s.points) for s in board] == [
        (1, first.id, 30),
        (2, second.id, 5),
        (3, third.id, -5),
    ]
    with pytest.raises(Forbidden):
        await points.statistics(actor=await actor_for("resident"), under_id=area.id)


@pytest.mark.parametrize(
    ("reason", "idempotency_key"), [("", "k"), ("清扫", ""), ("清扫", "k" * 101)]
)
async def test_an_empty_reason_or_a_bad_key_is_refused(
    db: Database, reason: str, idempotency_key: str
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


async def test_the_granting_community_pays_for_someone_who_serves_elsewhere(db: Database) -> None:
    # given a resident of the demo community who volunteers in the neighbouring community,
    # and an admin of that neighbouring community only
    other = await community(OTHER_COMMUNITY)
    await rule(code="T_OTHER", points_each=7)
    resident = await person_id("resident")
    district = await actor_for("district_admin")
    await assign_role(actor=district, person_id=resident, role=Role.VOLUNTEER, area_id=other.id)
    account = await create_account(
        username="other_admin", password="quiet-harbour-lantern", name="邻社区管理员", phone=None
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


async def test_two_instances_expiring_at_once_expire_each_lot_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given several people's points expiring, and a hold past its pickup time
    Clock(clock.now())
    await rule()
    await set_policy(ExpiryKind.MONTHS, 1)
    for username in ("resident", "volunteer", "central_household"):
        await award(username, quantity=2)
    held = await redeem("resident", await reward(price=5))
    (lot, *_) = await lots("resident")
    assert lot.expires_at is not None
    later = lot.expires_at + timedelta(days=40)
    due = await Redemption.filter(status=RedemptionStatus.HELD, expires_at__lte=later).count()
    # when two job runs race (separate connections on PostgreSQL)
    expired = await asyncio.gather(*(points.expire_lots(at=later) for _ in range(2)))
    released = await asyncio.gather(*(market.expire_holds(at=later) for _ in range(2)))
    # then every unheld point expired once (60 awarded, 5 held) and the hold was released once
    assert sum(expired) == 55
    assert sum(released) == due  # ours and the demo's pending one
    assert (await Redemption.get(id=held.id)).status is RedemptionStatus.EXPIRED
    assert await market.expire_holds(at=later) == 0
    # and the released 5 (back in their expired lot) expire on the next run, once
    assert await points.expire_lots(at=later) == 5
    assert await points.expire_lots(at=later) == 0
    await assert_ledger_ok()
