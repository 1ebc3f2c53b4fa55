"""Moving a work order along: check a resident's report (核实), accept (接单), assign, start,
resolve, confirm or verify (and close), reopen (返工), transfer (流转), suspend and resume (挂起),
reject, cancel, rate. Every move is checked against
the transition table (services.workorders.transitions) and recorded on the timeline.

Concurrency: each move is one conditional UPDATE on the version the checks read (the first
write of its transaction, so it also takes the row lock); when another move got there first
nothing is written and the checks run again on the order as it is now, which then refuses
(two concurrent accepts: one succeeds, the other gets InvalidTransition). Points for a
confirmation are posted in the transaction that closed the order, so they are paid once; a
unique index on the award's source (migration 0017) stands behind that. The two moves that
pay (confirm, verify) take an idempotency key: a client's retry gets the closed order back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from services.enums import AreaLevel, Role, WorkOrderAction, WorkOrderKind, WorkOrderStatus
from services.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from services.grids import clean_text
from services.kit import clock, events
from services.kit.auth import Actor, require_actor
from services.kit.idempotency import Call
from services.kit.paths import path_ids
from services.models import (
    Area,
    Person,
    RoleAssignment,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderEvent,
)
from services.photos import attachments
from services.photos.processing import PhotoUpload
from services.points import Source, award_for_source, community_at, ledger
from services.workorders.access import prefix, reach
from services.workorders.orders import due_times, emit_change
from services.workorders.routing import handler_for
from services.workorders.transitions import Party, Rule, rule_for

SOURCE_TYPE = "WorkOrder"
HANDLER_RULE = "ORDER_RESOLVED"
REPORTER_RULE = "PROBLEM_REPORTED"
MAX_NOTE = 500
ATTEMPTS = 3

# Each action a person takes: (verb, past participle) for the refusals' wording ("cannot be
# accepted now", "You may not accept"). Spelled out, not made by adding "d": "acceptd".
_WORDS: dict[WorkOrderAction, tuple[str, str]] = {
    WorkOrderAction.ACCEPT: ("accept", "accepted"),
    WorkOrderAction.ASSIGN: ("assign", "assigned"),
    WorkOrderAction.START: ("start", "started"),
    WorkOrderAction.RESOLVE: ("resolve", "resolved"),
    WorkOrderAction.CONFIRM: ("confirm", "confirmed"),
    WorkOrderAction.VERIFY: ("verify", "verified"),
    WorkOrderAction.TRANSFER: ("transfer", "transferred"),
    WorkOrderAction.SUSPEND: ("suspend", "suspended"),
    WorkOrderAction.RESUME: ("resume", "resumed"),
    WorkOrderAction.REJECT: ("reject", "rejected"),
    WorkOrderAction.RATE: ("rate", "rated"),
    WorkOrderAction.CANCEL: ("cancel", "cancelled"),
    WorkOrderAction.CHECK: ("check", "checked"),
    WorkOrderAction.REOPEN: ("reopen", "reopened"),
    WorkOrderAction.DISPATCH: ("dispatch", "dispatched"),
    WorkOrderAction.ESCALATE: ("escalate", "escalated"),
    WorkOrderAction.AUTO_CONFIRM: ("confirm", "confirmed"),
    WorkOrderAction.CLOSE: ("close", "closed"),
    WorkOrderAction.SUBMIT: ("submit", "submitted"),
}


def words(action: WorkOrderAction) -> tuple[str, str]:
    """The verb and past participle of an action, for messages."""
    return _WORDS[action]


@dataclass(frozen=True)
class Step:
    """One timeline row to write."""

    action: WorkOrderAction
    from_status: WorkOrderStatus | None
    to_status: WorkOrderStatus
    actor_id: int | None
    note: str | None = None
    target_area_id: int | None = None

    def row(self, work_order_id: int, at: datetime) -> WorkOrderEvent:
        return WorkOrderEvent(
            work_order_id=work_order_id,
            action=self.action,
            from_status=self.from_status,
            to_status=self.to_status,
            actor_id=self.actor_id,
            note=self.note,
            target_area_id=self.target_area_id,
            at=at,
        )


@dataclass
class Change:
    """What a move writes: the columns, the timeline rows, and work to do in the same
    transaction once the order row changed (paying points)."""

    updates: dict[str, Any]
    steps: list[Step]
    after: Callable[[WorkOrder], Awaitable[None]] | None = field(default=None)


def allowed(order: WorkOrder, action: WorkOrderAction, parties: frozenset[Party]) -> Rule:
    """The table's rule for this move, or the typed refusal: InvalidTransition when the
    order's status (or kind) does not allow it, Forbidden when the actor (who is `parties`
    to the order) may not make it."""
    rule = rule_for(order.status, action, order.kind)
    if rule is None:
        raise InvalidTransition(
            f"A {order.kind.value} that is {order.status.value} cannot be {words(action)[1]} now.",
            field="workOrderId",
        )
    if not parties & rule.parties:
        raise Forbidden(f"You may not {words(action)[0]} this work order.", field="workOrderId")
    return rule


async def apply_change(
    order: WorkOrder, change: Change, action: WorkOrderAction, moment: datetime | None = None
) -> WorkOrder | None:
    """Write a move if the order is still at the version read (None when it moved meanwhile),
    its timeline rows stamped `moment` (default now). Publishes the WORK_ORDER event after
    the commit."""
    moment = moment or clock.now()
    async with events.collecting(), in_transaction():
        changed = await WorkOrder.filter(id=order.id, version=order.version).update(
            **change.updates, version=order.version + 1
        )
        if not changed:
            return None
        await WorkOrderEvent.bulk_create([s.row(order.id, moment) for s in change.steps])
        fresh = await WorkOrder.get(id=order.id)
        if change.after is not None:
            await change.after(fresh)
        emit_change(fresh, action)
    return fresh


async def _move(
    actor: Actor | None,
    work_order_id: int,
    action: WorkOrderAction,
    plan: Callable[[Actor, WorkOrder], Awaitable[Change]],
) -> WorkOrder:
    """Check, plan and write a move; on a lost race look at the order again."""
    actor = require_actor(actor)
    for _ in range(ATTEMPTS):
        order, parties = await reach(actor, work_order_id)
        allowed(order, action, parties)
        change = await plan(actor, order)
        done = await apply_change(order, change, action)
        if done is not None:
            return done
    raise Conflict("The work order keeps changing; try again.", field="workOrderId")


def _note(text: str | None, field_name: str, *, required: bool) -> str | None:
    if text is None:
        if required:
            raise InvalidInput("Give a reason.", field=field_name)
        return None
    return clean_text(text, field=field_name, max_length=MAX_NOTE, required=required) or None


def _step(
    actor: Actor | None,
    order: WorkOrder,
    action: WorkOrderAction,
    to: WorkOrderStatus,
    **extra: Any,
) -> Step:
    return Step(action, order.status, to, actor.person_id if actor else None, **extra)


async def accept(*, actor: Actor | None, work_order_id: int) -> WorkOrder:
    """Accept a dispatched order (接单): the micro-grid leader of the handling area, or the
    grid leader / community admins when the order is escalated or handled at their level."""

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        moment = clock.now()
        return Change(
            {
                "status": WorkOrderStatus.ACCEPTED,
                "accepted_at": moment,
                "accepted_by_id": actor.person_id,
                "sla_breached": order.sla_breached or moment > order.accept_due,
            },
            [_step(actor, order, WorkOrderAction.ACCEPT, WorkOrderStatus.ACCEPTED)],
        )

    return await _move(actor, work_order_id, WorkOrderAction.ACCEPT, plan)


async def may_work_on(order: WorkOrder, person_id: int) -> bool:
    """Whether the person holds, now, a role that lets them be the order's assignee: central
    household of the handling area (or below it), or volunteer of its community."""
    community = prefix(order.handling_path, AreaLevel.COMMUNITY)
    roles = await RoleAssignment.filter(
        person_id=person_id,
        until=None,
        role__in=[Role.CENTRAL_HOUSEHOLD, Role.VOLUNTEER],
    ).values_list("role", "area_path")
    return any(
        (role == Role.CENTRAL_HOUSEHOLD and str(path).startswith(order.handling_path))
        or (role == Role.VOLUNTEER and path == community)
        for role, path in roles
    )


async def _check_assignee(order: WorkOrder, person_id: int) -> str:
    """A central household of the handling area (or below it), or a volunteer of its
    community; never the person who placed or reported the order, nor someone living in the
    household it was placed for. Returns their name."""
    if person_id == order.reporter_id:
        raise InvalidInput("The order's own requester cannot handle it.", field="personId")
    if order.household_id is not None and await Person.exists(
        id=person_id, household_id=order.household_id
    ):
        raise InvalidInput("Nobody handles an order of their own household.", field="personId")
    if await may_work_on(order, person_id):
        return (await Person.get(id=person_id)).name
    raise InvalidInput(
        "Assign a central household of the area or a volunteer of its community.",
        field="personId",
    )


async def assign(*, actor: Actor | None, work_order_id: int, person_id: int) -> WorkOrder:
    """Assign an accepted order to a central household (中心户) or volunteer (the handler);
    assigning again hands it to someone else."""

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        name = await _check_assignee(order, person_id)
        if order.assignee_id == person_id:
            raise Conflict("The order is assigned to this person already.", field="personId")
        return Change(
            {"assignee_id": person_id},
            [
                _step(
                    actor,
                    order,
                    WorkOrderAction.ASSIGN,
                    order.status,
                    note=f"指派给{name}",
                )
            ],
        )

    return await _move(actor, work_order_id, WorkOrderAction.ASSIGN, plan)


async def start(*, actor: Actor | None, work_order_id: int) -> WorkOrder:
    """Start work on an accepted order (the handler or the assignee)."""

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        return Change(
            {"status": WorkOrderStatus.IN_PROGRESS, "started_at": clock.now()},
            [_step(actor, order, WorkOrderAction.START, WorkOrderStatus.IN_PROGRESS)],
        )

    return await _move(actor, work_order_id, WorkOrderAction.START, plan)


async def resolve(
    *,
    actor: Actor | None,
    work_order_id: int,
    note: str | None,
    photos: Sequence[PhotoUpload] = (),
) -> WorkOrder:
    """Mark the work done (the handler or the assignee), with a note of what was done and
    maybe photos of the result (uploads, at most 9, on the RESOLVE step); the resident
    confirms (a report: the grid leader verifies), or the timer does after days."""
    actor = require_actor(actor)
    uploader = actor.person_id
    text = _note(note, "note", required=False)
    attachments.check_count(len(photos))
    if photos:
        # Who may resolve it, before any photo is decoded or written (`_move` checks again).
        order, parties = await reach(actor, work_order_id)
        allowed(order, WorkOrderAction.RESOLVE, parties)
    cleaned = await attachments.prepare(photos)

    async def record_photos(fresh: WorkOrder) -> None:
        # the RESOLVE step this move just wrote (the latest: the order row is locked by its
        # version until the transaction ends)
        step = (
            await WorkOrderEvent.filter(work_order_id=fresh.id, action=WorkOrderAction.RESOLVE)
            .order_by("-id")
            .first()
        )
        assert step is not None
        await attachments.record(
            written, uploaded_by=uploader, work_order_id=fresh.id, work_order_event_id=step.id
        )

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        moment = clock.now()
        return Change(
            {
                "status": WorkOrderStatus.RESOLVED,
                "resolved_at": moment,
                "resolved_by_id": actor.person_id,
                "sla_breached": order.sla_breached or moment > order.resolve_due,
            },
            [_step(actor, order, WorkOrderAction.RESOLVE, WorkOrderStatus.RESOLVED, note=text)],
            record_photos if cleaned else None,
        )

    if not cleaned:
        return await _move(actor, work_order_id, WorkOrderAction.RESOLVE, plan)
    # The files are written before the move's transaction and deleted if it fails.
    async with attachments.saved(cleaned) as written:
        return await _move(actor, work_order_id, WorkOrderAction.RESOLVE, plan)


def handler_of(order: WorkOrder) -> int | None:
    """Who is paid for the work: the assignee, else who resolved it (a leader who took over
    from the one who accepted it is paid, not the one whose role ended), else (orders resolved
    before `resolved_by` was kept) who accepted it. services.workorders.stats counts the
    evaluation's orders within SLA for the same person."""
    return order.assignee_id or order.resolved_by_id or order.accepted_by_id


