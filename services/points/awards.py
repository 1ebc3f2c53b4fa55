"""Awards, penalties and reversals: points earned by rule, taken by rule, corrected by admins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q, Subquery
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from services.enums import (
    AuditKind,
    AwardStatus,
    MembershipStatus,
    PeriodStatus,
    PointsWithheldReason,
    TransactionKind,
)
from services.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    LimitExceeded,
    NotFound,
)
from services.grids import clean_text
from services.kit import audit, calendar, clock, db
from services.kit.auth import Actor, require_actor
from services.kit.idempotency import Call
from services.kit.paths import ancestor_paths, community_path
from services.models import (
    EvaluationPeriod,
    PointsAward,
    PointsBatchRefusal,
    PointsRule,
    PointsTransaction,
    RoleAssignment,
    TeamMembership,
    VolunteerTeam,
)
from services.points import ledger
from services.points.ledger import Community, Movement
from services.points.rules import may_grant, rule_for, rules_as_of

MAX_QUANTITY = 1000
MAX_BATCH = 200
# Sources whose points other services post themselves (approved volunteer hours, red-flag
# honours, notice acknowledgements, confirmed work orders): a manual award or penalty may not
# claim them.
SERVICE_SOURCES = frozenset({"ActivitySignUp", "Honour", "NoticeAcknowledgement", "WorkOrder"})


@dataclass(frozen=True)
class Source:
    """The object points were earned for (an activity, a work order, ...): type and key."""

    type: str
    id: str


def _check_source(source: Source | None) -> Source | None:
    if source is not None and source.type in SERVICE_SOURCES:
        raise InvalidInput(
            f"Points for a {source.type} are posted by the service itself.", field="sourceId"
        )
    return source


def _check_quantity(quantity: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(f"Quantity must be between 1 and {MAX_QUANTITY}.", field="quantity")
    return quantity


def _code(rule_code: str) -> str:
    """A rule code as rules are looked up (so a retry in other letter case is the same)."""
    return rule_code.strip().upper()


def _reason(reason: str) -> str:
    return clean_text(reason, field="reason", max_length=500)


def _single_call(
    actor: Actor,
    operation: str,
    person_id: int,
    rule_code: str,
    quantity: int,
    reason: str,
    source: Source | None,
    idempotency_key: str,
) -> Call:
    """The idempotent call of an award or penalty for one person (input checked first)."""
    _check_quantity(quantity)
    _check_source(source)
    request = dict(
        person=person_id, rule=_code(rule_code), quantity=quantity, reason=reason, source=source
    )
    return Call(actor, operation, idempotency_key, request)


@dataclass(frozen=True)
class _Plan:
    """A checked award or penalty for one person, ready to post."""

    person_id: int
    account_id: int
    community: Community
    rule: PointsRule
    points: int
    # When the points were earned, if before the award (hours served): the caps count them in
    # that day, month and quarter. None: now.
    earned_at: datetime | None = None


async def _plan(
    actor: Actor, *, person_id: int, rule_code: str, quantity: int, penalty: bool
) -> _Plan:
    """Everything checkable before the transaction: the person, the rule, the actor's right."""
    actor.require_someone_else(
        person_id, "Nobody awards or penalizes themselves.", field="personId"
    )
    places = await ledger.person_places(person_id)
    if not places or not any(actor.reads(place) for place in places):
        raise NotFound("No such person in your areas.", field="personId")
    # The community that grants pays: the first of the person's places (home first) that the
    # actor runs; its pool issues the points and its overrides of the rule apply.
    ours = [p for p in places if actor.reads(p) and community_path(p) is not None]
    if not ours:
        raise InvalidInput(
            "The person belongs to no community yet (no household, no role).", field="personId"
        )
    community = await ledger.community_at(ours[0])
    rule = await rule_for(rule_code, community)
    if penalty != (rule.points < 0):
        raise InvalidInput(
            f"{rule.code} is a {'penalty' if rule.points < 0 else 'reward'}: use "
            f"{'penalizePoints' if rule.points < 0 else 'awardPoints'}.",
            field="ruleCode",
        )
    if not may_grant(actor, rule, places):
        raise Forbidden(f"Your roles may not grant {rule.code} to this person.", field="ruleCode")
    if rule.receiver_roles:
        held = await _open_roles(person_id)
        if not held & set(rule.receiver_roles):
            raise InvalidInput(
                f"{rule.code} is for {', '.join(rule.receiver_roles)} only.", field="personId"
            )
    account = await ledger.person_account(person_id)
    return _Plan(person_id, account.id, community, rule, rule.points * quantity)


