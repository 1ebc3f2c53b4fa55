"""Matching quality: 30 needs and 60 resources with the expected top match of each.

The fixture lives in a street of its own (15 new communities, two needs each), so no demo data
competes. For needs 0-23 the resource made for the need is perfect (same category, serves the
need's community, available through the deadline, enough left: 100) and a decoy of one of four
kinds competes with it:

- a same-category resource serving the whole street (40 + 15 + 15 + 20 = 90, and it competes
  for every need of that category in the street),
- a same-category resource of the community with half the quantity (40 + 25 + 15 + 10 = 90),
- a compatible or, where there is none, a same-category resource whose window ends before the
  deadline (70 or 92),
- a resource that must never be ranked: serving another street, expired or withdrawn.

Needs 24-29 have no perfect resource: a same-category resource whose window ends early (92)
must beat one with half the quantity (90) and the street-wide decoys (90).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import partners
from services.enums import COMPATIBLE_CATEGORIES, AreaLevel, ResourceCategory, ResourceStatus
from services.grids import create_area
from services.kit import clock
from services.models import Area, NeedEntry, ResourceOffer
from tests.conftest import Database, actor_for
from tests.services.partners_support import need, new_unit, resource

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar

CATEGORIES = list(ResourceCategory)
PERFECT = 24


async def _street() -> tuple[Area, list[Area]]:
    admin = await actor_for("district_admin")
    district = await Area.get(level=AreaLevel.DISTRICT)
    street = await create_area(
        actor=admin, parent_id=district.id, name="匹配测试街道", level=AreaLevel.STREET
    )
    communities = [
        await create_area(
            actor=admin, parent_id=street.id, name=f"匹配社区{i:02d}", level=AreaLevel.COMMUNITY
        )
        for i in range(15)
    ]
    return street, communities


async def test_thirty_needs_get_their_expected_top_matches(db: Database) -> None:
    street, communities = await _street()
    other_street = await Area.get(name="山头街道")
    unit, manager = await new_unit("匹配社区00")
    moment = clock.now()
    deadline = moment + timedelta(days=20)
    needs: list[NeedEntry] = []
    expected: dict[int, tuple[int, int]] = {}  # need id → (resource id, score)
    never: set[int] = set()
    made = 0
    for i in range(30):
        category = CATEGORIES[i % 7]
        community = communities[i // 2]
        wanted = await need(community, category=category, quantity=10, deadline=deadline)
        needs.append(wanted)

        async def offer(
            category: ResourceCategory = category, served: Area = community, **fields: object
        ) -> ResourceOffer:
            nonlocal made
            made += 1
            return await resource(
                unit,
                manager,
                title=f"资源{made}",
                category=category,
                served=[served],
                **fields,  # type: ignore[arg-type]
            )

        if i < PERFECT:
            best = await offer(quantity=10 + i, until=deadline + timedelta(days=5))
            expected[wanted.id] = (best.id, 100)
            kind = i % 4
            if kind == 0:
                await offer(quantity=50, served=street)
            elif kind == 1:
                await offer(quantity=5)
            elif kind == 2:
                compatible = COMPATIBLE_CATEGORIES[category]
                if compatible:
                    await offer(category=compatible[0], quantity=500)
                else:
                    await offer(quantity=30, until=moment + timedelta(days=5))
            else:
                hidden = (i // 4) % 3
                if hidden == 0:  # serves another street only
                    gone = await offer(quantity=100, served=other_street)
                elif hidden == 1:  # its window has ended
                    gone = await offer(quantity=100, start=moment - timedelta(days=9), until=moment)
                else:
                    gone = await offer(quantity=100)
                    await partners.update_resource(
                        actor=manager,
                        resource_id=gone.id,
                        changes={"status": ResourceStatus.WITHDRAWN},
                    )
                never.add(gone.id)
        else:
            early = await offer(quantity=10, until=moment + timedelta(days=10))
            await offer(quantity=5)
            expected[wanted.id] = (early.id, 92)
    assert made == 60
    actor = await actor_for("resident")
    for i, wanted in enumerate(needs):
        ranked = await partners.matches_for_need(actor=actor, need_id=wanted.id, first=10)
        assert ranked, i
        top = ranked[0]
        assert (top.resource_id, top.score) == expected[wanted.id], (i, ranked[:3])
        assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
        assert not never & {c.resource_id for c in ranked}, i
        assert all(c.reason for c in ranked)
        # the same pair scores the same from the resource's side, and the perfect resources
        # find their own need first
        back = await partners.matches_for_resource(
            actor=actor, resource_id=top.resource_id, first=30
        )
        pair = next(c for c in back if c.need_id == wanted.id)
        assert pair.score == top.score
        if i < PERFECT:
            assert back[0].need_id == wanted.id, (i, back[:3])


async def test_the_score_and_reason_spell_out_each_part(db: Database) -> None:
    _, communities = await _street()
    unit, manager = await new_unit("匹配社区00")
    wanted = await need(communities[0], category=ResourceCategory.GOODS, quantity=10)
    half = await resource(unit, manager, served=[communities[0]], quantity=4)
    funds = await resource(
        unit, manager, category=ResourceCategory.FUNDS, served=[communities[0]], quantity=900
    )
    ranked = await partners.matches_for_need(
        actor=await actor_for("resident"), need_id=wanted.id, first=5
    )
    by_id = {c.resource_id: c for c in ranked}
    quarter = by_id[half.id]
    assert (quarter.category_score, quarter.area_score, quarter.window_score) == (40, 25, 15)
    assert quarter.quantity_score == 8  # 20 × 4 ÷ 10
    assert "covers 4 of 10" in quarter.reason and "匹配社区00" in quarter.reason
    other = by_id[funds.id]
    assert (other.category_score, other.quantity_score, other.score) == (20, 10, 70)
    assert "compatible category (FUNDS for GOODS)" in other.reason
    # a need fully committed or cancelled has no candidates; first=0 asks for none
    assert (
        await partners.matches_for_need(
            actor=await actor_for("resident"), need_id=wanted.id, first=0
        )
        == []
    )