async def pay(order: WorkOrder, *, actor: Actor | None, verified: bool) -> None:
    """Inside the closing transaction: ORDER_RESOLVED to the handler (see `handler_of`) and,
    for a verified report, PROBLEM_REPORTED to the reporter; each within its rule's caps
    (nothing when none fits), paid by the handling area's community."""
    community = await community_at(order.handling_path)
    category = await WorkOrderCategory.get(id=order.category_id)
    handler = handler_of(order)
    awards: list[tuple[int, str, str]] = []
    if handler is not None:
        awards.append((handler, HANDLER_RULE, f"办结工单 #{order.id}：{category.name}"))
    if verified and order.kind is WorkOrderKind.PROBLEM_REPORT:
        awards.append(
            (order.reporter_id, REPORTER_RULE, f"上报问题经核实 #{order.id}：{category.name}")
        )
    # Every account locked in id order before any award touches the pool (as batch awards do).
    accounts = {p: (await ledger.person_account(p)).id for p, _, _ in awards}
    for account_id in sorted(set(accounts.values())):
        await ledger.lock_account(account_id)
    for person_id, rule_code, reason in sorted(awards, key=lambda a: accounts[a[0]]):
        await award_for_source(
            actor=actor,
            person_id=person_id,
            community=community,
            rule_code=rule_code,
            quantity=1,
            reason=reason,
            source=Source(SOURCE_TYPE, str(order.id)),
        )