async def _open_roles(person_id: int) -> set[str]:
    rows = await db.fetch(
        "SELECT role FROM role_assignment WHERE person_id = ? AND until IS NULL", [person_id]
    )
    return {str(r["role"]) for r in rows}


async def _cap_usage(plan: _Plan) -> list[tuple[str, int, int]]:
    """(window, cap, points used) for each cap of the rule over the local day, month and
    quarter the points are earned in, counting pending awards too. Read under the person's
    account lock, so concurrent awards see each other."""
    rule = plan.rule
    caps = {"day": rule.cap_per_day, "month": rule.cap_per_month, "quarter": rule.cap_per_quarter}
    windows = calendar.local_windows(plan.earned_at or clock.now())
    return [
        (name, cap, abs(await _used(plan, *windows[name])))
        for name, cap in caps.items()
        if cap is not None
    ]


@dataclass(frozen=True)
class CapFit:
    """What a rule's caps make of an award: the units granted and, when fewer than asked
    (none: refused), the cap that bound it (window name, cap, points used before it)."""

    units: int
    bound: tuple[str, int, int] | None = None


def fit_caps(
    usage: list[tuple[str, int, int]], unit_points: int, quantity: int, *, clamp: bool
) -> CapFit:
    """The caps' decision on `quantity` units of `unit_points` each, given (window, cap, points
    used) for each cap of the rule (see `_cap_usage`). Pure: the awards and the simulation
    (services.points.whatif) decide alike.

    clamp False (awardPoints, batches, penalties): all or nothing; refused (0 units, the first
    cap passed) when the points would pass a cap. clamp True (award_for_source_capped): as many
    whole units as fit under every cap; `bound` is the tightest cap when some units do not."""
    unit = abs(unit_points)
    if not clamp:
        for name, cap, used in usage:
            if used + unit * quantity > cap:
                return CapFit(0, (name, cap, used))
        return CapFit(quantity)
    units, bound = quantity, None
    for name, cap, used in usage:
        fitting = max(0, cap - used) // unit
        if fitting < units:
            units, bound = fitting, (name, cap, used)
    return CapFit(units, bound)


async def _check_caps(plan: _Plan) -> None:
    """LimitExceeded when the plan would pass one of the rule's caps."""
    fit = fit_caps(await _cap_usage(plan), plan.points, 1, clamp=False)
    if fit.bound is not None:
        name, cap, used = fit.bound
        raise LimitExceeded(
            f"{plan.rule.code} allows {cap} points per person per {name}; {used} are used already.",
            field="quantity",
        )


async def _used(plan: _Plan, start: object, end: object) -> int:
    """Points already given (or taken) by the rule in the window; reversed ones do not count.
    An award counts when its points were earned (`earned_at`, else when it was made)."""
    reversed_ids = Subquery(
        PointsTransaction.filter(reverses_id__isnull=False).values("reverses_id")
    )
    if plan.points > 0:
        row = (
            await PointsAward.filter(
                Q(transaction_id=None) | ~Q(transaction_id__in=reversed_ids),
                Q(earned_at__gte=start, earned_at__lt=end)
                | Q(earned_at=None, created_at__gte=start, created_at__lt=end),
                person_id=plan.person_id,
                rule_id=plan.rule.id,
                status__in=[AwardStatus.PENDING, AwardStatus.APPROVED],
            )
            .annotate(total=Sum("points"))
            .values("total")
        )
    else:
        row = (
            await PointsTransaction.filter(
                ~Q(id__in=reversed_ids),
                person_id=plan.person_id,
                rule_id=plan.rule.id,
                kind=TransactionKind.PENALTY,
                created_at__gte=start,
                created_at__lt=end,
            )
            .annotate(total=Sum("credit"))
            .values("total")
        )
    return int(row[0]["total"] or 0) if row else 0


