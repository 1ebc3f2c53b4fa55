"""Merkle trees over ledger transactions (issue 17 §1): the root a checkpoint signs, and the
inclusion path (`PointsTransaction.proof`) a volunteer checks their own entry with.

The tree is RFC 6962's (Certificate Transparency, §2.1), so that its proofs can be checked by
any implementation of it: over leaves d(0) .. d(n-1), each the 32 bytes of a transaction's
`content_hash` in chain order,

    MTH({})       = SHA-256()
    MTH({d(0)})   = SHA-256(0x00 || d(0))
    MTH(D[0:n])   = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of 2 < n

An inclusion path of leaf m is RFC 6962's PATH(m, D[n]), the sibling hashes from the leaf up,
and `root_from_path` is RFC 9162's verification (§2.1.3.2). Pure functions, no I/O: the
volunteers' check (README, "Checking your own points") is these few lines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF = b"\x00"
NODE = b"\x01"


def leaf_hash(content_hash: str) -> bytes:
    """The hash of a leaf: its transaction's content hash (hex) with the leaf prefix. A stored
    hash that is not hex (a tampered row) is taken as its text: it then leads to no signed root
    (the check reports a mismatch) instead of failing the whole check."""
    try:
        data = bytes.fromhex(content_hash)
    except ValueError:
        data = content_hash.encode()
    return hashlib.sha256(LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(content_hashes: Sequence[str]) -> str:
    """The Merkle tree hash (hex) of the transactions, given their content hashes in order."""
    if not content_hashes:
        return hashlib.sha256(b"").hexdigest()
    return _root([leaf_hash(h) for h in content_hashes]).hex()


def _root(leaves: list[bytes]) -> bytes:
    # Bottom-up: pairing neighbours level by level gives RFC 6962's tree (an odd last node is
    # carried up unchanged), without recursion on large days.
    level = leaves
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def path(content_hashes: Sequence[str], index: int) -> list[str]:
    """The inclusion path (hex sibling hashes, leaf level first) of leaf `index`."""
    if not 0 <= index < len(content_hashes):
        raise IndexError(f"leaf {index} of {len(content_hashes)}")
    level = [leaf_hash(h) for h in content_hashes]
    out: list[str] = []
    position = index
    while len(level) > 1:
        sibling = position ^ 1
        if sibling < len(level):
            out.append(level[sibling].hex())
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
        position //= 2
    return out


def root_from_path(content_hash: str, index: int, size: int, siblings: Sequence[str]) -> str:
    """The root (hex) that leaf `index` of a tree of `size` leaves leads to along `siblings`
    (RFC 9162 §2.1.3.2). A proof holds when this equals the checkpoint's root. Raises
    ValueError when the path cannot belong to such a tree."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is outside a tree of {size}")
    fn, sn = index, size - 1
    r = leaf_hash(content_hash)
    for sibling in siblings:
        p = bytes.fromhex(sibling)
        if sn == 0:
            raise ValueError("the path is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the path is shorter than the tree is deep")
    return r.hex()