def closing(
    actor: Actor | None, order: WorkOrder, action: WorkOrderAction, moment: datetime
) -> Change:
    """Confirmation and closing in one change: CONFIRMED then CLOSED on the timeline."""
    verified = action is WorkOrderAction.VERIFY

    async def after(fresh: WorkOrder) -> None:
        await pay(fresh, actor=actor, verified=verified)

    return Change(
        {
            "status": WorkOrderStatus.CLOSED,
            "confirmed_at": moment,
            "closed_at": moment,
            "confirmed_by_id": actor.person_id if actor else None,
        },
        [
            _step(actor, order, action, WorkOrderStatus.CONFIRMED),
            Step(
                WorkOrderAction.CLOSE,
                WorkOrderStatus.CONFIRMED,
                WorkOrderStatus.CLOSED,
                None,
            ),
        ],
        after,
    )


async def _paying_move(
    actor: Actor | None,
    work_order_id: int,
    action: WorkOrderAction,
    plan: Callable[[Actor, WorkOrder], Awaitable[Change]],
    *,
    operation: str,
    idempotency_key: str,
) -> WorkOrder:
    """A move that pays points, once per idempotency key (services.kit.idempotency): a retry
    with the same key returns the order as it is now instead of InvalidTransition, the same
    key for another order is IdempotencyConflict. The key is claimed in the move's own
    transaction, so a move that is refused records nothing."""
    actor = require_actor(actor)
    call = Call(actor, operation, idempotency_key, {"workOrder": work_order_id})

    async def replay(result_id: int) -> WorkOrder:
        return await WorkOrder.get(id=result_id)

    if (previous := await call.previous(replay)) is not None:
        return previous

    async def effect(_: int) -> tuple[int, WorkOrder]:
        done = await _move(actor, work_order_id, action, plan)
        return done.id, done

    # The move's event goes out once the key's transaction (around the move's) committed.
    async with events.collecting():
        return await call.run(effect, replay)