async def _award(
    actor: Actor | None,
    plan: _Plan,
    quantity: int,
    reason: str,
    source: Source | None,
    batch_id: int | None = None,
    *,
    caps_checked: bool = False,
) -> PointsAward:
    """Inside the transaction: lock the person, check the caps (unless the caller did, under
    the same lock), record and maybe post."""
    await ledger.lock_account(plan.account_id)
    if not caps_checked:
        await _check_caps(plan)
    status = AwardStatus.PENDING if plan.rule.requires_review else AwardStatus.APPROVED
    # Built first and inserted once, with its transaction when it is posted at once (no
    # INSERT then UPDATE).
    award = PointsAward(
        person_id=plan.person_id,
        rule_id=plan.rule.id,
        rule_version=plan.rule.version,
        community_id=plan.community.id,
        area_path=plan.community.path,
        quantity=quantity,
        points=plan.points,
        status=status,
        reason=reason,
        source_type=source.type if source else None,
        source_id=source.id if source else None,
        requested_by_id=actor.account_id if actor else None,
        batch_id=batch_id,
        created_at=clock.now(),
        earned_at=plan.earned_at,
    )
    if status is AwardStatus.APPROVED:
        tx = await _post_award(award, plan.rule, plan.community, actor, plan.account_id)
        award.transaction_id = tx.id
    await award.save()
    await _audit(actor, "awardPoints", award)
    return award


async def _audit(
    actor: Actor | None,
    action: str,
    subject: PointsAward | PointsTransaction,
    before: dict[str, object] | None = None,
) -> None:
    """Inside the change's transaction: log a change of points in the community it concerns."""
    await audit.record(
        actor=actor,
        kind=AuditKind.POINTS,
        action=action,
        area_path=subject.area_path,
        subject=subject,
        before=before,
    )


async def credit_period(award: PointsAward) -> str:
    """The quarter an award's evaluation credit counts in: the quarter its points were earned
    (`earned_at`: hours served), the same quarter its rule's caps count them in, so hours
    approved late are credited where they were served. Unless an evaluation covering that
    quarter for the person (a period of the quarter at or above the award's community or one
    of the person's open roles) has started scoring: its results are a snapshot of the ledger
    that later credit does not change (services.evaluation.periods.start_scoring), as it
    counts a late work order in the quarter it is confirmed; then the credit goes to the
    quarter it is posted in, where it still counts. Never to a quarter nobody will score."""
    now = calendar.period_of(clock.now())
    if award.earned_at is None:
        return now
    earned = calendar.period_of(award.earned_at)
    if earned >= now:
        return now
    places = [
        award.area_path,
        *await RoleAssignment.filter(person_id=award.person_id, until=None).values_list(
            "area_path", flat=True
        ),
    ]
    lines = sorted({line for place in places for line in (str(place), *ancestor_paths(str(place)))})
    if db.dialect() == "postgres":
        # Share-lock the quarter's open periods until this award commits: a start_scoring
        # (which locks its period's row first) waits for the credit to be in its snapshot, or,
        # already under way, makes this wait and then shows its period as scoring below. Open
        # rows only, so a publication (period, then accounts) never waits on an award here.
        # SQLite needs none: its one writer at a time serializes the two.
        marks = ",".join("?" for _ in lines)
        await db.fetch(
            "SELECT id FROM evaluation_period WHERE quarter = ? AND status = ? "
            f"AND area_path IN ({marks}) FOR SHARE",
            [earned, PeriodStatus.OPEN.value, *lines],
        )
    scored = (
        await EvaluationPeriod.filter(quarter=earned, area_path__in=lines)
        .exclude(status=PeriodStatus.OPEN)
        .exists()
    )
    return now if scored else earned


