"""Demo coverage gaps (全覆盖): what the street admin of 城西街道 (or the district admin) finds
in `Area.coverageGaps` and fixes, in 西冶街社区 (the demo community 颜山社区 stays fully covered).

A building of 琉璃苑 has just been handed over: its micro-grid is drawn, two households are
registered in it, but nobody leads it yet and no central household (中心户) looks after them;
and a family that just moved in is registered in the community, not yet placed in a
micro-grid. Everything else in the demo district is covered (seed.demo).
"""

from __future__ import annotations

from services.enums import AreaLevel
from services.grids import create_area
from services.households import create_household
from services.kit.auth import Actor
from services.models import Area

GAP_COMMUNITY = "西冶街社区"
GAP_GRID = "西冶街第二网格"
GAP_MICRO_GRID = "琉璃苑新建楼微网格"
# The households of the new building, and the one waiting to be placed (address, room).
GAP_HOMES = (("博山区西冶街琉璃苑", "9号楼1单元101"), ("博山区西冶街琉璃苑", "9号楼1单元102"))
NEWCOMER_HOME = ("博山区西冶街琉璃苑", "2号楼2单元502")


async def seed_coverage_gaps(*, actor: Actor) -> None:
    """A leaderless micro-grid with two households nobody looks after, and one unassigned
    household, in GAP_COMMUNITY (as the district admin `actor`)."""
    community = await Area.get(name=GAP_COMMUNITY)
    grid = await Area.get(name=GAP_GRID, parent_id=community.id)
    micro = await create_area(
        actor=actor,
        parent_id=grid.id,
        name=GAP_MICRO_GRID,
        level=AreaLevel.MICRO_GRID,
        # After the grid's other micro-grids (the demo numbers children from 001).
        code=f"{grid.code}{await Area.filter(parent_id=grid.id).count() + 1:03d}",
        contact_group_name=f"{GAP_MICRO_GRID}群",
    )
    for address, room in GAP_HOMES:
        await create_household(actor=actor, area_id=micro.id, address=address, room=room)
    address, room = NEWCOMER_HOME
    await create_household(actor=actor, area_id=community.id, address=address, room=room)