async def confirm(*, actor: Actor | None, work_order_id: int, idempotency_key: str) -> WorkOrder:
    """The resident confirms their resolved request; it closes and the handler is paid.
    Nobody confirms work they handled (a household member who handled it before moving in)."""

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        if actor.person_id in (order.accepted_by_id, order.resolved_by_id, order.assignee_id):
            raise Forbidden("Someone who did not handle it confirms it.", field="workOrderId")
        return closing(actor, order, WorkOrderAction.CONFIRM, clock.now())

    return await _paying_move(
        actor,
        work_order_id,
        WorkOrderAction.CONFIRM,
        plan,
        operation="confirmWorkOrder",
        idempotency_key=idempotency_key,
    )


async def verify(*, actor: Actor | None, work_order_id: int, idempotency_key: str) -> WorkOrder:
    """The grid leader (or an admin) verifies a resolved report (核实); it closes, the
    handler and the reporter are paid. Nobody verifies work they handled or reported."""

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        handled = (order.accepted_by_id, order.resolved_by_id, order.assignee_id)
        if actor.person_id in (*handled, order.reporter_id):
            raise Forbidden(
                "Someone who neither reported nor handled it verifies a report.",
                field="workOrderId",
            )
        return closing(actor, order, WorkOrderAction.VERIFY, clock.now())

    return await _paying_move(
        actor,
        work_order_id,
        WorkOrderAction.VERIFY,
        plan,
        operation="verifyReport",
        idempotency_key=idempotency_key,
    )


