"""Ledger checkpoints in public (issue 17 §1): who reads them, and publishing one as a notice
(公示) in its community.

Checkpoints hold no personal data (ranges, hashes, a signature), and they are meant to be seen:
everyone whose concern a community is (who lives or holds a role in it, and its admins and
leaders above) may list the community's checkpoints and read any of them. Publishing one as a
notice is for the admins who administer the community; a checkpoint is published once (asking
again answers the same notice, also when two admins publish it at once).
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from services.enums import AreaLevel
from services.errors import Forbidden, NotFound
from services.grids import areas_by_ids, get_area
from services.kit import db, events
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, keyset_sql, page_from_rows
from services.kit.paths import ancestor_paths, subtree_bounds
from services.models import LedgerCheckpoint, Notice
from services.notices.publishing import publish_notice
from services.notices.reading import in_scope_of
from services.points import signing
from services.points.checkpoints import message


async def _communities(path: str) -> list[tuple[int, str]]:
    """(id, path) of the communities under the area at `path`, or of the one it lies in."""
    low, high = subtree_bounds(path)
    above = ancestor_paths(path)
    rows = await db.fetch(
        "SELECT id, path FROM area WHERE level = ? AND ((path >= ? AND path < ?)"
        + (f" OR path IN ({','.join('?' for _ in above)}))" if above else ")"),
        [AreaLevel.COMMUNITY.value, low, high, *above],
    )
    return [(int(r["id"]), str(r["path"])) for r in rows]


async def list_checkpoints(
    *, actor: Actor | None, under_id: int, window: Window
) -> Page[LedgerCheckpoint]:
    """The checkpoints of the communities under an area (or of the one it lies in) that are the
    actor's concern, newest first."""
    actor = require_actor(actor)
    area = await get_area(area_id=under_id)
    if not in_scope_of(actor, area.path):
        raise Forbidden(
            "Ledger checkpoints are read by the people of the community.", field="under"
        )
    ids = [c for c, path in await _communities(area.path) if in_scope_of(actor, path)]
    if not ids:
        return page_from_rows([], [], window, count=_zero)
    where = f"community_id IN ({','.join('?' for _ in ids)})"
    keyset = keyset_sql(window, "id", newest_first=True)
    rows = (
        await db.fetch(
            f"SELECT * FROM ledger_checkpoint WHERE {where}{keyset.bounds} "
            f"ORDER BY id {keyset.direction} LIMIT ?",
            [*ids, *keyset.params, keyset.limit],
        )
        if window.size
        else []
    )
    found = [LedgerCheckpoint._init_from_db(**row) for row in rows]

    async def count() -> int:
        total = await db.fetch(f"SELECT COUNT(*) AS n FROM ledger_checkpoint WHERE {where}", ids)
        return int(total[0]["n"])

    return page_from_rows(found, [c.id for c in found], window, count=count)


async def _zero() -> int:
    return 0


async def checkpoints_by_ids(
    *, actor: Actor | None, checkpoint_ids: list[int]
) -> list[LedgerCheckpoint | None]:
    """The checkpoints asked for, in order; None for those missing or not the actor's concern."""
    if actor is None or not checkpoint_ids:
        return [None] * len(checkpoint_ids)
    found = {c.id: c for c in await LedgerCheckpoint.filter(id__in=checkpoint_ids)}
    communities = await areas_by_ids(area_ids=sorted({c.community_id for c in found.values()}))
    paths = {a.id: a.path for a in communities if a is not None}
    return [
        c
        if (c := found.get(i)) is not None and in_scope_of(actor, paths.get(c.community_id, ""))
        else None
        for i in checkpoint_ids
    ]


def notice_text(checkpoint: LedgerCheckpoint, community_name: str) -> tuple[str, str]:
    """The title and body of a checkpoint's notice: everything needed to check it and, with
    `PointsTransaction.proof`, one's own entries in it."""
    public_key = signing.known_keys().get(checkpoint.key_id, "")
    title = f"积分账本公示 {checkpoint.day.isoformat()} 第{checkpoint.sequence}号"
    body = "\n".join(
        [
            f"{community_name} 积分账本签名检查点 (ledger checkpoint) #{checkpoint.sequence}",
            f"日期 day: {checkpoint.day.isoformat()} ({checkpoint.kind})",
            f"交易 transactions: {checkpoint.length - checkpoint.from_length} "
            f"(chain positions {checkpoint.from_length + 1}-{checkpoint.length}, "
            f"ids {checkpoint.first_transaction_id}-{checkpoint.last_transaction_id})",
            f"Merkle root: {checkpoint.merkle_root}",
            f"Head hash: {checkpoint.head_hash}",
            f"Key id: {checkpoint.key_id}",
            f"Public key (Ed25519): {public_key}",
            f"Signature: {checkpoint.signature}",
            f"Signed message: {message(checkpoint).decode()}",
            "核对方法 How to check your own points: README, 'Checking your own points' "
            "(PointsTransaction.proof and a few lines of Python).",
        ]
    )
    return title, body


async def publish_checkpoint(
    *, actor: Actor | None, checkpoint_id: int
) -> tuple[LedgerCheckpoint, Notice]:
    """Publish a checkpoint as a notice to everyone in its community (admins of the
    community); published already: the notice it was published as."""
    actor = require_actor(actor)
    checkpoint = await LedgerCheckpoint.get_or_none(id=checkpoint_id)
    community = await get_area(area_id=checkpoint.community_id) if checkpoint else None
    if checkpoint is None or community is None or not in_scope_of(actor, community.path):
        raise NotFound("No such ledger checkpoint.", field="checkpointId")
    if not actor.administers(community.path):
        raise Forbidden(
            "The admins of the community publish its ledger checkpoints.", field="checkpointId"
        )
    title, body = notice_text(checkpoint, community.name)
    async with events.collecting(), in_transaction():
        # The checkpoint's row locked first (a no-op write): two admins publishing at once
        # take turns, and the second finds the first's notice instead of sending another.
        rows = await db.execute(
            "UPDATE ledger_checkpoint SET notice_id = notice_id WHERE id = ? RETURNING notice_id",
            [checkpoint.id],
        )
        published = rows[0]["notice_id"]
        notice = await Notice.get_or_none(id=published) if published is not None else None
        if notice is None:
            notice = await publish_notice(
                actor=actor, area_id=community.id, title=title, body=body, roles=[]
            )
            await LedgerCheckpoint.filter(id=checkpoint.id).update(notice_id=notice.id)
    checkpoint.notice_id = notice.id
    return checkpoint, notice
