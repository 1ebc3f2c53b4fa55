"""Signed checkpoints of the ledger's hash chains (issue 17 §1).

A checkpoint covers a contiguous stretch of a community's chain (services.points.chain): the
transactions after the previous checkpoint up to a cut, their Merkle root
(services.points.merkle, RFC 6962) and the chain's head hash at the cut, signed by the service's
Ed25519 key (services.points.signing). Published (公示) as a notice, it fixes that stretch of
the ledger for everyone: a later edit of the database, even one that recomputes every hash of
the chain, no longer matches the signed root and head.
"""

from __future__ import annotations

import json
from typing import Any

from services.models import LedgerCheckpoint
from services.points.chain import utc_text

# The version of the signed message's encoding.
ENCODING = 1


def message(checkpoint: LedgerCheckpoint) -> bytes:
    """What a checkpoint's signature covers: a JSON object, UTF-8, keys sorted, no spaces, with
    v (ENCODING), type "gridpoints-ledger-checkpoint", community, sequence, kind, day
    (YYYY-MM-DD), until (`covers_until`, UTC ISO 8601 with microseconds), from and length (chain
    positions: the checkpoint covers positions from + 1 .. length), first and last (transaction
    ids), head (the chain's head hash after `last`) and root (the Merkle root)."""
    body: dict[str, Any] = {
        "v": ENCODING,
        "type": "gridpoints-ledger-checkpoint",
        "community": checkpoint.community_id,
        "sequence": checkpoint.sequence,
        "kind": checkpoint.kind,
        "day": checkpoint.day.isoformat(),
        "until": utc_text(checkpoint.covers_until),
        "from": checkpoint.from_length,
        "length": checkpoint.length,
        "first": checkpoint.first_transaction_id,
        "last": checkpoint.last_transaction_id,
        "head": checkpoint.head_hash,
        "root": checkpoint.merkle_root,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