async def _transfer_target(order: WorkOrder, area_id: int | None, up: bool) -> Area:
    if up == (area_id is not None):
        raise InvalidInput("Give either an area or `up`.", field="areaId")
    if up:
        ids = path_ids(order.handling_path)
        if len(ids) <= AreaLevel.COMMUNITY.rank + 1:
            raise InvalidInput("The community is the top of the line.", field="up")
        return await Area.get(id=ids[-2])
    assert area_id is not None
    target = await Area.get_or_none(id=area_id)
    if target is None:
        raise NotFound("No such area.", field="areaId")
    community = prefix(order.handling_path, AreaLevel.COMMUNITY)
    if target.level not in (AreaLevel.MICRO_GRID, AreaLevel.GRID) or not (
        community and target.path.startswith(community)
    ):
        raise InvalidInput(
            "Transfer to a micro-grid or grid of the same community.", field="areaId"
        )
    if target.id == order.handling_area_id:
        raise InvalidInput("The order is handled there already.", field="areaId")
    return target


async def transfer(
    *,
    actor: Actor | None,
    work_order_id: int,
    area_id: int | None = None,
    up: bool = False,
    reason: str,
) -> WorkOrder:
    """Hand an order to another micro-grid or grid of the community, or up a level (流转),
    with a reason; the change is announced to both areas. It is dispatched there:
    acceptance, assignee and escalation start over, but its due times stay as they are (the
    time to accept counts from the first dispatch), so passing an order around never buys
    time: one past its due time stays overdue, the timer escalates it again in its new
    area, and accepting or resolving it late counts as late (`sla_breached`)."""
    text = _note(reason, "reason", required=True)

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        target = await _transfer_target(order, area_id, up)

        async def announce_to_the_area_left(fresh: WorkOrder) -> None:
            # apply_change announces it where it goes; the area it left hears of it too.
            emit_change(fresh, WorkOrderAction.TRANSFER, area_path=order.handling_path)

        return Change(
            {
                "status": WorkOrderStatus.DISPATCHED,
                "handling_area_id": target.id,
                "handling_path": target.path,
                "dispatched_at": clock.now(),
                "accepted_at": None,
                "accepted_by_id": None,
                "assignee_id": None,
                "started_at": None,
                "escalation_level": 0,
            },
            [
                _step(
                    actor,
                    order,
                    WorkOrderAction.TRANSFER,
                    WorkOrderStatus.DISPATCHED,
                    note=text,
                    target_area_id=target.id,
                )
            ],
            announce_to_the_area_left,
        )

    return await _move(actor, work_order_id, WorkOrderAction.TRANSFER, plan)


