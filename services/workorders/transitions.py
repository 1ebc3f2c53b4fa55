"""The work-order state machine as one table: (status, action) → next status, who may do it
and for which kinds. The services consult it for every move; nothing else decides.

The parties are what the actor is to one order (an actor can be several at once):

- REQUESTER: the resident who placed a RESIDENT_REQUEST (点单).
- REPORTER: whoever reported a PROBLEM_REPORT (事件上报): a grid worker, or a resident (whose
  report waits SUBMITTED for a grid leader's check, 核实, before it is dispatched).
- HANDLER: whoever answers for the handling area now: the micro-grid leader of a handling
  micro-grid; the grid leader of the grid when the handling area is that grid or the order
  is escalated (level 1); the admins of the community (or above) when the handling area is
  the community or the order is escalated to level 2.
- ASSIGNEE: the central household or volunteer the handler assigned.
- HOUSEHOLD: a current member of the household an errand (代办) was placed for (its placer is
  the REQUESTER): they cancel, confirm or reopen it as the requester does (not rate it).
- GRID_LEADER: the grid leader of the grid the handling area lies in (or is).
- ADMIN: an admin of the handling area (community, street or district admin).
- SYSTEM: the timers (escalation, auto-confirmation) and dispatch at submission.

A resolved request closes when the resident confirms it, or when the timer auto-confirms it
after the configured days; a resolved report closes only when it is verified (核实): the
timer never closes it, so nobody is paid for unverified work.

A resolved order the resident is not satisfied with, or whose verification failed, is
reopened (REOPEN: back to IN_PROGRESS with its handler). The requester cancels a request until
it is accepted, the reporter withdraws a report until handling starts (CANCEL, final).

Confirmation closes the order in the same transaction (CONFIRMED, then CLOSED, both on the
timeline), so CONFIRMED is never a resting state. RESUME goes back to the status the order
was suspended from (`next` is None in the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.enums import WorkOrderAction as Action
from services.enums import WorkOrderKind as Kind
from services.enums import WorkOrderStatus as Status


class Party(StrEnum):
    """What an actor is to a work order (see the module docstring)."""

    REQUESTER = "REQUESTER"
    REPORTER = "REPORTER"
    HANDLER = "HANDLER"
    ASSIGNEE = "ASSIGNEE"
    HOUSEHOLD = "HOUSEHOLD"
    GRID_LEADER = "GRID_LEADER"
    ADMIN = "ADMIN"
    SYSTEM = "SYSTEM"


BOTH = frozenset(Kind)


@dataclass(frozen=True)
class Rule:
    """One allowed move: the status after it (None: the status before the suspension), who
    may make it, and for which kinds of order."""

    next: Status | None
    parties: frozenset[Party]
    kinds: frozenset[Kind] = BOTH


def _rule(next_status: Status | None, *parties: Party, kinds: frozenset[Kind] = BOTH) -> Rule:
    return Rule(next_status, frozenset(parties), kinds)


_MANAGERS = (Party.HANDLER, Party.GRID_LEADER, Party.ADMIN)
_REQUESTS = frozenset({Kind.RESIDENT_REQUEST})
_REPORTS = frozenset({Kind.PROBLEM_REPORT})

_CHECKERS = (Party.GRID_LEADER, Party.ADMIN)

TRANSITIONS: dict[tuple[Status, Action], Rule] = {
    (Status.SUBMITTED, Action.DISPATCH): _rule(Status.DISPATCHED, Party.SYSTEM),
    # A resident's report rests SUBMITTED until checked on the spot (核实): confirmed, it is
    # dispatched (CHECK then DISPATCH); refused, it ends (REJECT).
    (Status.SUBMITTED, Action.CHECK): _rule(Status.DISPATCHED, *_CHECKERS, kinds=_REPORTS),
    (Status.SUBMITTED, Action.REJECT): _rule(Status.REJECTED, *_CHECKERS, kinds=_REPORTS),
    (Status.SUBMITTED, Action.CANCEL): _rule(Status.CANCELLED, Party.REPORTER, kinds=_REPORTS),
    (Status.DISPATCHED, Action.CANCEL): _rule(
        Status.CANCELLED, Party.REQUESTER, Party.HOUSEHOLD, Party.REPORTER
    ),
    # Accepted, a request is the net's to finish; a report is withdrawn until work starts.
    (Status.ACCEPTED, Action.CANCEL): _rule(Status.CANCELLED, Party.REPORTER, kinds=_REPORTS),
    (Status.DISPATCHED, Action.ACCEPT): _rule(Status.ACCEPTED, Party.HANDLER),
    (Status.DISPATCHED, Action.TRANSFER): _rule(Status.DISPATCHED, *_MANAGERS),
    (Status.DISPATCHED, Action.REJECT): _rule(Status.REJECTED, *_MANAGERS),
    (Status.DISPATCHED, Action.ESCALATE): _rule(Status.DISPATCHED, Party.SYSTEM),
    (Status.ACCEPTED, Action.ASSIGN): _rule(Status.ACCEPTED, Party.HANDLER),
    (Status.ACCEPTED, Action.START): _rule(Status.IN_PROGRESS, Party.HANDLER, Party.ASSIGNEE),
    (Status.ACCEPTED, Action.SUSPEND): _rule(Status.SUSPENDED, Party.HANDLER),
    (Status.ACCEPTED, Action.TRANSFER): _rule(Status.DISPATCHED, *_MANAGERS),
    (Status.ACCEPTED, Action.REJECT): _rule(Status.REJECTED, *_MANAGERS),
    (Status.ACCEPTED, Action.ESCALATE): _rule(Status.ACCEPTED, Party.SYSTEM),
    (Status.IN_PROGRESS, Action.ASSIGN): _rule(Status.IN_PROGRESS, Party.HANDLER),
    (Status.IN_PROGRESS, Action.RESOLVE): _rule(Status.RESOLVED, Party.HANDLER, Party.ASSIGNEE),
    (Status.IN_PROGRESS, Action.SUSPEND): _rule(Status.SUSPENDED, Party.HANDLER, Party.ASSIGNEE),
    (Status.IN_PROGRESS, Action.TRANSFER): _rule(Status.DISPATCHED, *_MANAGERS),
    (Status.IN_PROGRESS, Action.ESCALATE): _rule(Status.IN_PROGRESS, Party.SYSTEM),
    (Status.SUSPENDED, Action.RESUME): _rule(None, Party.HANDLER, Party.ASSIGNEE),
    (Status.SUSPENDED, Action.REJECT): _rule(Status.REJECTED, *_MANAGERS),
    (Status.RESOLVED, Action.CONFIRM): _rule(
        Status.CONFIRMED, Party.REQUESTER, Party.HOUSEHOLD, kinds=_REQUESTS
    ),
    (Status.RESOLVED, Action.VERIFY): _rule(
        Status.CONFIRMED, Party.GRID_LEADER, Party.ADMIN, kinds=_REPORTS
    ),
    # Only a request confirms itself when the resident stays silent: a resolved report waits
    # for its verification (核实), however long, and stays verifiable.
    (Status.RESOLVED, Action.AUTO_CONFIRM): _rule(Status.CONFIRMED, Party.SYSTEM, kinds=_REQUESTS),
    # Not satisfied (the requester) or not verified (the grid leader, an admin): back to work.
    (Status.RESOLVED, Action.REOPEN): _rule(
        Status.IN_PROGRESS, Party.REQUESTER, Party.HOUSEHOLD, Party.GRID_LEADER, Party.ADMIN
    ),
    (Status.CONFIRMED, Action.CLOSE): _rule(Status.CLOSED, Party.SYSTEM),
    (Status.RESOLVED, Action.RATE): _rule(Status.RESOLVED, Party.REQUESTER, kinds=_REQUESTS),
    (Status.CLOSED, Action.RATE): _rule(Status.CLOSED, Party.REQUESTER, kinds=_REQUESTS),
}

# Actions people take through the API (the rest are the system's: submission, dispatch,
# escalation, auto-confirmation and closing).
USER_ACTIONS = (
    Action.ACCEPT,
    Action.ASSIGN,
    Action.START,
    Action.RESOLVE,
    Action.CONFIRM,
    Action.VERIFY,
    Action.TRANSFER,
    Action.SUSPEND,
    Action.RESUME,
    Action.REJECT,
    Action.RATE,
    Action.CANCEL,
    Action.CHECK,
    Action.REOPEN,
)


def rule_for(status: Status, action: Action, kind: Kind) -> Rule | None:
    """The rule allowing `action` on an order of `kind` in `status` (None: not allowed)."""
    rule = TRANSITIONS.get((status, action))
    return rule if rule is not None and kind in rule.kinds else None
