"""GraphQL of ledger proofs: `PointsTransaction.proof`, what a volunteer checks their own
entry against a published checkpoint (公示) with."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay

if TYPE_CHECKING:
    from services import points


@strawberry.type(
    description="The inclusion proof of one ledger transaction in the signed checkpoint (公示) "
    "that covers it: the transaction's own content, and of the others only hashes. Recompute "
    "sha256(content) == contentHash, then the Merkle root from contentHash, leafIndex, "
    "treeSize and path (RFC 9162 §2.1.3.2) and compare it with the root published in the "
    "community's checkpoint notice; optionally check the Ed25519 signature over "
    "signedMessage with publicKey (README, 'Checking your own points')."
)
class LedgerProof:
    transaction_id: relay.GlobalID = strawberry.field(description="The transaction proved.")
    content: str = strawberry.field(
        description="The transaction's canonical content, a JSON text (UTF-8, keys sorted, no "
        "spaces): points, time, reason, kind, postings (account ids and points) and the "
        "previous transaction's hash."
    )
    content_hash: str = strawberry.field(
        description="SHA-256 (hex) of `content`'s UTF-8 bytes: the transaction's leaf."
    )
    leaf_index: int = strawberry.field(
        description="0-based position of the transaction among the checkpoint's transactions."
    )
    tree_size: int = strawberry.field(description="How many transactions the checkpoint covers.")
    path: list[str] = strawberry.field(
        description="The inclusion path: sibling hashes (hex) from the leaf up (RFC 6962); at "
        "most 64, about log2(treeSize)."
    )
    merkle_root: str = strawberry.field(
        description="The checkpoint's Merkle root (hex), as signed and published."
    )
    checkpoint_id: relay.GlobalID = strawberry.field(description="The covering checkpoint.")
    checkpoint_sequence: int = strawberry.field(
        description="The checkpoint's number in its community (1, 2, ...)."
    )
    checkpoint_day: date = strawberry.field(description="The local day the checkpoint covers.")
    head_hash: str = strawberry.field(
        description="The community's hash-chain head after the checkpoint's last transaction."
    )
    key_id: str = strawberry.field(description="Id of the key that signed the checkpoint.")
    public_key: str | None = strawberry.field(
        description="That key's Ed25519 public key (hex of 32 bytes; null if no longer listed)."
    )
    signature: str = strawberry.field(
        description="The Ed25519 signature (hex) over `signedMessage`'s UTF-8 bytes."
    )
    signed_message: str = strawberry.field(
        description="The exact text signed: a JSON object naming the community, sequence, day, "
        "chain positions, first and last transaction, head and root."
    )

    @classmethod
    def from_proof(cls, p: points.Proof) -> LedgerProof:
        return cls(
            transaction_id=relay.GlobalID("PointsTransaction", str(p.transaction_id)),
            content=p.content,
            content_hash=p.content_hash,
            leaf_index=p.leaf_index,
            tree_size=p.tree_size,
            path=p.path,
            merkle_root=p.merkle_root,
            checkpoint_id=relay.GlobalID("LedgerCheckpoint", str(p.checkpoint_id)),
            checkpoint_sequence=p.checkpoint_sequence,
            checkpoint_day=p.checkpoint_day,
            head_hash=p.head_hash,
            key_id=p.key_id,
            public_key=p.public_key,
            signature=p.signature,
            signed_message=p.signed_message,
        )
