"""The matching-quality fixture: 30 needs, 60 resources of 8 partner units, in a street of five
communities of its own, with the resource a district worker would pick first for each need
(`python -m bench matching-quality`; tests/services/partners/test_matching.py).

How the labels were made: written by hand, need by need, before the relevance scoring was run
on them, by reading the need as a community worker would and asking "whom do I call first?".
The pick must be able to serve the need (its community, its street; the right or a compatible
category; open through the deadline) and, among those, be what the need's words ask for (早餐
for a breakfast, not the bigger stock of 洗衣粉 of the same category); when two fit, the one in
the need's own community that covers the whole quantity. The labels were not changed after
seeing either ranking. The texts are short and plain, as lists are written; most needs share a
word with their pick (早餐, 血压), some only a weaker one (御寒 被褥 for 冬季棉被 shares 冬季 and
老人). It is a small, single-author fixture: 1.00 on it says the ranking reads the words, not
that it cannot miss; the structural ranking of before gets 17 of 30 right.

Every resource is open from yesterday without an end unless `short` (ends in 10 days, before
the needs' 20-day deadlines); `served` is a community index (0-4) or "street".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from services import partners
from services.accounts import create_account, load_actor
from services.enums import AreaLevel, PartnerUnitKind, ResourceCategory
from services.grids import create_area
from services.kit import clock
from services.kit.auth import Actor

G = ResourceCategory.GOODS
E = ResourceCategory.EQUIPMENT
F = ResourceCategory.FUNDS
V = ResourceCategory.VENUE
X = ResourceCategory.EXPERTISE
H = ResourceCategory.VOLUNTEER_HOURS
S = ResourceCategory.SERVICE

STREET_NAME = "相关性测试街道"
COMMUNITY_NAMES = ("东园社区", "西园社区", "南苑社区", "北苑社区", "中心社区")

# key: (name, kind, description, home community)
UNITS = {
    "market": ("惠民超市", PartnerUnitKind.MERCHANT, "社区连锁超市，日用百货、粮油副食", 0),
    "clinic": (
        "康宁社区卫生服务中心",
        PartnerUnitKind.PUBLIC_INSTITUTION,
        "家庭医生签约、慢病随访、义诊",
        3,
    ),
    "law": ("明德律师事务所", PartnerUnitKind.ENTERPRISE, "婚姻家庭、劳动争议、法律援助", 0),
    "canteen": ("阳光助老餐厅", PartnerUnitKind.SOCIAL_ORGANIZATION, "老年助餐、送餐上门", 1),
    "property": ("安居物业", PartnerUnitKind.PROPERTY_COMPANY, "小区物业管理、设施维修", 2),
    "youth": ("青年志愿者协会", PartnerUnitKind.SOCIAL_ORGANIZATION, "大学生志愿者团队", 4),
    "builder": ("城建集团", PartnerUnitKind.ENTERPRISE, "工程建设企业，热心公益", 1),
    "power": ("区供电公司", PartnerUnitKind.ENTERPRISE, "电力抢修、安全用电", 3),
}


@dataclass(frozen=True)
class Offer:
    """A resource of the fixture."""

    unit: str
    category: ResourceCategory
    title: str
    description: str
    quantity: int
    label: str
    served: int | str
    short: bool = False


@dataclass(frozen=True)
class Wanted:
    """A need of the fixture and the resource key a district worker picks first."""

    community: int
    category: ResourceCategory
    title: str
    description: str
    quantity: int
    label: str
    pick: str


# fmt: off
RESOURCES = {
    "r01": Offer("market", G, "洗衣粉", "家用洗衣粉，每袋2公斤", 200, "袋", 0),
    "r02": Offer("canteen", G, "爱心早餐", "包子、鸡蛋、豆浆，每天早上配送", 60, "份", 0),
    "r03": Offer("market", G, "大米食用油礼包", "10斤大米加5升食用油", 40, "份", "street"),
    "r04": Offer("market", G, "防暑降温用品", "藿香正气水、清凉油、毛巾", 80, "套", "street"),
    "r05": Offer("builder", G, "学生文具包", "书包、笔记本、文具", 50, "套", 1),
    "r06": Offer("market", G, "冬季棉被", "加厚棉被，适合老人过冬", 30, "床", 2),
    "r07": Offer("canteen", G, "营养午餐", "荤素搭配的老年午餐", 80, "份", 1),
    "r08": Offer("market", G, "口罩消毒液", "医用口罩、84消毒液", 300, "份", "street"),
    "r09": Offer("clinic", G, "老花镜", "不同度数的老花镜", 40, "副", 3),
    "r10": Offer("market", G, "牛奶鸡蛋", "纯牛奶一箱、鸡蛋一盒", 50, "份", 2),
    "r11": Offer("builder", G, "儿童图书", "绘本、科普读物", 200, "本", 4),
    "r12": Offer("clinic", G, "常用药品包", "感冒药、创可贴、体温计", 50, "份", "street"),
    "r13": Offer("property", E, "轮椅", "折叠轮椅，可借用", 10, "台", "street"),
    "r14": Offer("property", E, "灭火器", "干粉灭火器4公斤", 60, "个", 0),
    "r15": Offer("power", E, "烟雾报警器", "独立式烟感报警器", 100, "个", 3),
    "r16": Offer("builder", E, "投影仪", "会议投影仪和幕布", 2, "套", 1),
    "r17": Offer("property", E, "电动车充电桩", "集中充电设施", 20, "个", 2),
    "r18": Offer("clinic", E, "电子血压计", "上臂式电子血压计", 30, "台", 4),
    "r19": Offer("property", E, "楼道扶手", "楼道扶手、防滑垫，适老化改造", 50, "套", "street"),
    "r20": Offer("builder", E, "健身器材", "户外健身路径器材", 8, "套", 0),
    "r21": Offer("builder", F, "助学金", "资助困难家庭学生", 50000, "元", "street"),
    "r22": Offer("builder", F, "老旧小区改造资金", "楼道照明、屋面防水", 200000, "元", "street"),
    "r23": Offer("market", F, "节日慰问金", "春节慰问困难群众", 20000, "元", "street"),
    "r24": Offer("canteen", F, "助餐补贴", "老年人用餐补贴", 30000, "元", 1),
    "r25": Offer("builder", V, "多功能会议室", "可容纳80人，带投影", 20, "场", 1),
    "r26": Offer("market", V, "超市二楼活动室", "适合小型培训", 10, "场", 0),
    "r27": Offer("youth", V, "青年之家", "自习室、阅览室，安静明亮", 30, "场", 4),
    "r28": Offer("property", V, "小区篮球场", "室外篮球场，有灯光", 15, "场", 2),
    "r29": Offer("clinic", V, "康复训练室", "适合老年人康复训练", 10, "场", 3),
    "r30": Offer("property", V, "地下停车场空位", "临时停放车辆", 20, "个", "street"),
    "r31": Offer("law", X, "法律咨询", "婚姻家庭、继承、劳动争议咨询", 40, "小时", "street"),
    "r32": Offer("clinic", X, "健康讲座", "高血压、糖尿病慢病管理讲座", 10, "场", "street"),
    "r33": Offer("power", X, "安全用电讲座", "用电安全、电动车充电安全", 8, "场", "street"),
    "r34": Offer("builder", X, "工程技术咨询", "房屋安全鉴定、管道改造", 20, "小时", 2),
    "r35": Offer("youth", X, "心理咨询", "心理疏导、青少年心理辅导", 30, "小时", "street"),
    "r36": Offer("law", X, "反诈宣传", "电信网络诈骗防范宣讲", 10, "场", 0),
    "r37": Offer("clinic", X, "急救培训", "心肺复苏、AED使用培训", 6, "场", 3),
    "r38": Offer("youth", H, "课业辅导志愿者", "大学生为中小学生辅导作业", 100, "小时", 4),
    "r39": Offer("youth", H, "陪伴老人志愿者", "陪独居老人聊天、读报", 80, "小时", "street"),
    "r40": Offer("youth", H, "环境清洁志愿者", "清理楼道杂物、捡拾垃圾", 120, "小时", "street"),
    "r41": Offer("property", H, "物业员工志愿服务", "帮助搬运、疏通下水道", 40, "小时", 2),
    "r42": Offer("market", H, "超市员工志愿者", "协助节日活动布置", 30, "小时", 0),
    "r43": Offer("youth", H, "交通劝导志愿者", "上下学时段校门口交通劝导", 60, "小时", 1),
    "r44": Offer("canteen", S, "送餐上门", "为行动不便老人送餐到家", 200, "次", "street"),
    "r45": Offer("property", S, "水电维修", "上门维修水管、电路", 50, "次", "street"),
    "r46": Offer("clinic", S, "上门体检", "为失能老人上门测血压、血糖", 40, "次", "street"),
    "r47": Offer("market", S, "代购配送", "生活用品代购、免费送货上门", 100, "次", 1),
    "r48": Offer("property", S, "家电清洗", "空调、油烟机清洗", 30, "次", 3),
    "r49": Offer("canteen", S, "义务理发", "为老人免费理发", 40, "次", 2),
    "r50": Offer("power", S, "电路安全检查", "入户检查老旧电线", 60, "次", 3),
    "r51": Offer("law", S, "代写法律文书", "起诉状、遗嘱代写", 20, "次", "street"),
    "r52": Offer("builder", S, "管道疏通", "下水管道疏通", 30, "次", 0),
    "r53": Offer("youth", S, "手机使用教学", "教老人用智能手机扫码、视频通话", 40, "次", "street"),
    "r54": Offer("market", G, "粮油米面", "面粉、挂面、食用油", 60, "份", 3),
    "r55": Offer("canteen", G, "生日蛋糕", "为高龄老人过生日", 20, "个", 4),
    "r56": Offer("market", G, "夏季凉席", "竹凉席", 40, "床", 1),
    "r57": Offer("builder", G, "校服捐赠", "中小学校服", 100, "套", 4),
    "r58": Offer("canteen", G, "早点套餐券", "在合作早点铺兑换", 100, "张", 3),
    "r59": Offer("market", G, "卫生纸", "家庭装卫生纸", 200, "提", "street"),
    "r60": Offer("power", E, "应急照明灯", "停电应急灯、手电筒", 50, "个", "street", short=True),
}

NEEDS = {
    "n01": Wanted(0, G, "孤寡老人早餐", "为辖区12位孤寡老人每天提供早餐", 12, "份", "r02"),
    "n02": Wanted(1, G, "困难学生开学文具", "为20名困难家庭学生准备书包文具", 20, "套", "r05"),
    "n03": Wanted(2, G, "独居老人冬季御寒", "寒潮来临，独居老人家里缺保暖的被褥", 15, "床", "r06"),
    "n04": Wanted(1, G, "高龄老人午餐", "行动不便的高龄老人中午吃饭难", 30, "份", "r07"),
    "n05": Wanted(3, G, "老年读书会眼镜", "读书会的老人看不清字，需要老花镜", 20, "副", "r09"),
    "n06": Wanted(4, G, "儿童阅读角", "社区儿童阅读角需要绘本", 100, "本", "r11"),
    "n07": Wanted(2, G, "困难家庭营养品", "为困难家庭的孕妇和儿童提供牛奶鸡蛋", 20, "份", "r10"),
    "n08": Wanted(0, G, "环卫工人夏季慰问", "慰问户外作业的环卫工人，防暑降温", 50, "套", "r04"),
    "n09": Wanted(3, G, "低保户粮油救助", "为低保户发放米面粮油", 30, "份", "r54"),
    "n10": Wanted(4, G, "高龄老人集体生日会", "为80岁以上老人集体过生日", 10, "个", "r55"),
    "n11": Wanted(4, G, "困难学生校服", "为困难学生解决校服", 30, "套", "r57"),
    "n12": Wanted(1, E, "居民议事会设备", "议事会要放映材料，缺投影仪", 1, "套", "r16"),
    "n13": Wanted(0, E, "老旧楼道消防器材", "为老旧楼栋配备灭火器", 40, "个", "r14"),
    "n14": Wanted(3, E, "独居老人烟感报警", "为独居老人家庭安装烟感报警器", 30, "个", "r15"),
    "n15": Wanted(2, E, "电动车飞线充电整治", "建设集中充电桩，消除飞线充电隐患", 10, "个", "r17"),
    "n16": Wanted(4, E, "慢病老人血压监测", "高血压老人在家自测血压", 20, "台", "r18"),
    "n17": Wanted(0, E, "适老化改造", "老楼楼道加装扶手、防滑垫", 30, "套", "r19"),
    "n18": Wanted(3, F, "老旧小区楼道照明改造", "更换损坏的楼道灯", 5000, "元", "r22"),
    "n19": Wanted(1, F, "困难学生助学", "资助考上大学的困难学生", 10000, "元", "r21"),
    "n20": Wanted(2, V, "社区篮球赛场地", "青少年篮球友谊赛", 2, "场", "r28"),
    "n21": Wanted(4, V, "暑期学生自习室", "暑假期间学生安静学习的地方", 20, "场", "r27"),
    "n22": Wanted(3, V, "老年人康复锻炼场地", "中风后老人康复锻炼", 5, "场", "r29"),
    "n23": Wanted(0, X, "防范电信诈骗宣讲", "给老年人讲如何防范诈骗", 2, "场", "r36"),
    "n24": Wanted(2, X, "房屋漏水安全鉴定", "老楼墙体开裂漏水，需要专业鉴定", 5, "小时", "r34"),
    "n25": Wanted(3, X, "居民急救技能培训", "心肺复苏培训", 2, "场", "r37"),
    "n26": Wanted(1, X, "邻里纠纷法律咨询", "遗产继承纠纷调解需要律师", 10, "小时", "r31"),
    "n27": Wanted(4, H, "中小学生作业辅导", "双职工家庭孩子放学后写作业没人管", 40, "小时", "r38"),
    "n28": Wanted(2, H, "独居老人陪伴", "陪伴独居老人聊天解闷", 30, "小时", "r39"),
    "n29": Wanted(1, S, "行动不便老人送餐", "为失能半失能老人送餐上门", 100, "次", "r44"),
    "n30": Wanted(3, S, "老人学用智能手机", "教老年人用手机扫码、视频通话", 20, "次", "r53"),
}
# fmt: on

DEADLINE_DAYS = 20


@dataclass(frozen=True)
class Fixture:
    """The built fixture: database ids of the keys."""

    needs: dict[str, int]
    resources: dict[str, int]

    def key_of_resource(self, resource_id: int) -> str:
        """The fixture key of a resource id."""
        return next(k for k, v in self.resources.items() if v == resource_id)


async def build(*, admin: Actor, district_id: int) -> Fixture:
    """The street, its five communities, the units (approved by `admin`, a district admin), the
    resources and the needs, all through the services."""
    street = await create_area(
        actor=admin, parent_id=district_id, name=STREET_NAME, level=AreaLevel.STREET
    )
    communities = [
        await create_area(actor=admin, parent_id=street.id, name=n, level=AreaLevel.COMMUNITY)
        for n in COMMUNITY_NAMES
    ]
    managers: dict[str, tuple[int, Actor]] = {}
    for key, (name, kind, description, home) in UNITS.items():
        account = await create_account(
            username=f"quality_{key}", password="quality-password-123", name=name, phone=None
        )
        manager = await load_actor(account_id=account.id)
        assert manager is not None
        unit = await partners.register_unit(
            actor=manager,
            community_id=communities[home].id,
            name=name,
            kind=kind,
            address="",
            phone=None,
            description=description,
        )
        await partners.review_unit(actor=admin, unit_id=unit.id, approve=True, reason=None)
        fresh = await load_actor(account_id=account.id)
        assert fresh is not None
        managers[key] = (unit.id, fresh)
    moment = clock.now()
    resources = {}
    for key, offer in RESOURCES.items():
        unit_id, manager = managers[offer.unit]
        served = street if offer.served == "street" else communities[int(offer.served)]
        made = await partners.post_resource(
            actor=manager,
            unit_id=unit_id,
            data=partners.ResourceInput(
                category=offer.category,
                title=offer.title,
                description=offer.description,
                quantity=offer.quantity,
                unit_label=offer.label,
                available_from=moment - timedelta(days=1),
                available_until=moment + timedelta(days=10) if offer.short else None,
                served_area_ids=[served.id],
            ),
        )
        resources[key] = made.id
    needs = {}
    for key, wanted in NEEDS.items():
        made_need = await partners.post_need(
            actor=admin,
            area_id=communities[wanted.community].id,
            data=partners.NeedInput(
                category=wanted.category,
                title=wanted.title,
                description=wanted.description,
                quantity=wanted.quantity,
                unit_label=wanted.label,
                deadline=moment + timedelta(days=DEADLINE_DAYS),
            ),
        )
        needs[key] = made_need.id
    return Fixture(needs=needs, resources=resources)
