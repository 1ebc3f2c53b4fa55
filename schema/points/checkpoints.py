"""GraphQL of signed ledger checkpoints (issue 17 §1): the list, the signing key, a checkpoint on
demand and publishing one as a notice (公示)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from schema.core.arguments import Under
from schema.core.context import Info
from schema.core.errors import MUTATION_INPUT, Conflict, UserErrors, describe_values
from schema.core.ids import id_field, require_key
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.grids import Area
from services import points
from services.enums import LedgerCheckpointKind
from services.points import signing

if TYPE_CHECKING:
    from schema.notices.types import Notice
    from services import models

# Notices import points' types: this side names theirs lazily.
LazyNotice = Annotated["Notice", strawberry.lazy("schema.notices.types")]

strawberry.enum(
    LedgerCheckpointKind,
    description="Why a checkpoint was cut: DAILY (the job, for a past local day) or ON_DEMAND.",
)
describe_values(
    LedgerCheckpointKind,
    {
        "DAILY": "Cut by the daily job for a past local day: that day's transactions.",
        "ON_DEMAND": "Asked for by an admin: the transactions up to that moment.",
    },
)


@strawberry.type(
    description="A signed checkpoint of a community's points ledger: the transactions at chain "
    "positions fromLength + 1 .. length, their Merkle root (RFC 6962) and the chain's head hash "
    "after them, signed with the service's Ed25519 key. Check the signature over "
    "signedMessage with publicKey; check one's own entries in it with PointsTransaction.proof."
)
class LedgerCheckpoint(relay.Node):
    id: relay.NodeID[int]
    sequence: int = strawberry.field(description="Its number in its community (1, 2, ...).")
    kind: LedgerCheckpointKind = strawberry.field(description="Daily or on demand.")
    day: date = strawberry.field(
        description="The local day it covers (DAILY), or the day it was asked for (ON_DEMAND)."
    )
    covers_until: datetime = strawberry.field(
        description="It covers the chain up to this moment (the day's end, or when asked)."
    )
    from_length: int = strawberry.field(description="Chain length before it (0 for the first).")
    length: int = strawberry.field(description="Chain length at its end.")
    transaction_count: int = strawberry.field(description="Transactions it covers.")
    head_hash: str = strawberry.field(description="The chain's head hash at its end (hex).")
    merkle_root: str = strawberry.field(description="Merkle root of its transactions (hex).")
    key_id: str = strawberry.field(description="Id of the signing key.")
    public_key: str | None = strawberry.field(
        description="The signing key's Ed25519 public key (hex, 32 bytes); null when that key "
        "is neither the current one nor in LEDGER_PREVIOUS_PUBLIC_KEYS."
    )
    signature: str = strawberry.field(description="Ed25519 signature over signedMessage (hex).")
    signed_message: str = strawberry.field(
        description="Exactly what was signed (UTF-8): a JSON text with the community, sequence, "
        "kind, day, range, head and root."
    )
    created_at: datetime = strawberry.field(description="When it was cut.")
    community_id: strawberry.Private[int]
    notice_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, c: models.LedgerCheckpoint) -> LedgerCheckpoint:
        return cls(
            id=c.id,
            sequence=c.sequence,
            kind=LedgerCheckpointKind(c.kind),
            day=c.day,
            covers_until=c.covers_until,
            from_length=c.from_length,
            length=c.length,
            transaction_count=c.length - c.from_length,
            head_hash=c.head_hash,
            merkle_root=c.merkle_root,
            key_id=c.key_id,
            public_key=signing.known_keys().get(c.key_id),
            signature=c.signature,
            signed_message=points.checkpoint_message(c).decode(),
            created_at=c.created_at,
            community_id=c.community_id,
            notice_id=c.notice_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[LedgerCheckpoint | None]:
        found = await points.checkpoints_by_ids(
            actor=info.context.actor, checkpoint_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(c) if c else None for c in found]

    @strawberry.field(description="The community whose chain it is.")
    async def community(self, info: Info) -> Area:
        return await Area.load(info, self.community_id)

    @strawberry.field(
        description="The notice it was published as (公示); null until published, or when the "
        "viewer may not read that notice."
    )
    async def notice(self, info: Info) -> LazyNotice | None:
        from schema.notices.types import Notice

        if self.notice_id is None:
            return None
        found = await info.context.loaders.notice.load(self.notice_id)
        return Notice.from_model(found) if found else None


@strawberry.type(description="The key ledger checkpoints are signed with (public).")
class LedgerSigningKey:
    key_id: str = strawberry.field(description="The current key's id.")
    public_key: str = strawberry.field(description="The current Ed25519 public key (hex).")
    previous_keys: list[str] = strawberry.field(
        description="Former public keys whose checkpoints still verify (hex)."
    )


@strawberry.input(description="Cut a checkpoint of a community's ledger now.")
class CreateLedgerCheckpointInput:
    community_id: relay.GlobalID = id_field("Area", description="The community.")


@strawberry.input(description="Publish a checkpoint as a notice (公示) in its community.")
class PublishLedgerCheckpointInput:
    checkpoint_id: relay.GlobalID = id_field("LedgerCheckpoint", description="The checkpoint.")


@strawberry.type(
    description="The community's checkpoint up to now (its last one when nothing is new)."
)
class CreateLedgerCheckpointSuccess:
    checkpoint: LedgerCheckpoint = strawberry.field(description="The checkpoint.")


CreateLedgerCheckpointResult = Annotated[
    CreateLedgerCheckpointSuccess | UserErrors | Conflict,
    strawberry.union(
        "CreateLedgerCheckpointResult",
        description="The checkpoint, or why not (CONFLICT: the chain is broken, nothing signed).",
    ),
]


@strawberry.type(description="Published (or published already): the checkpoint and its notice.")
class PublishLedgerCheckpointSuccess:
    checkpoint: LedgerCheckpoint = strawberry.field(description="The checkpoint.")
    notice: LazyNotice = strawberry.field(description="The notice it is published as.")


PublishLedgerCheckpointResult = Annotated[
    PublishLedgerCheckpointSuccess | UserErrors,
    strawberry.union(
        "PublishLedgerCheckpointResult", description="The published checkpoint, or why not."
    ),
]


@strawberry.type
class CheckpointsQuery:
    @strawberry.field(
        description="Signed checkpoints of the communities under an area (or of the one it "
        "lies in), newest first: for the people of the community (residents, role holders) "
        "and the admins and leaders above it; others get FORBIDDEN."
    )
    async def ledger_checkpoints(
        self,
        info: Info,
        under: Under,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[LedgerCheckpoint]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: points.list_checkpoints(
                actor=info.context.actor,
                under_id=require_key(under, "Area", "under"),
                window=window,
            ),
            LedgerCheckpoint.from_model,
        )

    @strawberry.field(description="The key ledger checkpoints are signed with (public).")
    def ledger_signing_key(self) -> LedgerSigningKey:
        current = signing.public_key()
        return LedgerSigningKey(
            key_id=signing.key_id(current),
            public_key=current,
            previous_keys=[k for k in signing.known_keys().values() if k != current],
        )


@strawberry.type
class CheckpointsMutation:
    @strawberry.mutation(
        description="Cut a signed checkpoint of a community's ledger now (admins of the "
        "community); nothing new since the last one: that one."
    )
    async def create_ledger_checkpoint(
        self, info: Info, input: Annotated[CreateLedgerCheckpointInput, MUTATION_INPUT]
    ) -> CreateLedgerCheckpointResult:
        checkpoint = await points.create_checkpoint(
            actor=info.context.actor,
            community_id=require_key(input.community_id, "Area", "communityId"),
        )
        return CreateLedgerCheckpointSuccess(checkpoint=LedgerCheckpoint.from_model(checkpoint))

    @strawberry.mutation(
        description="Publish a checkpoint as a notice (公示) to everyone in its community "
        "(admins of the community); published already: the same notice."
    )
    async def publish_ledger_checkpoint(
        self, info: Info, input: Annotated[PublishLedgerCheckpointInput, MUTATION_INPUT]
    ) -> PublishLedgerCheckpointResult:
        from schema.notices.types import Notice

        checkpoint, notice = await points.publish_checkpoint(
            actor=info.context.actor,
            checkpoint_id=require_key(input.checkpoint_id, "LedgerCheckpoint", "checkpointId"),
        )
        return PublishLedgerCheckpointSuccess(
            checkpoint=LedgerCheckpoint.from_model(checkpoint), notice=Notice.from_model(notice)
        )