async def _post_award(
    award: PointsAward,
    rule: PointsRule,
    community: Community,
    actor: Actor | None,
    account_id: int,
) -> PointsTransaction:
    """Pool → person (the person's account `account_id`), a new lot with the community's
    expiry, and the evaluation credit (in the quarter `credit_period` says)."""
    pool = await ledger.pool_account(community)
    moment = clock.now()
    period = await credit_period(award)
    tx = await ledger.post(
        Movement(
            kind=TransactionKind.AWARD,
            community=community,
            person_id=award.person_id,
            points=award.points,
            rule_id=rule.id,
            rule_version=award.rule_version,
            dimension=rule.dimension,
            credit=award.points,
            period=period,
            reason=award.reason,
            source_type=award.source_type,
            source_id=award.source_id,
            actor_account_id=actor.account_id if actor else None,
        ),
        [(account_id, award.points), (pool.id, -award.points)],
    )
    policy = await ledger.policy_for(community)
    await ledger.add_lot(account_id, tx.id, award.points, ledger.expiry_from(policy, moment))
    await ledger.add_credit(award.person_id, period, rule.dimension, award.points)
    return tx


async def award_points(
    *,
    actor: Actor | None,
    person_id: int,
    rule_code: str,
    quantity: int,
    reason: str,
    source: Source | None,
    idempotency_key: str,
) -> PointsAward:
    """Award points by a rule (APPROVED at once, or PENDING when the rule needs review)."""
    actor = require_actor(actor)
    reason = _reason(reason)
    call = _single_call(
        actor, "awardPoints", person_id, rule_code, quantity, reason, source, idempotency_key
    )
    call.check()
    # No read of the key first: a first call claims it in its transaction, and a retry finds
    # it claimed there (or here, if the world changed since and the checks refuse it).
    try:
        plan = await _plan(
            actor, person_id=person_id, rule_code=rule_code, quantity=quantity, penalty=False
        )
    except Exception:
        if (previous := await call.previous(_award_by_id)) is not None:
            return previous
        raise

    async def effect(_: int) -> tuple[int, PointsAward]:
        award = await _award(actor, plan, quantity, reason, source)
        return award.id, award

    return await call.run(effect, _award_by_id)


async def _award_by_id(award_id: int) -> PointsAward:
    return await PointsAward.get(id=award_id)


@dataclass(frozen=True)
class PersonOutcome:
    """What a batch award did for one person: the award, or the typed reason it was refused."""

    person_id: int
    award: PointsAward | None = None
    error: DomainError | None = None


@dataclass(frozen=True)
class BatchResult:
    """The outcome of every person of a batch, by person id. `refused`: an atomic batch in
    which somebody could not be awarded, so nobody was (nothing was written)."""

    outcomes: list[PersonOutcome]
    refused: bool = False

    @property
    def awards(self) -> list[PointsAward]:
        """The awards made (PENDING ones included)."""
        return [o.award for o in self.outcomes if o.award is not None]


# The typed errors a refusal is stored as, by code (to answer a retry with the same outcomes).
_REFUSALS: dict[str, type[DomainError]] = {
    cls.code: cls for cls in (InvalidInput, NotFound, Forbidden, Conflict, LimitExceeded)
}


def _personal(error: DomainError) -> bool:
    """Is the error about the person (refuse them, award the others), or about the whole
    request (an unknown rule, a penalty rule: refuse the batch)?"""
    return isinstance(error, Forbidden | LimitExceeded) or error.field == "personId"


async def _team_members(actor: Actor, team_id: int) -> list[int]:
    """The active (approved) members of a volunteer team the actor may read, by person id."""
    team = await VolunteerTeam.get_or_none(id=team_id)
    if team is None or not actor.reads(team.area_path):
        raise NotFound("No such team in your areas.", field="teamId")
    members = await TeamMembership.filter(
        team_id=team.id, status=MembershipStatus.APPROVED
    ).values_list("person_id", flat=True)
    found = sorted({int(str(p)) for p in members})
    if not found:
        raise InvalidInput("The team has no active members.", field="teamId")
    if len(found) > MAX_BATCH:
        raise InvalidInput(f"At most {MAX_BATCH} people at once.", field="teamId")
    return found


