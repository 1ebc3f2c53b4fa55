"""Inclusion proofs of ledger transactions (issue 17 §1, `PointsTransaction.proof`): what a
volunteer needs to check their own entry against a published (公示) checkpoint, without seeing
anyone else's data.

A proof is the transaction's canonical content (services.points.chain: the exact bytes its
`content_hash` is the SHA-256 of), its leaf position in the checkpoint that covers it, the
RFC 6962 inclusion path (services.points.merkle: hashes of other transactions' hashes, never
their content) and the checkpoint's public parts (root, head, key, signature and the signed
message). From these the volunteer recomputes the root and compares it with the published one
(README, "Checking your own points").
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from tortoise.expressions import Q

from services.errors import LedgerProofMismatch
from services.kit import db
from services.kit.auth import Actor
from services.models import LedgerCheckpoint, PointsTransaction
from services.points import chain, checkpoints, merkle, signing
from services.points.statements import transactions_by_ids

logger = logging.getLogger("gridpoints.points")

MAX_PATH = 64
"""The longest inclusion path (the API's cost bound): one hash per level, ceil(log2(treeSize));
chain positions are 32-bit integers, so at most 31 today, and 64 even with 64-bit ones."""


@dataclass(frozen=True)
class Proof:
    """A transaction's inclusion proof in the checkpoint that covers it."""

    transaction_id: int
    # The canonical JSON text of the transaction (chain.canonical); sha256 of its UTF-8 bytes
    # is `content_hash`.
    content: str
    content_hash: str
    # 0-based position of the transaction among the checkpoint's leaves, and their number.
    leaf_index: int
    tree_size: int
    # Sibling hashes (hex) from the leaf up (RFC 6962 PATH).
    path: list[str]
    merkle_root: str
    checkpoint_id: int
    checkpoint_sequence: int
    checkpoint_day: date
    checkpoint_kind: str
    head_hash: str
    key_id: str
    # The key's public half (hex), null when the key is no longer listed (signing.known_keys).
    public_key: str | None
    signature: str
    # The exact text the signature covers (checkpoints.message).
    signed_message: str


async def proofs_for(
    *, actor: Actor | None, transaction_ids: list[int]
) -> list[Proof | LedgerProofMismatch | None]:
    """The proofs of these transactions, in their order: None for one the actor may not see
    (the rule of `transactions_by_ids`) or that no checkpoint covers yet (it will be in the
    next daily one); a LedgerProofMismatch (returned, not raised, so that it reaches only the
    field that asked for it) when the stored ledger no longer matches the signed checkpoint.
    A fixed number of statements for the whole batch."""
    visible = await transactions_by_ids(actor=actor, transaction_ids=transaction_ids)
    seen = {t.id: t for t in visible if t is not None}
    covering = await _covering(list(seen.values()))
    wanted = [i for i in seen if i in covering]
    if not wanted:
        return [None for _ in transaction_ids]
    leaves = await _leaves(list({cp.id: cp for cp in covering.values()}.values()))
    contents = await _contents(wanted)
    keys = signing.known_keys()
    made: dict[int, Proof | LedgerProofMismatch] = {}
    for cp_id, ids in _by_checkpoint(covering, wanted).items():
        cp = next(covering[i] for i in ids)
        ordered_ids, hashes = leaves.get(cp_id, ([], []))
        index_of = {tx_id: n for n, tx_id in enumerate(ordered_ids)}
        paths = _paths(hashes, [index_of[i] for i in ids if i in index_of])
        for tx_id in ids:
            made[tx_id] = _proof(cp, tx_id, contents[tx_id], index_of, hashes, paths, keys)
    return [made.get(i) for i in transaction_ids]


async def transaction_proof(*, actor: Actor | None, transaction_id: int) -> Proof | None:
    """The proof of one transaction (see `proofs_for`); raises LedgerProofMismatch."""
    (found,) = await proofs_for(actor=actor, transaction_ids=[transaction_id])
    if isinstance(found, LedgerProofMismatch):
        raise found
    return found


def _proof(
    cp: LedgerCheckpoint,
    tx_id: int,
    content: str,
    index_of: dict[int, int],
    hashes: list[str],
    paths: dict[int, list[str]],
    keys: dict[str, str],
) -> Proof | LedgerProofMismatch:
    """One proof, checked the way the volunteer will check it before it is handed out: a
    proof that does not lead to the signed root is a changed ledger, never a wrong answer."""
    index = index_of.get(tx_id)
    tree_size = cp.length - cp.from_length
    if index is None:
        return _mismatch(cp, tx_id, "it is no longer among the stored transactions")
    content_hash = hashes[index]
    if hashlib.sha256(content.encode()).hexdigest() != content_hash:
        return _mismatch(cp, tx_id, "its content no longer matches its hash")
    path = paths[index]
    try:
        recomputed = merkle.root_from_path(content_hash, index, tree_size, path)
    except ValueError:
        recomputed = None
    if recomputed != cp.merkle_root:
        return _mismatch(cp, tx_id, "its path no longer leads to the signed root")
    return Proof(
        transaction_id=tx_id,
        content=content,
        content_hash=content_hash,
        leaf_index=index,
        tree_size=tree_size,
        path=path,
        merkle_root=cp.merkle_root,
        checkpoint_id=cp.id,
        checkpoint_sequence=cp.sequence,
        checkpoint_day=cp.day,
        checkpoint_kind=cp.kind,
        head_hash=cp.head_hash,
        key_id=cp.key_id,
        public_key=keys.get(cp.key_id),
        signature=cp.signature,
        signed_message=checkpoints.message(cp).decode(),
    )


def _mismatch(cp: LedgerCheckpoint, tx_id: int, why: str) -> LedgerProofMismatch:
    logger.error(
        "ledger proof mismatch: transaction %s, checkpoint %s (community %s, sequence %s): %s",
        tx_id,
        cp.id,
        cp.community_id,
        cp.sequence,
        why,
    )
    return LedgerProofMismatch(
        f"Transaction {tx_id} no longer matches the signed checkpoint {cp.sequence} of its "
        f"community ({why}): the ledger was changed after it was published. Report it to "
        "the community."
    )


async def _covering(transactions: list[PointsTransaction]) -> dict[int, LedgerCheckpoint]:
    """transaction id -> the checkpoint of its community that covers it (one statement)."""
    if not transactions:
        return {}
    condition = Q(
        *[
            Q(
                community_id=t.community_id,
                first_transaction_id__lte=t.id,
                last_transaction_id__gte=t.id,
            )
            for t in transactions
        ],
        join_type=Q.OR,
    )
    found = await LedgerCheckpoint.filter(condition)
    out: dict[int, LedgerCheckpoint] = {}
    for t in transactions:
        for cp in found:
            if (
                cp.community_id == t.community_id
                and cp.first_transaction_id <= t.id <= cp.last_transaction_id
            ):
                out[t.id] = cp
    return out


def _by_checkpoint(covering: dict[int, LedgerCheckpoint], ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for tx_id in ids:
        out.setdefault(covering[tx_id].id, []).append(tx_id)
    return out


async def _leaves(
    covering: list[LedgerCheckpoint],
) -> dict[int, tuple[list[int], list[str]]]:
    """checkpoint id -> (transaction ids, content hashes) of its leaves in id order: the
    community's transactions with ids first..last (one statement for all checkpoints)."""
    where = " OR ".join("(community_id = ? AND id >= ? AND id <= ?)" for _ in covering)
    params: list[object] = []
    for cp in covering:
        params += [cp.community_id, cp.first_transaction_id, cp.last_transaction_id]
    rows = await db.fetch(
        f"SELECT id, community_id, content_hash FROM points_transaction WHERE {where} ORDER BY id",
        params,
    )
    out: dict[int, tuple[list[int], list[str]]] = {cp.id: ([], []) for cp in covering}
    for row in rows:
        tx_id, community_id = int(row["id"]), int(row["community_id"])
        for cp in covering:
            if (
                cp.community_id == community_id
                and cp.first_transaction_id <= tx_id <= cp.last_transaction_id
            ):
                out[cp.id][0].append(tx_id)
                out[cp.id][1].append(str(row["content_hash"]))
    return out


async def _contents(transaction_ids: list[int]) -> dict[int, str]:
    """transaction id -> its canonical content as text (two statements)."""
    marks = ",".join("?" for _ in transaction_ids)
    entries: dict[int, list[tuple[int, int]]] = {i: [] for i in transaction_ids}
    for r in await db.fetch(
        f"SELECT transaction_id, account_id, points FROM points_entry "
        f"WHERE transaction_id IN ({marks})",
        list(transaction_ids),
    ):
        entries[int(r["transaction_id"])].append((int(r["account_id"]), int(r["points"])))
    rows = await db.fetch(
        f"SELECT {chain.TRANSACTION_COLUMNS} FROM points_transaction WHERE id IN ({marks})",
        list(transaction_ids),
    )
    return {
        int(row["id"]): chain.canonical(
            chain.content_of(row, entries[int(row["id"])]), str(row["previous_hash"])
        ).decode()
        for row in rows
    }


def _paths(content_hashes: Sequence[str], indexes: list[int]) -> dict[int, list[str]]:
    """merkle.path of each of these leaves, the tree built once (a page of proofs in one day's
    checkpoint would otherwise hash the whole day once per proof)."""
    out: dict[int, list[str]] = {i: [] for i in indexes}
    if not content_hashes:
        return out
    level = [merkle.leaf_hash(h) for h in content_hashes]
    positions = {i: i for i in indexes}
    while len(level) > 1:
        for leaf, position in positions.items():
            sibling = position ^ 1
            if sibling < len(level):
                out[leaf].append(level[sibling].hex())
            positions[leaf] = position // 2
        paired = [merkle.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return out
