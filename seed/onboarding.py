"""Demo onboarding (issue 15, part 6): a new sign-up placed nowhere yet (`newcomer`, for an
admin to find by exact username or phone and place), a resident's pending claim to join a
household of micro-grid M (`claimant`), and the street's fire-safety notice relayed by
赵桂兰 (micro-grid leader of M) to three households of M."""

from __future__ import annotations

from seed.points import demo_actor
from services import household_claims, notices
from services.accounts import create_account
from services.enums import RelayChannel
from services.models import Area, Household, Notice

# username, name, phone: demo accounts of this part (signed up, not placed by the seed).
NEWCOMER = ("newcomer", "吴晓燕", "13953319901")
CLAIMANT = ("claimant", "钱永福", "13953319902")
M = "颜山花园1-2号楼微网格"  # micro-grid M of the demo story
RELAYED_NOTICE = "关于开展冬季消防安全检查的通知"


async def seed_onboarding(*, password: str) -> None:
    """The sign-ups, the pending claim and the relays described above."""
    for username, name, phone in (NEWCOMER, CLAIMANT):
        await create_account(username=username, password=password, name=name, phone=phone)
    micro = await Area.get(name=M)
    homes = await Household.filter(micro_grid_id=micro.id).order_by("id").limit(4)
    # The claimant asks to join the last of M's first four homes (a relative moving in).
    await household_claims.claim_household(
        actor=await demo_actor(CLAIMANT[0]),
        household_id=homes[3].id,
        note="我是户主的儿子，刚从外地回来同住。",
    )
    notice = await Notice.get(title=RELAYED_NOTICE)
    leader = await demo_actor("microgrid_leader")
    await notices.record_notice_relay(
        actor=leader,
        notice_id=notice.id,
        household_ids=[h.id for h in homes[:2]],
        channel=RelayChannel.VISIT,
    )
    await notices.record_notice_relay(
        actor=leader,
        notice_id=notice.id,
        household_ids=[homes[2].id],
        channel=RelayChannel.WECHAT_GROUP,
    )