async def award_points_batch(
    *,
    actor: Actor | None,
    person_ids: list[int] | None,
    team_id: int | None = None,
    rule_code: str,
    quantity: int,
    reason: str,
    source: Source | None,
    idempotency_key: str,
    atomic: bool = False,
) -> BatchResult:
    """Award the same rule to several people (a list, or every active member of a volunteer
    team): each person's outcome, by person id. A person who cannot be awarded (a cap, no
    right to grant to them) is refused with the reason and the others are awarded; with
    `atomic` one refusal refuses the batch (nothing is written, the refusals say why)."""
    # First of all, before even the sign-in check: an oversized batch is refused unread.
    if person_ids is not None and len(person_ids) > MAX_BATCH:
        raise InvalidInput(f"At most {MAX_BATCH} people at once.", field="personIds")
    actor = require_actor(actor)
    if (person_ids is None) == (team_id is None):
        raise InvalidInput("Give either personIds or teamId (exactly one).", field="teamId")
    _check_quantity(quantity)
    _check_source(source)
    reason = _reason(reason)
    if person_ids is not None:
        unique = sorted(set(person_ids))
        if not unique or len(unique) != len(person_ids):
            raise InvalidInput(f"Give 1 to {MAX_BATCH} different people.", field="personIds")
        # Naming oneself is a request nobody may make (separation of duties), not a person's
        # outcome; a team's award simply refuses its member who asks for it.
        if actor.person_id in unique:
            raise Forbidden("Nobody awards or penalizes themselves.", field="personIds")
        who: dict[str, object] = {"people": unique}
    else:
        assert team_id is not None
        who = {"team": team_id}

    async def replay(record_id: int) -> BatchResult:
        awards = await PointsAward.filter(batch_id=record_id)
        refusals = await PointsBatchRefusal.filter(batch_id=record_id)
        outcomes = [PersonOutcome(a.person_id, award=a) for a in awards] + [
            PersonOutcome(r.person_id, error=_REFUSALS[r.code](r.message, field=r.field))
            for r in refusals
        ]
        return BatchResult(sorted(outcomes, key=lambda o: o.person_id))

    request = dict(
        who, rule=_code(rule_code), quantity=quantity, reason=reason, source=source, atomic=atomic
    )
    call = Call(actor, "awardPointsBatch", idempotency_key, request)
    if (previous := await call.previous(replay)) is not None:
        return previous
    people = unique if person_ids is not None else await _team_members(actor, team_id or 0)
    plans: list[_Plan] = []
    refused_before: dict[int, DomainError] = {}
    for person in people:
        try:
            plans.append(
                await _plan(
                    actor, person_id=person, rule_code=rule_code, quantity=quantity, penalty=False
                )
            )
        except DomainError as error:
            if not _personal(error):
                raise
            refused_before[person] = error
    # Lock order: person accounts by id, so two batches over the same people cannot deadlock.
    plans.sort(key=lambda plan: plan.account_id)

    async def effect(record_id: int) -> tuple[int, BatchResult]:
        # Every person's account before the first posting touches the pool: a single award
        # (person, then pool) running at the same time then cannot deadlock with this batch.
        for plan in plans:
            await ledger.lock_account(plan.account_id)
        # A copy: call.run may run this again (a deadlock retried), and a cap refused in the
        # attempt rolled back may fit now.
        refused = dict(refused_before)
        fitting = []
        for plan in plans:
            try:
                await _check_caps(plan)  # under the lock: what is checked stays true
                fitting.append(plan)
            except LimitExceeded as error:
                refused[plan.person_id] = error
        if atomic and refused:
            raise _Refused(BatchResult(_refusals(refused), refused=True))
        outcomes = _refusals(refused)
        for plan in fitting:
            award = await _award(
                actor, plan, quantity, reason, source, record_id, caps_checked=True
            )
            outcomes.append(PersonOutcome(plan.person_id, award=award))
        await PointsBatchRefusal.bulk_create(
            [
                PointsBatchRefusal(
                    batch_id=record_id,
                    person_id=person,
                    code=error.code,
                    message=error.message[:500],
                    field=error.field,
                )
                for person, error in sorted(refused.items())
            ]
        )
        return record_id, BatchResult(sorted(outcomes, key=lambda o: o.person_id))

    try:
        return await call.run(effect, replay)
    except _Refused as refusal:
        return refusal.result


