"""The transition table, exhaustively: for every resting status, every action people take and
every kind of person, the move either happens as the table says or is refused with the typed
error (InvalidTransition, Forbidden, or NotFound for who may not see the order) and nothing
changes. The expected outcome is derived from the table and from who each person is, not from
the code under test."""

from __future__ import annotations

from typing import Any

import pytest

from services.enums import WorkOrderAction as Action
from services.enums import WorkOrderKind as Kind
from services.enums import WorkOrderStatus as Status
from services.errors import DomainError, Forbidden, InvalidTransition, NotFound
from services.models import WorkOrder
from services.workorders import TRANSITIONS, USER_ACTIONS, Party
from tests.conftest import Database, actor_for
from tests.services.workorders_support import act, place, report, snapshot

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


# Who tries, and what they are to an order of M placed by `resident` or reported by `rider`.
ROLES = (
    "owner",
    "microgrid_leader",
    "central_household",
    "grid_leader",
    "community_admin",
    "volunteer",
)


RESTING = (
    Status.DISPATCHED,
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.SUSPENDED,
    Status.RESOLVED,
    Status.CLOSED,
    Status.REJECTED,
    Status.CANCELLED,
)


ASSIGNED = {Status.ACCEPTED, Status.IN_PROGRESS, Status.SUSPENDED, Status.RESOLVED, Status.CLOSED}


def owner(kind: Kind) -> str:
    return "resident" if kind is Kind.RESIDENT_REQUEST else "rider"


def party(role: str, kind: Kind, status: Status) -> Party | None:
    """What the person is to the order (None: they may not even see it)."""
    if role == "owner":
        return Party.REQUESTER if kind is Kind.RESIDENT_REQUEST else Party.REPORTER
    if role == "central_household":
        return Party.ASSIGNEE if status in ASSIGNED else None
    return {
        "microgrid_leader": Party.HANDLER,
        "grid_leader": Party.GRID_LEADER,
        "community_admin": Party.ADMIN,
    }.get(role)


async def build(kind: Kind, status: Status) -> WorkOrder:
    """A fresh order of M in `status` (assigned to the central household once accepted)."""
    order = await (place() if kind is Kind.RESIDENT_REQUEST else report())
    if status is Status.DISPATCHED:
        return order
    if status is Status.REJECTED:
        return await act("microgrid_leader", "reject", order, reason="不属于受理范围")
    if status is Status.CANCELLED:
        return await act(owner(kind), "cancel", order, reason="不需要了")
    order = await act("microgrid_leader", "accept", order)
    helper = (await actor_for("central_household")).person_id
    order = await act("microgrid_leader", "assign", order, person_id=helper)
    if status is Status.ACCEPTED:
        return order
    order = await act("microgrid_leader", "start", order)
    if status is Status.SUSPENDED:
        return await act("microgrid_leader", "suspend", order, reason="等待配件")
    if status is Status.IN_PROGRESS:
        return order
    order = await act("central_household", "resolve", order, note="已处理")
    if status is Status.RESOLVED:
        return order
    if kind is Kind.RESIDENT_REQUEST:
        return await act("resident", "confirm", order)
    return await act("grid_leader", "verify", order)


async def attempt(role: str, kind: Kind, action: Action, order: WorkOrder) -> WorkOrder:
    username = owner(kind) if role == "owner" else role
    volunteer = (await actor_for("volunteer")).person_id
    params: dict[Action, dict[str, Any]] = {
        Action.ASSIGN: {"person_id": volunteer},
        Action.RESOLVE: {"note": "处理完毕"},
        Action.TRANSFER: {"up": True, "reason": "需网格统筹"},
        Action.SUSPEND: {"reason": "等待配件"},
        Action.REJECT: {"reason": "不属于受理范围"},
        Action.RATE: {"rating": 4, "comment": "满意"},
        Action.CANCEL: {"reason": "不需要了"},
        Action.CHECK: {"confirmed": True, "reason": None},
        Action.REOPEN: {"reason": "不满意"},
    }
    return await act(username, action.value.lower(), order, **params.get(action, {}))


def expected(kind: Kind, status: Status, action: Action, role: str) -> type[DomainError] | None:
    """None when the move must happen, else the error it must be refused with."""
    who = party(role, kind, status)
    if who is None:
        return NotFound
    rule = TRANSITIONS.get((status, action))
    if rule is None or kind not in rule.kinds:
        return InvalidTransition
    return None if who in rule.parties else Forbidden


class TestRuleFor:
    @pytest.mark.parametrize("kind", list(Kind))
    async def test_every_status_action_and_person(self, db: Database, kind: Kind) -> None:
        allowed = refused = 0
        for status in RESTING:
            order = await build(kind, status)
            for action in USER_ACTIONS:
                for role in ROLES:
                    error = expected(kind, status, action, role)
                    before = await snapshot(order)
                    if error is None:
                        # then the move happens as the table says
                        rule = TRANSITIONS[(status, action)]
                        previous = order.suspended_from
                        moved = await attempt(role, kind, action, order)
                        target = rule.next or previous
                        after_confirm = Status.CLOSED if target is Status.CONFIRMED else target
                        assert moved.status is after_confirm, (status, action, role)
                        allowed += 1
                        order = await build(kind, status)
                        continue
                    # else it is refused with the typed error and nothing changed
                    with pytest.raises(error):
                        await attempt(role, kind, action, order)
                    assert await snapshot(order) == before, (status, action, role)
                    refused += 1
        # the table allows something and refuses much more, for this kind
        assert allowed >= 10 and refused > allowed

    def test_the_table_reaches_every_status(self) -> None:
        reached = {rule.next for rule in TRANSITIONS.values() if rule.next is not None}
        assert reached | {Status.SUBMITTED} == set(Status)
        # the final statuses have no way out but rating
        for status, action in TRANSITIONS:
            if status in (Status.CLOSED, Status.REJECTED, Status.CANCELLED):
                assert action is Action.RATE

        # a resolved request closes when confirmed or by the timer; a resolved report leaves
        # RESOLVED only when a person verifies it (the timer never closes it unverified); both
        # can be sent back to work by a person
        def exits(kind: Kind) -> set[Action]:
            return {
                action
                for (status, action), rule in TRANSITIONS.items()
                if status is Status.RESOLVED
                and kind in rule.kinds
                and rule.next is not Status.RESOLVED
            }

        assert exits(Kind.RESIDENT_REQUEST) == {Action.CONFIRM, Action.AUTO_CONFIRM, Action.REOPEN}
        assert exits(Kind.PROBLEM_REPORT) == {Action.VERIFY, Action.REOPEN}
        # the system's moves are the system's alone
        for (_, action), rule in TRANSITIONS.items():
            if action in (Action.DISPATCH, Action.ESCALATE, Action.AUTO_CONFIRM, Action.CLOSE):
                assert rule.parties == {Party.SYSTEM}
            else:
                assert Party.SYSTEM not in rule.parties
