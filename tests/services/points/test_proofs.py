"""Inclusion proofs of ledger transactions (services/points/proofs.py)."""

from __future__ import annotations

import hashlib
import json

import pytest

from services import points
from services.errors import LedgerProofMismatch
from services.models import PointsTransaction
from services.points import merkle, proofs, signing
from tests.conftest import Database, actor_for
from tests.services.points.proof_support import checkpoint, community_transactions, lift_guards
from tests.services.points_support import award, community, raw, rule


async def _awards(n: int, username: str = "volunteer") -> list[int]:
    """n awards to the person, their transaction ids in order."""
    ids = []
    for _ in range(n):
        made = await award(username)
        assert made.transaction_id is not None
        ids.append(made.transaction_id)
    return ids


def _holds(proof: points.Proof) -> bool:
    return (
        merkle.root_from_path(proof.content_hash, proof.leaf_index, proof.tree_size, proof.path)
        == proof.merkle_root
    )


class TestProofsFor:
    async def test_an_award_proves_against_the_signed_root(self, db: Database) -> None:
        # given an award covered by a checkpoint
        await rule()
        (tx_id,) = await _awards(1)
        cp = await checkpoint((await community()).id)
        # when the volunteer asks for its proof
        proof = await points.transaction_proof(
            actor=await actor_for("volunteer"), transaction_id=tx_id
        )
        # then it leads to the checkpoint's root, its content hashes to its hash
        assert proof is not None and _holds(proof)
        assert proof.merkle_root == cp.merkle_root and proof.checkpoint_id == cp.id
        assert hashlib.sha256(proof.content.encode()).hexdigest() == proof.content_hash
        stored = await PointsTransaction.get(id=tx_id)
        assert proof.content_hash == stored.content_hash
        content = json.loads(proof.content)
        assert (content["points"], content["reason"]) == (stored.points, stored.reason)
        # and the signed message is the checkpoint's, under a key that is listed
        assert proof.public_key == signing.known_keys()[cp.key_id]
        assert signing.verify(proof.public_key, proof.signed_message.encode(), proof.signature)
        assert json.loads(proof.signed_message)["root"] == cp.merkle_root

    @pytest.mark.parametrize("size", [1, 2, 5, 7])
    async def test_leaf_index_and_path_hold_at_every_position(
        self, db: Database, size: int
    ) -> None:
        # given a checkpoint over earlier transactions, then one over exactly `size` awards
        await rule()
        where = (await community()).id
        await _awards(1)
        await checkpoint(where)
        ids = await _awards(size)
        cp = await checkpoint(where)
        assert (cp.first_transaction_id, cp.last_transaction_id) == (ids[0], ids[-1])
        # when the proofs of all of them are asked for at once
        found = await points.proofs_for(actor=await actor_for("volunteer"), transaction_ids=ids)
        # then each sits at its position in the checkpoint (first, middle, last) and holds
        for position, proof in enumerate(found):
            assert isinstance(proof, points.Proof)
            assert (proof.leaf_index, proof.tree_size) == (position, size)
            assert proof.checkpoint_sequence == cp.sequence == 2
            assert _holds(proof)

    async def test_leaf_index_counts_only_the_communitys_transactions(self, db: Database) -> None:
        # given a checkpoint covering the community's whole chain (the demo's points included)
        await rule()
        await _awards(3)
        where = (await community()).id
        cp = await checkpoint(where)
        chain_ids = await community_transactions(where)
        # when every one is proved
        found = await points.proofs_for(
            actor=await actor_for("community_admin"), transaction_ids=chain_ids
        )
        # then the leaf index is the position in the community's chain, odd sizes included
        assert cp.length - cp.from_length == len(chain_ids)
        assert [p.leaf_index for p in found if isinstance(p, points.Proof)] == list(
            range(len(chain_ids))
        )

    async def test_a_transaction_not_yet_covered_has_no_proof(self, db: Database) -> None:
        # given a checkpoint, then a new award
        await rule()
        await _awards(1)
        await checkpoint((await community()).id)
        (late,) = await _awards(1)
        # when its proof is asked for
        proof = await points.transaction_proof(
            actor=await actor_for("volunteer"), transaction_id=late
        )
        # then there is none yet (the next checkpoint will cover it)
        assert proof is None

    async def test_another_person_cannot_read_the_proof(self, db: Database) -> None:
        # given the volunteer's covered award
        await rule()
        (tx_id,) = await _awards(1)
        await checkpoint((await community()).id)
        # when a resident, anonymous, and the community's admin ask
        resident = await points.proofs_for(
            actor=await actor_for("resident"), transaction_ids=[tx_id]
        )
        anonymous = await points.proofs_for(actor=None, transaction_ids=[tx_id])
        admin = await points.proofs_for(
            actor=await actor_for("community_admin"), transaction_ids=[tx_id]
        )
        # then only the one who may read the transaction gets it
        assert resident == [None] and anonymous == [None]
        assert isinstance(admin[0], points.Proof)

    async def test_a_changed_hash_is_a_mismatch_not_a_wrong_proof(self, db: Database) -> None:
        # given three covered awards, then one's stored hash rewritten in place
        await rule()
        ids = await _awards(3)
        await checkpoint((await community()).id)
        await lift_guards()
        await raw(f"UPDATE points_transaction SET content_hash = '{'ab' * 32}' WHERE id = {ids[1]}")
        # when the proofs are asked for
        found = await points.proofs_for(actor=await actor_for("volunteer"), transaction_ids=ids)
        # then every one of that checkpoint answers the mismatch, none a proof
        assert all(isinstance(p, LedgerProofMismatch) for p in found)
        with pytest.raises(LedgerProofMismatch) as raised:
            await points.transaction_proof(
                actor=await actor_for("volunteer"), transaction_id=ids[0]
            )
        assert raised.value.code == "LEDGER_PROOF_MISMATCH"

    async def test_changed_content_is_a_mismatch(self, db: Database) -> None:
        # given a covered award whose points were raised in place (hash left as it was)
        await rule()
        (tx_id,) = await _awards(1)
        await checkpoint((await community()).id)
        await lift_guards()
        await raw(f"UPDATE points_transaction SET points = points + 100 WHERE id = {tx_id}")
        # then its proof is refused
        with pytest.raises(LedgerProofMismatch):
            await points.transaction_proof(actor=await actor_for("volunteer"), transaction_id=tx_id)


class TestPaths:
    @pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 8, 9, 13])
    def test_paths_built_once_equal_merkle_path(self, size: int) -> None:
        hashes = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(size)]
        found = proofs._paths(hashes, list(range(size)))
        assert found == {i: merkle.path(hashes, i) for i in range(size)}