class _Refused(Exception):
    """An atomic batch with refusals: raised inside its transaction to roll it back."""

    def __init__(self, result: BatchResult) -> None:
        super().__init__("refused")
        self.result = result


def _refusals(refused: dict[int, DomainError]) -> list[PersonOutcome]:
    return [PersonOutcome(p, error=e) for p, e in sorted(refused.items())]


async def _reviewable(actor: Actor, award_id: int) -> PointsAward:
    award = await PointsAward.get_or_none(id=award_id)
    if award is None or not _sees(actor, award):
        raise NotFound("No such award.", field="awardId")
    if not actor.administers(award.area_path):
        raise Forbidden("Community admins review awards.", field="awardId")
    if award.requested_by_id == actor.account_id:
        raise Forbidden("Someone else reviews the awards you asked for.", field="awardId")
    actor.require_someone_else(
        award.person_id, "Someone else reviews an award paid to you.", field="awardId"
    )
    return award


async def approve_award(*, actor: Actor | None, award_id: int) -> PointsAward:
    """Approve a pending award: its points are posted (approving twice posts once)."""
    actor = require_actor(actor)
    award = await _reviewable(actor, award_id)
    # The rule as it was when the award was asked for: its credit goes to that version's
    # dimension, as the award's statement shows it.
    (rule,) = await rules_as_of(keys=[(award.rule_id, award.rule_version)])
    assert rule is not None  # a rule with awards is never deleted (RESTRICT)
    community = await ledger.community_at(award.area_path)
    async with in_transaction():
        # The status flips first (a write): of two concurrent approvals one finds nothing to do.
        changed = await PointsAward.filter(id=award.id, status=AwardStatus.PENDING).update(
            status=AwardStatus.APPROVED, reviewed_by_id=actor.account_id, reviewed_at=clock.now()
        )
        if changed:
            account = await ledger.person_account(award.person_id)
            await ledger.lock_account(account.id)
            tx = await _post_award(award, rule, community, actor, account.id)
            await PointsAward.filter(id=award.id).update(transaction_id=tx.id)
            before = audit.snapshot(award)
            await _audit(actor, "approveAward", await PointsAward.get(id=award.id), before)
    award = await PointsAward.get(id=award.id)
    if award.status is not AwardStatus.APPROVED:
        raise Conflict(f"The award is {award.status.value} already.", field="awardId")
    return award


async def reject_award(*, actor: Actor | None, award_id: int, reason: str) -> PointsAward:
    """Reject a pending award with a reason (it no longer counts against the caps)."""
    actor = require_actor(actor)
    reason = _reason(reason)
    award = await _reviewable(actor, award_id)
    async with in_transaction():
        changed = await PointsAward.filter(id=award.id, status=AwardStatus.PENDING).update(
            status=AwardStatus.REJECTED,
            reviewed_by_id=actor.account_id,
            reviewed_at=clock.now(),
            review_reason=reason,
        )
        if changed:
            before = audit.snapshot(award)
            await _audit(actor, "rejectAward", await PointsAward.get(id=award.id), before)
    award = await PointsAward.get(id=award.id)
    if not changed and award.status is not AwardStatus.REJECTED:
        raise Conflict(f"The award is {award.status.value} already.", field="awardId")
    return award


