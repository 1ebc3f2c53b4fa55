"""`PointsTransaction.proof` through the API, and the volunteer's check in the README run on
the proofs it hands out (so the documented steps stay true)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from strawberry import relay

from services.kit import db as db_kit
from services.models import LedgerCheckpoint
from services.points import signing
from tests.conftest import Database, gql, login
from tests.schema.test_statement_count import _count_statements
from tests.services.points.proof_support import checkpoint, lift_guards
from tests.services.points_support import award, raw, rule

REPO = Path(__file__).resolve().parents[3]
# Where the volunteer's check is documented ("Checking your own points"); VOLUNTEER_CHECK_DOC
# points elsewhere (a draft of the section) while the README lacks it.
DOC = REPO / "README.md"

PROOFS = """
query Proofs($first: Int!) {
  viewer { pointsAccount { entries(first: $first) { edges { node {
    transaction { id proof { transactionId contentHash leafIndex treeSize path merkleRoot
      checkpointId checkpointSequence checkpointDay headHash keyId publicKey signature
      signedMessage content } }
  } } } } }
}
"""

PROOF_OF = """
query ProofOf($id: ID!) {
  node(id: $id) { ... on PointsTransaction { id proof { leafIndex merkleRoot } } }
}
"""


def _block(name: str) -> str:
    """The code block between `<!-- NAME:start -->` and `<!-- NAME:end -->` in the doc."""
    doc = Path(os.environ.get("VOLUNTEER_CHECK_DOC") or DOC)
    text = doc.read_text(encoding="utf-8")
    found = re.search(
        rf"<!-- {name}:start -->\s*```\w*\n(.*?)```\s*<!-- {name}:end -->", text, re.DOTALL
    )
    assert found, (
        f"{doc} has no `<!-- {name}:start -->` ... `<!-- {name}:end -->` code block: the "
        "README's section 'Checking your own points' is missing (set VOLUNTEER_CHECK_DOC to "
        "a file holding it)"
    )
    return found.group(1)


def _run(name: str) -> dict[str, Any]:
    scope: dict[str, Any] = {"__name__": "volunteer_check"}
    # The README's own code, run as a volunteer would run it.
    exec(compile(_block(name), f"<{name}>", "exec"), scope)
    return scope


async def _checkpoint_all() -> None:
    """A checkpoint of every community's chain as it stands."""
    for r in await db_kit.fetch("SELECT DISTINCT community_id FROM points_transaction", []):
        await checkpoint(int(r["community_id"]))


async def _covered_awards(n: int) -> list[int]:
    await rule()
    ids = []
    for _ in range(n):
        made = await award("volunteer")
        assert made.transaction_id is not None
        ids.append(made.transaction_id)
    await _checkpoint_all()
    return ids


def _proofs(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    edges = body["data"]["viewer"]["pointsAccount"]["entries"]["edges"]
    return [e["node"]["transaction"]["proof"] for e in edges]


class TestVolunteerCheck:
    async def test_the_documented_query_and_check_accept_a_real_proof(
        self, db: Database, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
    ) -> None:
        # given the volunteer's covered awards, read with the README's query
        await _covered_awards(3)
        token = await login(client, "volunteer")
        proofs = _proofs(await gql(client, _block("volunteer-query"), token=token))
        assert proofs and all(p is not None for p in proofs)
        check = _run("volunteer-check")["check"]
        check_signature = _run("volunteer-signature")["check_signature"]
        for proof in proofs:
            # when the README's check runs on it with the root and key the checkpoint was
            # published with (not the ones the proof carries)
            published = await LedgerCheckpoint.get(
                id=int(relay.GlobalID.from_id(proof["checkpointId"]).node_id)
            )
            # then it holds, and the signature is the service's
            assert check(proof, published.merkle_root.upper()) is True
            assert check_signature(proof, signing.known_keys()[published.key_id]) is True
        assert "OK: your entry is in the checkpoint" in capsys.readouterr().out

    async def test_the_documented_check_refuses_what_does_not_hold(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        await _covered_awards(3)
        token = await login(client, "volunteer")
        proof = _proofs(await gql(client, PROOFS, {"first": 1}, token=token))[0]
        check = _run("volunteer-check")["check"]
        check_signature = _run("volunteer-signature")["check_signature"]
        # another root, a changed content, a path one step short, another leaf position
        assert check(proof, "00" * 32) is False
        raised = proof["content"].replace('"points":', '"points":1', 1)
        assert check({**proof, "content": raised}, proof["merkleRoot"]) is False
        if proof["path"]:
            short = {**proof, "path": proof["path"][:-1]}
            assert check(short, proof["merkleRoot"]) is False
        moved = {**proof, "leafIndex": (proof["leafIndex"] + 1) % proof["treeSize"]}
        if proof["treeSize"] > 1:
            assert check(moved, proof["merkleRoot"]) is False
        # a signature under another key, or a message naming another root
        assert check_signature(proof, "11" * 32) is False
        other = proof["signedMessage"].replace(proof["merkleRoot"], "00" * 32)
        assert check_signature({**proof, "signedMessage": other}, proof["publicKey"]) is False


class TestProofField:
    async def test_null_until_covered_and_hidden_from_others(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given a covered award of the volunteer, then one not yet covered
        (covered,) = await _covered_awards(1)
        (late,) = [(await award("volunteer")).transaction_id]
        volunteer = await login(client, "volunteer")
        resident = await login(client, "resident")

        async def proof_of(tx_id: int | None, token: str) -> Any:
            gid = _gid("PointsTransaction", tx_id)
            body = await gql(client, PROOF_OF, {"id": gid}, token=token)
            assert "errors" not in body, body
            return body["data"]["node"]

        # then the volunteer has the proof of the covered one, none yet of the new one
        assert (await proof_of(covered, volunteer))["proof"]["merkleRoot"]
        assert (await proof_of(late, volunteer))["proof"] is None
        # and a resident sees neither the transaction nor its proof
        assert await proof_of(covered, resident) is None

    async def test_a_tampered_ledger_answers_the_mismatch_error(
        self, db: Database, client: httpx.AsyncClient
    ) -> None:
        # given covered awards, then one's stored hash rewritten in place
        ids = await _covered_awards(2)
        await lift_guards()
        await raw(f"UPDATE points_transaction SET content_hash = '{'cd' * 32}' WHERE id = {ids[0]}")
        token = await login(client, "volunteer")
        # when its proof is asked for
        body = await gql(client, PROOF_OF, {"id": _gid("PointsTransaction", ids[0])}, token=token)
        # then the field is null with the typed error, not a proof that would not verify
        assert body["data"]["node"]["proof"] is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "LEDGER_PROOF_MISMATCH"
        assert error["path"] == ["node", "proof"]

    async def test_a_page_of_proofs_is_a_fixed_number_of_statements(
        self, db: Database, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        # given eight covered awards of the volunteer
        await _covered_awards(8)
        token = await login(client, "volunteer")
        counts = []
        for first in (2, 8):
            # when a page of entries with their proofs is read
            async with _count_statements(caplog, db.backend) as seen:
                proofs = _proofs(await gql(client, PROOFS, {"first": first}, token=token))
            assert len(proofs) == first and all(p and p["path"] is not None for p in proofs)
            counts.append(len(seen.logged))
        # then the page size does not change the number of statements
        assert counts[0] == counts[1], counts
        assert counts[1] <= 20, counts


def _gid(type_name: str, key: int | None) -> str:
    return str(relay.GlobalID(type_name, str(key)))
