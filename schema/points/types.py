"""GraphQL types of points: accounts, entries, transactions, rules, awards, leaderboards."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.grids import Area
from schema.people import Person
from schema.points.proofs import LedgerProof
from services import points
from services.enums import (
    AwardStatus,
    ChainFault,
    CheckpointFault,
    Dimension,
    ExpiryKind,
    Role,
    TransactionKind,
)
from services.points.statements import EXPIRING_LIMIT, MAX_EXPIRING_DAYS
from services.points.verify import LISTED_CHAIN_PROBLEMS

if TYPE_CHECKING:
    from schema.market import Reward
    from services.models import points as models


def source_id(source_type: str | None, source_key: str | None) -> relay.GlobalID | None:
    """The global id of the object points were moved for, as the client gave it."""
    if source_type is None or source_key is None:
        return None
    return relay.GlobalID(source_type, source_key)


@strawberry.type(
    description="A points rule (积分规则): how many points a deed earns (or a penalty costs), "
    "in which evaluation dimension, with its caps and who may grant or receive it. A rule "
    "without an area is the district default; a community may override a code (评估细则)."
)
class PointsRule(relay.Node):
    id: relay.NodeID[int]
    code: str = strawberry.field(description="Stable code, e.g. VOLUNTEER_HOUR.")
    name: str = strawberry.field(description="Name shown to people.")
    dimension: Dimension = strawberry.field(description="Evaluation dimension it feeds.")
    points: int = strawberry.field(
        description="Points per unit of quantity: positive a reward, negative a penalty."
    )
    requires_review: bool = strawberry.field(
        description="Awards by it wait for a community admin's approval."
    )
    cap_per_day: int | None = strawberry.field(
        description="Most points one person gets by it per day (null: no cap)."
    )
    cap_per_month: int | None = strawberry.field(description="Per calendar month cap.")
    cap_per_quarter: int | None = strawberry.field(description="Per quarter cap.")
    receiver_roles: list[Role] = strawberry.field(
        description="Roles a receiver must hold (empty: anyone in scope)."
    )
    granter_roles: list[Role] = strawberry.field(
        description="Roles that may grant it (empty: admins and grid/micro-grid leaders)."
    )
    retired_at: datetime | None = strawberry.field(
        description="When it was retired (null: in force)."
    )
    version: int = strawberry.field(
        description="Which version of the rule these fields are (1: as created; every change "
        "makes a new one). Read through a ledger entry, transaction or award, the rule is shown "
        "as it was in the version it was posted by."
    )
    area_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, r: models.PointsRule) -> PointsRule:
        return cls(
            id=r.id,
            code=r.code,
            name=r.name,
            dimension=r.dimension,
            points=r.points,
            requires_review=r.requires_review,
            cap_per_day=r.cap_per_day,
            cap_per_month=r.cap_per_month,
            cap_per_quarter=r.cap_per_quarter,
            receiver_roles=[Role(x) for x in r.receiver_roles],
            granter_roles=[Role(x) for x in r.granter_roles],
            retired_at=r.retired_at,
            version=r.version,
            area_id=r.area_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PointsRule | None]:
        found = await info.context.loaders.points_rule.load_many([int(i) for i in node_ids])
        return [cls.from_model(r) if r else None for r in found]

    @strawberry.field(description="The community it applies to (null: the district default).")
    async def area(self, info: Info) -> Area | None:
        if self.area_id is None:
            return None
        return await Area.load(info, self.area_id)

    @strawberry.field(description="Every version of the rule, newest first (版本历史).")
    async def history(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PointsRuleVersion]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: points.rule_history(rule_id=self.id, window=window),
            PointsRuleVersion.from_model,
        )


@strawberry.type(
    description="A points rule as it was from `createdAt` on, until its next version: what "
    "awards made under it earned."
)
class PointsRuleVersion(relay.Node):
    id: relay.NodeID[int]
    version: int = strawberry.field(description="1 as created, then one more per change.")
    name: str = strawberry.field(description="Name shown to people.")
    dimension: Dimension = strawberry.field(description="Evaluation dimension it fed.")
    points: int = strawberry.field(description="Points per unit of quantity.")
    requires_review: bool = strawberry.field(description="Awards by it waited for review.")
    cap_per_day: int | None = strawberry.field(description="Per day cap (null: none).")
    cap_per_month: int | None = strawberry.field(description="Per calendar month cap.")
    cap_per_quarter: int | None = strawberry.field(description="Per quarter cap.")
    receiver_roles: list[Role] = strawberry.field(description="Roles a receiver had to hold.")
    granter_roles: list[Role] = strawberry.field(description="Roles that could grant it.")
    created_at: datetime = strawberry.field(description="When this version took effect.")

    @classmethod
    def from_model(cls, v: models.PointsRuleVersion) -> PointsRuleVersion:
        return cls(
            id=v.id,
            version=v.version,
            name=v.name,
            dimension=v.dimension,
            points=v.points,
            requires_review=v.requires_review,
            cap_per_day=v.cap_per_day,
            cap_per_month=v.cap_per_month,
            cap_per_quarter=v.cap_per_quarter,
            receiver_roles=[Role(x) for x in v.receiver_roles],
            granter_roles=[Role(x) for x in v.granter_roles],
            created_at=v.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PointsRuleVersion | None]:
        found = await points.rule_versions_by_ids(version_ids=[int(i) for i in node_ids])
        return [cls.from_model(v) if v else None for v in found]


async def _rule(info: Info, rule_id: int | None, version: int | None) -> PointsRule | None:
    """The rule as it was in `version` (what the entry, transaction or award was made under)."""
    if rule_id is None:
        return None
    rule = await info.context.loaders.points_rule_as_of.load((rule_id, version))
    return PointsRule.from_model(rule) if rule else None


@strawberry.type(
    description="One balanced movement of points (its postings sum to zero). Never changed: "
    "a mistake is corrected by a REVERSAL transaction that points at it."
)
class PointsTransaction(relay.Node):
    id: relay.NodeID[int]
    kind: TransactionKind = strawberry.field(description="Why points moved.")
    points: int = strawberry.field(
        description="Points added to (+) or taken from (-) the person's account."
    )
    credit: int = strawberry.field(
        description="Effect on the person's evaluation credit in `period` (a penalty counts "
        "in full even when the balance could not cover it)."
    )
    shortfall: int = strawberry.field(
        description="Points a penalty or reversal could not take because the available "
        "balance was too small (they still count against the evaluation credit)."
    )
    period: str | None = strawberry.field(description='Evaluation quarter, e.g. "2026Q4".')
    dimension: Dimension | None = strawberry.field(description="Evaluation dimension.")
    reason: str = strawberry.field(description="Why, in words.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    source_id: relay.GlobalID | None = strawberry.field(
        description="The object it was for (activity, work order, redemption, ...)."
    )
    person_id: strawberry.Private[int | None]
    rule_id: strawberry.Private[int | None]
    rule_version: strawberry.Private[int | None]
    reverses_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, t: models.PointsTransaction) -> PointsTransaction:
        return cls(
            id=t.id,
            kind=t.kind,
            points=t.points,
            credit=t.credit,
            shortfall=t.shortfall,
            period=t.period,
            dimension=t.dimension,
            reason=t.reason,
            created_at=t.created_at,
            source_id=source_id(t.source_type, t.source_id),
            person_id=t.person_id,
            rule_id=t.rule_id,
            rule_version=t.rule_version,
            reverses_id=t.reverses_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PointsTransaction | None]:
        found = await info.context.loaders.points_transaction.load_many([int(i) for i in node_ids])
        return [cls.from_model(t) if t else None for t in found]

    @strawberry.field(
        description="The rule as it was when it was posted (its version then; null for "
        "redemptions, expiry)."
    )
    async def rule(self, info: Info) -> PointsRule | None:
        return await _rule(info, self.rule_id, self.rule_version)

    @strawberry.field(description="Whose points (null if the viewer may not see them).")
    async def person(self, info: Info) -> Person | None:
        if self.person_id is None:
            return None
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None

    @strawberry.field(description="The transaction this one reverses (REVERSAL only).")
    async def reverses(self, info: Info) -> PointsTransaction | None:
        if self.reverses_id is None:
            return None
        return await _transaction(info, self.reverses_id)

    @strawberry.field(
        description="Its inclusion proof in the signed daily checkpoint (公示) that covers it, "
        "for checking it against the published root (null until a checkpoint covers it: the "
        "next daily one will). A LEDGER_PROOF_MISMATCH error when the ledger no longer "
        "matches that checkpoint."
    )
    async def proof(self, info: Info) -> LedgerProof | None:
        found = await info.context.loaders.points_transaction_proof.load(self.id)
        return LedgerProof.from_proof(found) if found else None


async def _transaction(info: Info, transaction_id: int) -> PointsTransaction | None:
    """A transaction the viewer may see, batched per request (lists of entries ask for many)."""
    found = await info.context.loaders.points_transaction.load(transaction_id)
    return PointsTransaction.from_model(found) if found else None


@strawberry.type(description="One posting to an account, with the balance right after it.")
class PointsEntry(relay.Node):
    id: relay.NodeID[int]
    points: int = strawberry.field(description="Points added (+) or taken (-).")
    kind: TransactionKind = strawberry.field(description="Why.")
    reason: str = strawberry.field(description="Why, in words.")
    dimension: Dimension | None = strawberry.field(description="Evaluation dimension.")
    balance_after: int = strawberry.field(description="The account's balance right after it.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    source_id: relay.GlobalID | None = strawberry.field(description="The object it was for.")
    rule_id: strawberry.Private[int | None]
    rule_version: strawberry.Private[int | None]
    transaction_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, e: models.PointsEntry) -> PointsEntry:
        return cls(
            id=e.id,
            points=e.points,
            kind=e.kind,
            reason=e.reason,
            dimension=e.dimension,
            balance_after=e.balance_after,
            created_at=e.created_at,
            source_id=source_id(e.source_type, e.source_id),
            rule_id=e.rule_id,
            rule_version=e.rule_version,
            transaction_id=e.transaction_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PointsEntry | None]:
        found = await points.entries_by_ids(
            actor=info.context.actor, entry_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(e) if e else None for e in found]

    @strawberry.field(
        description="The rule as it was when it was posted (its version then), if any."
    )
    async def rule(self, info: Info) -> PointsRule | None:
        return await _rule(info, self.rule_id, self.rule_version)

    @strawberry.field(description="The whole transaction (both sides).")
    async def transaction(self, info: Info) -> PointsTransaction | None:
        return await _transaction(info, self.transaction_id)


@strawberry.type(description="Points that expire together.")
class ExpiringPoints:
    points: int = strawberry.field(description="How many.")
    expires_at: datetime = strawberry.field(description="When they expire.")


@strawberry.type(
    description="A person's points account. `balance` is everything they own; `held` is "
    "reserved by redemptions awaiting pickup; `available` = balance - held is what they can "
    "spend. Balances are kept with every posting, so reading them costs the same at any "
    "ledger size."
)
class PointsAccount:
    balance: int = strawberry.field(description="All points owned (held ones included).")
    held: int = strawberry.field(description="Reserved by redemptions awaiting pickup.")
    available: int = strawberry.field(description="Spendable now: balance - held.")
    account_id: strawberry.Private[int | None]

    @classmethod
    def from_summary(cls, s: points.AccountSummary) -> PointsAccount:
        return cls(balance=s.balance, held=s.held, available=s.available, account_id=s.account_id)

    @strawberry.field(
        description="Unspent points expiring within the coming days, soonest first (the first "
        f"{EXPIRING_LIMIT} expiry times)."
    )
    async def expiring_soon(
        self,
        days: Annotated[
            int | None,
            strawberry.argument(
                description=f"How far ahead (1-{MAX_EXPIRING_DAYS}; default from settings)."
            ),
        ] = None,
    ) -> list[ExpiringPoints]:
        found = await points.expiring_soon(account_id=self.account_id, days=days)
        return [ExpiringPoints(points=e.points, expires_at=e.expires_at) for e in found]

    @strawberry.field(description="The account's entries, newest first.")
    async def entries(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[PointsEntry]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: points.entries(account_id=self.account_id, window=window),
            PointsEntry.from_model,
        )


@strawberry.type(description="A request to award points by a rule, approved at once or reviewed.")
class PointsAward(relay.Node):
    id: relay.NodeID[int]
    quantity: int = strawberry.field(description="Units (e.g. hours) the rule's points multiply.")
    points: int = strawberry.field(description="Points it gives: rule points × quantity.")
    status: AwardStatus = strawberry.field(description="Pending, approved or rejected.")
    reason: str = strawberry.field(description="Why, in words.")
    review_reason: str | None = strawberry.field(description="Why it was rejected.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    reviewed_at: datetime | None = strawberry.field(description="When it was reviewed.")
    source_id: relay.GlobalID | None = strawberry.field(description="The object it was for.")
    person_id: strawberry.Private[int]
    rule_id: strawberry.Private[int]
    rule_version: strawberry.Private[int | None]
    transaction_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, a: models.PointsAward) -> PointsAward:
        return cls(
            id=a.id,
            quantity=a.quantity,
            points=a.points,
            status=a.status,
            reason=a.reason,
            review_reason=a.review_reason,
            created_at=a.created_at,
            reviewed_at=a.reviewed_at,
            source_id=source_id(a.source_type, a.source_id),
            person_id=a.person_id,
            rule_id=a.rule_id,
            rule_version=a.rule_version,
            transaction_id=a.transaction_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[PointsAward | None]:
        found = await points.awards_by_ids(
            actor=info.context.actor, award_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(a) if a else None for a in found]

    @strawberry.field(description="Who receives the points.")
    async def person(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None

    @strawberry.field(description="The rule.")
    async def rule(self, info: Info) -> PointsRule | None:
        return await _rule(info, self.rule_id, self.rule_version)

    @strawberry.field(description="The posted transaction (null while pending or if rejected).")
    async def transaction(self, info: Info) -> PointsTransaction | None:
        if self.transaction_id is None:
            return None
        return await _transaction(info, self.transaction_id)


@strawberry.type(description="A community's (or the district's) expiry and pickup policy.")
class PointsPolicy:
    expiry: ExpiryKind = strawberry.field(description="When awarded points expire.")
    expiry_months: int | None = strawberry.field(description="Months, for MONTHS.")
    hold_days: int = strawberry.field(description="Days a redemption is held for pickup.")

    @classmethod
    def from_model(cls, p: models.PointsPolicy) -> PointsPolicy:
        return cls(expiry=p.expiry, expiry_months=p.expiry_months, hold_days=p.hold_days)


@strawberry.type(description="One line of a leaderboard (by evaluation credit, never balance).")
class LeaderboardEntry:
    rank: int = strawberry.field(description="1 for the top; ties share a rank.")
    points: int = strawberry.field(description="Evaluation credit in the period.")
    name: str = strawberry.field(description="The person's name.")
    person_id: strawberry.Private[int]

    @strawberry.field(
        description="The person, as the viewer may see them (name and roles, or everything)."
    )
    async def person(self, info: Info) -> Person | None:
        view = await info.context.loaders.person.load(self.person_id)
        return Person.from_view(view) if view else None


@strawberry.type(
    description="A reward and how many of it were redeemed (handed over, as `redeemed` counts)."
)
class RewardCount:
    quantity: int = strawberry.field(
        description="Items handed over (FULFILLED); items held for pickup are not counted."
    )
    reward_id: strawberry.Private[int]

    @strawberry.field(description="The reward.")
    async def reward(
        self, info: Info
    ) -> Annotated[Reward, strawberry.lazy("schema.market")] | None:
        from schema.market import Reward

        found = await info.context.loaders.reward.load(self.reward_id)
        return Reward.from_model(found) if found else None


@strawberry.type(
    description="Points through the communities of an area. Figures come from the ledger: "
    "`outstanding` = issued - penalized - redeemed - expired + reversed (reversals are signed)."
)
class PointsStatistics:
    issued: int = strawberry.field(description="Awarded by rules.")
    penalized: int = strawberry.field(description="Taken by penalties.")
    redeemed: int = strawberry.field(description="Spent in the marketplace (handed over).")
    expired: int = strawberry.field(description="Expired back to the pools.")
    reversed: int = strawberry.field(description="Net effect of corrections (signed).")
    outstanding: int = strawberry.field(description="Still in people's accounts.")
    held: int = strawberry.field(description="Reserved by redemptions awaiting pickup here.")
    top_rewards: list[RewardCount] = strawberry.field(
        description="Most redeemed rewards here, by items handed over (the same redemptions "
        "`redeemed` counts; held ones are in `held`)."
    )

    @classmethod
    def from_statistics(cls, s: points.Statistics) -> PointsStatistics:
        return cls(
            issued=s.issued,
            penalized=s.penalized,
            redeemed=s.redeemed,
            expired=s.expired,
            reversed=s.reversed,
            outstanding=s.outstanding,
            held=s.held,
            top_rewards=[
                RewardCount(quantity=t.quantity, reward_id=t.reward_id) for t in s.top_rewards
            ],
        )


@strawberry.type(description="The first broken transaction of a community's ledger hash chain.")
class LedgerChainProblem:
    community: relay.GlobalID = strawberry.field(description="The community whose chain broke.")
    transaction: relay.GlobalID | None = strawberry.field(
        description="The first broken transaction (for HEAD_MISMATCH the last one found; null "
        "when none is left)."
    )
    fault: ChainFault = strawberry.field(description="What is wrong with it.")
    message: str = strawberry.field(description="The same in words.")

    @classmethod
    def from_problem(cls, p: points.ChainProblem) -> LedgerChainProblem:
        return cls(
            community=relay.GlobalID("Area", str(p.community_id)),
            transaction=None
            if p.transaction_id is None
            else relay.GlobalID("PointsTransaction", str(p.transaction_id)),
            fault=p.fault,
            message=p.message,
        )


@strawberry.type(description="The first bad signed checkpoint of a community.")
class LedgerCheckpointProblem:
    community: relay.GlobalID = strawberry.field(description="The community.")
    sequence: int = strawberry.field(description="The checkpoint's sequence in the community.")
    transaction: relay.GlobalID = strawberry.field(
        description="The first transaction of the checkpoint's range."
    )
    fault: CheckpointFault = strawberry.field(description="What is wrong with it.")
    message: str = strawberry.field(description="The same in words.")

    @classmethod
    def from_problem(cls, p: points.CheckpointProblem) -> LedgerCheckpointProblem:
        return cls(
            community=relay.GlobalID("Area", str(p.community_id)),
            sequence=p.sequence,
            transaction=relay.GlobalID("PointsTransaction", str(p.transaction_id)),
            fault=p.fault,
            message=p.message,
        )


@strawberry.type(
    description="What verifyLedger found: the hash chains of the communities asked about and, "
    "asked at the district, the double-entry sums over the whole ledger."
)
class LedgerReport:
    ok: bool = strawberry.field(description="True when every check passed.")
    accounts: int | None = strawberry.field(
        description="Accounts checked (null when the sums were not checked)."
    )
    entries: int | None = strawberry.field(
        description="Entries checked (null when the sums were not checked)."
    )
    chains: int = strawberry.field(description="Community chains checked.")
    transactions: int = strawberry.field(description="Chained transactions checked.")
    failed_sum_checks: list[str] | None = strawberry.field(
        description="The double-entry checks that found drift, in words (empty when none). "
        "They run over the whole ledger, so only when asked at the district (under a district "
        "area, which only district admins administer); null when asked below it."
    )
    first_problem: LedgerChainProblem | None = strawberry.field(
        description="The first broken transaction over the chains checked (null when intact)."
    )
    chain_problems: list[LedgerChainProblem] = strawberry.field(
        description="The first broken transaction of each broken chain, lowest id first "
        f"(the first {LISTED_CHAIN_PROBLEMS} chains)."
    )
    broken_chains: int = strawberry.field(description="How many chains are broken (all counted).")
    checkpoints: int = strawberry.field(description="Signed checkpoints checked.")
    checkpoint_problems: list[LedgerCheckpointProblem] = strawberry.field(
        description="The first bad checkpoint of each community, lowest first transaction "
        f"first (the first {LISTED_CHAIN_PROBLEMS} communities)."
    )
    broken_checkpoints: int = strawberry.field(
        description="How many communities have a bad checkpoint (all counted)."
    )

    @classmethod
    def from_report(cls, r: points.Report) -> LedgerReport:
        problems = [LedgerChainProblem.from_problem(p) for p in r.chain_problems]
        return cls(
            ok=r.ok,
            accounts=r.accounts if r.sums_checked else None,
            entries=r.entries if r.sums_checked else None,
            chains=r.chains,
            transactions=r.transactions,
            failed_sum_checks=r.failed_sum_checks() if r.sums_checked else None,
            first_problem=problems[0] if problems else None,
            chain_problems=problems[:LISTED_CHAIN_PROBLEMS],
            broken_chains=len(problems),
            checkpoints=r.checkpoints,
            checkpoint_problems=[
                LedgerCheckpointProblem.from_problem(p)
                for p in r.checkpoint_problems[:LISTED_CHAIN_PROBLEMS]
            ],
            broken_checkpoints=len(r.checkpoint_problems),
        )