async def penalize_points(
    *,
    actor: Actor | None,
    person_id: int,
    rule_code: str,
    quantity: int,
    reason: str,
    source: Source | None,
    idempotency_key: str,
) -> PointsTransaction:
    """Take points by a penalty rule. A penalty above the available balance takes what is
    there (never below zero) and counts in full against the evaluation credit (`shortfall`)."""
    actor = require_actor(actor)
    reason = _reason(reason)
    call = _single_call(
        actor, "penalizePoints", person_id, rule_code, quantity, reason, source, idempotency_key
    )
    if (previous := await call.previous(_transaction_by_id)) is not None:
        return previous
    plan = await _plan(
        actor, person_id=person_id, rule_code=rule_code, quantity=quantity, penalty=True
    )
    pool = await ledger.pool_account(plan.community)

    async def effect(_: int) -> tuple[int, PointsTransaction]:
        locked = await ledger.lock_account(plan.account_id)
        await _check_caps(plan)
        due = -plan.points
        taken = min(due, locked.available)
        shortfall = due - taken
        note = reason if not shortfall else f"{reason} (余额不足: {shortfall} 分仅计入评估)"
        period = calendar.period_of(clock.now())
        tx = await ledger.post(
            Movement(
                kind=TransactionKind.PENALTY,
                community=plan.community,
                person_id=person_id,
                points=-taken,
                rule_id=plan.rule.id,
                rule_version=plan.rule.version,
                dimension=plan.rule.dimension,
                credit=plan.points,
                period=period,
                shortfall=shortfall,
                reason=note,
                source_type=source.type if source else None,
                source_id=source.id if source else None,
                actor_account_id=actor.account_id,
            ),
            [(plan.account_id, -taken), (pool.id, taken)],
        )
        if taken:
            await ledger.take_from_lots(plan.account_id, taken)
        await ledger.add_credit(person_id, period, plan.rule.dimension, plan.points)
        await _audit(actor, "penalizePoints", tx)
        return tx.id, tx

    return await call.run(effect, _transaction_by_id)


async def _transaction_by_id(transaction_id: int) -> PointsTransaction:
    return await PointsTransaction.get(id=transaction_id)


REVERSIBLE = (TransactionKind.AWARD, TransactionKind.PENALTY)


async def reverse_transaction(
    *, actor: Actor | None, transaction_id: int, reason: str, idempotency_key: str
) -> PointsTransaction:
    """Correct an award or a penalty by a compensating transaction linked to it (admins of its
    community). Reversing an award takes back what is still available (never below zero) and
    removes its evaluation credit in full; reversing a penalty gives back what it took."""
    actor = require_actor(actor)
    reason = _reason(reason)
    call = Call(
        actor,
        "reverseTransaction",
        idempotency_key,
        {"transaction": transaction_id, "reason": reason},
    )
    if (previous := await call.previous(_transaction_by_id)) is not None:
        return previous
    original = await PointsTransaction.get_or_none(id=transaction_id)
    if original is None or not actor.reads(original.area_path):
        raise NotFound("No such transaction.", field="transactionId")
    actor.require_admin_of(original.area_path, "reverse points")
    # Reversing one's own penalty (or award) is a decision about one's own points, even when
    # someone else (a district admin) posted it: another admin of the community corrects it.
    actor.require_someone_else(
        original.person_id,
        "Someone else corrects the points given to or taken from you.",
        field="transactionId",
    )
    if original.kind not in REVERSIBLE or original.person_id is None:
        raise InvalidInput(
            "Only awards and penalties are reversed (cancel a redemption instead).",
            field="transactionId",
        )
    person_id = original.person_id
    community = await ledger.community_at(original.area_path)
    account = await ledger.person_account(person_id)
    pool = await ledger.pool_account(community)

    async def effect(_: int) -> tuple[int, PointsTransaction]:
        locked = await ledger.lock_account(account.id)
        if await PointsTransaction.exists(reverses_id=original.id):
            raise Conflict("The transaction was reversed already.", field="transactionId")
        if original.kind is TransactionKind.AWARD:
            back = min(original.points, locked.available)
            shortfall = original.points - back
            delta = -back
        else:
            delta, shortfall = -original.points, 0
        note = reason if not shortfall else f"{reason} (余额不足: {shortfall} 分未能收回)"
        tx = await ledger.post(
            Movement(
                kind=TransactionKind.REVERSAL,
                community=community,
                person_id=person_id,
                points=delta,
                rule_id=original.rule_id,
                rule_version=original.rule_version,
                dimension=original.dimension,
                credit=-original.credit,
                period=original.period,
                shortfall=shortfall,
                reason=note,
                reverses_id=original.id,
                actor_account_id=actor.account_id,
            ),
            [(account.id, delta), (pool.id, -delta)],
        )
        if delta < 0:
            await ledger.take_from_lots(account.id, -delta, first_from=original.id)
        elif delta > 0:
            policy = await ledger.policy_for(community)
            await ledger.add_lot(account.id, tx.id, delta, ledger.expiry_from(policy, clock.now()))
        if original.dimension is not None and original.period is not None:
            await ledger.add_credit(
                person_id, original.period, original.dimension, -original.credit
            )
        await _audit(actor, "reverseTransaction", tx, audit.snapshot(original))
        return tx.id, tx

    return await call.run(effect, _transaction_by_id)