async def suspend(*, actor: Actor | None, work_order_id: int, reason: str) -> WorkOrder:
    """Put an order on hold (挂起), with a reason: its clocks stop until it is resumed."""
    text = _note(reason, "reason", required=True)

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        return Change(
            {
                "status": WorkOrderStatus.SUSPENDED,
                "suspended_at": clock.now(),
                "suspended_from": order.status,
            },
            [_step(actor, order, WorkOrderAction.SUSPEND, WorkOrderStatus.SUSPENDED, note=text)],
        )

    return await _move(actor, work_order_id, WorkOrderAction.SUSPEND, plan)


async def resume(*, actor: Actor | None, work_order_id: int) -> WorkOrder:
    """Take an order off hold: back to where it was, its due times moved by the pause."""

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        assert order.suspended_at is not None and order.suspended_from is not None
        paused = max(timedelta(0), clock.now() - order.suspended_at)
        seconds = int(paused.total_seconds())
        return Change(
            {
                "status": order.suspended_from,
                "suspended_at": None,
                "suspended_from": None,
                "suspended_seconds": order.suspended_seconds + seconds,
                "accept_due": order.accept_due + timedelta(seconds=seconds),
                "resolve_due": order.resolve_due + timedelta(seconds=seconds),
            },
            [_step(actor, order, WorkOrderAction.RESUME, order.suspended_from)],
        )

    return await _move(actor, work_order_id, WorkOrderAction.RESUME, plan)


async def reject(*, actor: Actor | None, work_order_id: int, reason: str) -> WorkOrder:
    """Refuse an order that is not the net's to handle (not yet started, or on hold), with a
    reason the requester reads; it ends there."""
    text = _note(reason, "reason", required=True)

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        return Change(
            {"status": WorkOrderStatus.REJECTED, "closed_at": clock.now()},
            [_step(actor, order, WorkOrderAction.REJECT, WorkOrderStatus.REJECTED, note=text)],
        )

    return await _move(actor, work_order_id, WorkOrderAction.REJECT, plan)


async def rate(
    *, actor: Actor | None, work_order_id: int, rating: int, comment: str | None
) -> WorkOrder:
    """The resident rates their request once it is resolved: 1-5 stars and a comment, once."""
    if not 1 <= rating <= 5:
        raise InvalidInput("Rate from 1 to 5.", field="rating")
    text = _note(comment, "comment", required=False)

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        if order.rating is not None:
            raise Conflict("The order is rated already.", field="workOrderId")
        return Change(
            {"rating": rating, "comment": text, "rated_at": clock.now()},
            [
                _step(
                    actor,
                    order,
                    WorkOrderAction.RATE,
                    order.status,
                    note=f"{rating}/5" + (f" {text}" if text else ""),
                )
            ],
        )

    return await _move(actor, work_order_id, WorkOrderAction.RATE, plan)


async def cancel(*, actor: Actor | None, work_order_id: int, reason: str) -> WorkOrder:
    """The resident cancels their request before it is accepted; the reporter withdraws their
    report before handling starts (waiting for its check, dispatched or accepted); with a
    reason, on the timeline. It ends there (CANCELLED); nobody is paid."""
    text = _note(reason, "reason", required=True)

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        return Change(
            {"status": WorkOrderStatus.CANCELLED, "closed_at": clock.now()},
            [_step(actor, order, WorkOrderAction.CANCEL, WorkOrderStatus.CANCELLED, note=text)],
        )

    return await _move(actor, work_order_id, WorkOrderAction.CANCEL, plan)


