"""Demo notices (政策传达): the street's winter fire-safety check, three of 颜山社区's own
(waste sorting, vaccination for the elderly, flood prevention) and one of 颜山第一网格,
published through the service. 赵桂兰 (micro-grid leader of M) has acknowledged two of them,
which earned her NOTICE_RELAYED points; 陈志强 (central household in M) has not yet, so
coverage is partial everywhere."""

from __future__ import annotations

from seed.points import demo_actor
from services import notices
from services.enums import Role
from services.models import Area, Notice

# publisher, area name, title, body, roles (empty: everyone), acknowledged by 赵桂兰
Plan = tuple[str, str, str, str, tuple[Role, ...], bool]
NOTICES: tuple[Plan, ...] = (
    (
        "street_admin",
        "城西街道",
        "关于开展冬季消防安全检查的通知",
        "各社区、网格：入冬以来火灾风险上升。请于本月底前组织对辖区楼道堆物、电动自行车"
        "违规充电、老旧电线开展一次全面排查，微网格长、中心户逐户提醒，发现隐患及时上报。",
        (),
        True,
    ),
    (
        "community_admin",
        "颜山社区",
        "关于进一步做好垃圾分类工作的通知",
        "自下月起，颜山社区各小区实行定时定点投放（早 7:00-9:00，晚 18:00-20:00）。"
        "请中心户向联系户讲清四分类标准，志愿者在投放点值守引导。",
        (),
        True,
    ),
    (
        "community_admin",
        "颜山社区",
        "关于组织 60 岁以上老年人接种疫苗的通知",
        "社区卫生服务站本周六上午在党群服务中心集中接种。请微网格长、中心户摸清本网格"
        "60 岁以上老人接种意愿，行动不便的登记上门服务。",
        (Role.MICRO_GRID_LEADER, Role.CENTRAL_HOUSEHOLD),
        False,
    ),
    (
        "community_admin",
        "颜山社区",
        "关于做好汛期防汛准备工作的通知",
        "请各微网格长检查地下车库、低洼楼栋排水情况，更新独居老人、残疾人等重点人员"
        "转移名单，汛期保持手机畅通。",
        (Role.MICRO_GRID_LEADER,),
        False,
    ),
    (
        "grid_leader",
        "颜山第一网格",
        "颜山第一网格楼道杂物集中清理的通知",
        "本周日上午 9 点集中清理 1-5 号楼楼道杂物，请各楼住户提前整理，党员志愿者协助搬运。",
        (),
        False,
    ),
)


async def seed_notices() -> list[Notice]:
    """The notices above, in order, and 赵桂兰's acknowledgements."""
    leader = await demo_actor("microgrid_leader")
    made: list[Notice] = []
    for username, area_name, title, body, roles, acknowledged in NOTICES:
        area = await Area.get(name=area_name)
        notice = await notices.publish_notice(
            actor=await demo_actor(username),
            area_id=area.id,
            title=title,
            body=body,
            roles=roles,
        )
        made.append(notice)
        if acknowledged:
            await notices.acknowledge_notice(actor=leader, notice_id=notice.id)
    return made