async def awards_by_ids(*, actor: Actor | None, award_ids: list[int]) -> list[PointsAward | None]:
    """Awards the actor may see (see `_sees`), in order."""
    if actor is None:
        return [None for _ in award_ids]
    found = {a.id: a for a in await PointsAward.filter(id__in=award_ids)}
    return [a if a is not None and _sees(actor, a) else None for a in map(found.get, award_ids)]


def _sees(actor: Actor, award: PointsAward) -> bool:
    """The receiver, the requester, and those who read the award's community see an award."""
    return (
        award.person_id == actor.person_id
        or award.requested_by_id == actor.account_id
        or actor.reads(award.area_path)
    )


@dataclass(frozen=True)
class SourceAward:
    """What award_for_source_capped posted: the award (None: nothing fitted or the rule does
    not apply), the units the rule's caps left out, and why units went without points
    (`withheld`: None when every unit was paid)."""

    award: PointsAward | None
    capped: int
    withheld: PointsWithheldReason | None = None


async def award_for_source(
    *,
    actor: Actor | None,
    person_id: int,
    community: Community,
    rule_code: str,
    quantity: int,
    reason: str,
    source: Source,
    earned_at: datetime | None = None,
) -> PointsAward | None:
    """award_for_source_capped's award alone (for callers that do not report what a cap left
    out)."""
    return (
        await award_for_source_capped(
            actor=actor,
            person_id=person_id,
            community=community,
            rule_code=rule_code,
            quantity=quantity,
            reason=reason,
            source=source,
            earned_at=earned_at,
        )
    ).award


async def award_for_source_capped(
    *,
    actor: Actor | None,
    person_id: int,
    community: Community,
    rule_code: str,
    quantity: int,
    reason: str,
    source: Source,
    earned_at: datetime | None = None,
) -> SourceAward:
    """Inside the caller's transaction: award up to `quantity` units of a rule for a source,
    paid by the community's pool under its override of the rule, as many units as fit under
    the rule's caps (fewer rather than none; `capped` says how many did not). No award when no
    unit fits, the community has no such (active) rule, it pays nothing or the person is not
    among its receivers; `withheld` says which.
    `earned_at`: when the units were earned (hours served), whose day, month and quarter the
    caps count them in (default: now).

    For earnings another service has already decided on (approved volunteer hours), whose
    approver usually holds no granting role of the rule: awardPoints keeps its own checks.
    `actor` None: the service itself decided (a timer), so nobody is recorded as requester.
    The caller ensures a source is awarded once (a state change before this call, and the
    unique index on ActivitySignUp sources from migration 0013)."""
    if quantity <= 0:
        return SourceAward(None, 0)
    try:
        rule = await rule_for(rule_code, community)
    except NotFound:
        return SourceAward(None, 0, PointsWithheldReason.NO_RULE)
    if rule.points <= 0:
        return SourceAward(None, 0, PointsWithheldReason.NO_POINTS)
    if rule.receiver_roles and not (await _open_roles(person_id)) & set(rule.receiver_roles):
        return SourceAward(None, 0, PointsWithheldReason.NOT_A_RECEIVER)
    account = await ledger.person_account(person_id)
    await ledger.lock_account(account.id)
    probe = _Plan(person_id, account.id, community, rule, rule.points, earned_at)
    fitting = fit_caps(await _cap_usage(probe), rule.points, quantity, clamp=True).units
    if fitting == 0:
        return SourceAward(None, quantity, PointsWithheldReason.CAPPED)
    plan = _Plan(person_id, account.id, community, rule, rule.points * fitting, earned_at)
    award = await _award(actor, plan, fitting, _reason(reason), source, caps_checked=True)
    capped = quantity - fitting
    return SourceAward(award, capped, PointsWithheldReason.CAPPED if capped else None)