async def check(
    *, actor: Actor | None, work_order_id: int, confirmed: bool, reason: str | None
) -> WorkOrder:
    """A grid leader (or an admin) checks a resident's report on the spot (核实) before it is
    handled. Confirmed: it is dispatched as a grid worker's report is (to the micro-grid where
    it was seen, or its grid when that has no leader), its due times counted from now (CHECK,
    then DISPATCH on the timeline). Not confirmed: it ends REJECTED with the reason (required)."""
    text = _note(reason, "reason", required=not confirmed)
    action = WorkOrderAction.CHECK if confirmed else WorkOrderAction.REJECT

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        if actor.person_id == order.reporter_id:
            raise Forbidden("Someone else checks your report.", field="workOrderId")
        moment = clock.now()
        if not confirmed:
            return Change(
                {"status": WorkOrderStatus.REJECTED, "closed_at": moment},
                [_step(actor, order, action, WorkOrderStatus.REJECTED, note=text)],
            )
        handling, note = await handler_for(await Area.get(id=order.area_id))
        category = await WorkOrderCategory.get(id=order.category_id)
        return Change(
            {
                "status": WorkOrderStatus.DISPATCHED,
                "handling_area_id": handling.id,
                "handling_path": handling.path,
                "dispatched_at": moment,
                **due_times(category, moment),
            },
            [
                _step(actor, order, action, WorkOrderStatus.SUBMITTED, note=text or "现场核实属实"),
                Step(
                    WorkOrderAction.DISPATCH,
                    WorkOrderStatus.SUBMITTED,
                    WorkOrderStatus.DISPATCHED,
                    None,
                    note=note,
                    target_area_id=handling.id,
                ),
            ],
        )

    return await _move(actor, work_order_id, action, plan)


async def reopen(*, actor: Actor | None, work_order_id: int, reason: str) -> WorkOrder:
    """Send a resolved order back to its handler (返工), with a reason: the resident is not
    satisfied with their request, or the grid leader's (an admin's) verification of a report
    failed. It is IN_PROGRESS again with the same handler and assignee; the time to resolve
    starts over from now as its category says (escalation goes on from the level reached);
    the resolution and any rating are cleared (the timeline keeps them), so it is resolved,
    confirmed or verified, and rated anew. An assignee who no longer holds a role that lets
    them work on it (their role ended while it waited; the handover at a role's end moves only
    open orders) is taken off it: the order goes back to its handler, who ever holds the
    handling role now, with an ASSIGN step (by nobody) on the timeline."""
    text = _note(reason, "reason", required=True)

    async def plan(actor: Actor, order: WorkOrder) -> Change:
        category = await WorkOrderCategory.get(id=order.category_id)
        moment = clock.now()
        updates: dict[str, Any] = {
            "status": WorkOrderStatus.IN_PROGRESS,
            "resolved_at": None,
            "resolved_by_id": None,
            "resolve_due": due_times(category, moment)["resolve_due"],
            "rating": None,
            "comment": None,
            "rated_at": None,
        }
        steps = [
            _step(actor, order, WorkOrderAction.REOPEN, WorkOrderStatus.IN_PROGRESS, note=text)
        ]
        if order.assignee_id is not None and not await may_work_on(order, order.assignee_id):
            updates["assignee_id"] = None
            steps.append(
                Step(
                    WorkOrderAction.ASSIGN,
                    WorkOrderStatus.IN_PROGRESS,
                    WorkOrderStatus.IN_PROGRESS,
                    None,
                    note="原指派人角色已结束，交回处理人",
                )
            )
        return Change(updates, steps)

    return await _move(actor, work_order_id, WorkOrderAction.REOPEN, plan)
