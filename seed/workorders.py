"""Demo work orders: the district's categories (each with its service level) and the story of
颜山社区 over the past ten days, played through the services: 李淑芬 (`resident`) places orders
for her household, the rider 马小军 reports problems he sees, 赵桂兰 (the micro-grid leader)
accepts them and hands some to 陈志强 (the central household), 王德明 (the grid leader)
verifies reports. Some orders are closed and rated, one was auto-confirmed, one rejected,
one suspended, one in progress, and two are overdue and escalated by the timers. The resident
also cancelled an errand she did herself, sent a repair back (返工) she was not satisfied with,
and reported a broken stairway light that waits for 王德明 to check it on the spot (核实).

The story happened in the past: each step runs with the service clock (`services.kit.clock`) set to
its moment, as the tests set it, so the timelines, due times and points carry those times.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from seed.points import demo_actor
from services import workorders
from services.enums import AreaLevel, Role, WorkOrderKind
from services.kit import clock
from services.kit.auth import Actor
from services.kit.settings import get_settings
from services.models import Area, WorkOrder

# kind, code, name, minutes to accept, hours to resolve
CATEGORIES: tuple[tuple[WorkOrderKind, str, str, int, int], ...] = (
    (WorkOrderKind.RESIDENT_REQUEST, "WATER_ELECTRIC", "水电维修", 30, 24),
    (WorkOrderKind.RESIDENT_REQUEST, "ELDERLY_CARE", "助老助残", 60, 48),
    (WorkOrderKind.RESIDENT_REQUEST, "NEIGHBOUR_DISPUTE", "邻里纠纷", 120, 72),
    (WorkOrderKind.RESIDENT_REQUEST, "ERRAND", "代办服务", 60, 72),
    (WorkOrderKind.RESIDENT_REQUEST, "POLICY_QUESTION", "政策咨询", 120, 48),
    (WorkOrderKind.PROBLEM_REPORT, "SANITATION", "环境卫生", 60, 24),
    (WorkOrderKind.PROBLEM_REPORT, "SAFETY_HAZARD", "安全隐患", 30, 12),
    (WorkOrderKind.PROBLEM_REPORT, "ILLEGAL_BUILDING", "违章搭建", 240, 168),
    (WorkOrderKind.PROBLEM_REPORT, "STREET_VENDING", "占道经营", 120, 24),
    (WorkOrderKind.PROBLEM_REPORT, "PUBLIC_FACILITY", "公共设施损坏", 120, 72),
)
PHOTO = "https://img.example.com/boshan/yanshan/{}.jpg"


def _ago(days: int, hour: int, minute: int = 0, *, now: datetime) -> datetime:
    """A local (configured time zone) time `days` before today, as UTC."""
    tz = get_settings().tz
    day = now.astimezone(tz).date() - timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


Step = Callable[[WorkOrder], Awaitable[WorkOrder]]


class _Story:
    def __init__(self, people: dict[str, Actor]) -> None:
        self.people = people

    async def play(
        self, start: datetime, place: Callable[[], Awaitable[WorkOrder]], *steps: tuple[int, Step]
    ) -> WorkOrder:
        """Place an order at `start`, then each step `minutes` after the previous one."""
        moment = start
        with clock.frozen(moment):
            order = await place()
        for minutes, step in steps:
            moment += timedelta(minutes=minutes)
            with clock.frozen(moment):
                order = await step(order)
        return order

    def order(
        self, category: str, description: str, *, key: str | None = None
    ) -> Callable[[], Awaitable[WorkOrder]]:
        async def place() -> WorkOrder:
            return await workorders.place_order(
                actor=self.people["resident"],
                category=category,
                description=description,
                idempotency_key=key,
            )

        return place

    def report(
        self, category: str, area: Area, location: str, description: str, photo: str
    ) -> Callable[[], Awaitable[WorkOrder]]:
        async def place() -> WorkOrder:
            return await workorders.report_problem(
                actor=self.people["rider"],
                category=category,
                area_id=area.id,
                location=location,
                description=description,
                photo_urls=[PHOTO.format(photo)],
            )

        return place

    def by(self, username: str, name: str, **kwargs: object) -> Step:
        """A lifecycle service call (`accept`, `resolve`...) by a demo account."""
        actor = self.people[username]
        call = getattr(workorders, name)

        async def step(order: WorkOrder) -> WorkOrder:
            result: WorkOrder = await call(actor=actor, work_order_id=order.id, **kwargs)
            return result

        return step


async def seed_work_orders(*, community: Area) -> None:
    """Categories for the district, and the demo community's orders and reports."""
    district = await demo_actor("district_admin")
    for kind, code, name, minutes, hours in CATEGORIES:
        await workorders.create_category(
            actor=district,
            kind=kind,
            code=code,
            name=name,
            accept_within_minutes=minutes,
            resolve_within_hours=hours,
        )
    usernames = ("resident", "rider", "microgrid_leader", "central_household", "grid_leader")
    people = {u: await demo_actor(u) for u in usernames}
    story = _Story(people)
    leads = [g for g in people["microgrid_leader"].grants if g.role is Role.MICRO_GRID_LEADER]
    micro = await Area.get(id=leads[0].area_id)
    grid = await Area.get(id=micro.parent_id)
    assert micro.level is AreaLevel.MICRO_GRID and micro.path.startswith(community.path)
    helper = people["central_household"].person_id
    now = clock.now()
    # Closed and rated: a leaking tap, fixed by the central household.
    await story.play(
        _ago(6, 9, now=now),
        story.order("WATER_ELECTRIC", "厨房水龙头漏水，关不紧，请帮忙看看。"),
        (20, story.by("microgrid_leader", "accept")),
        (5, story.by("microgrid_leader", "assign", person_id=helper)),
        (40, story.by("central_household", "start")),
        (90, story.by("central_household", "resolve", note="更换了水龙头阀芯，已不漏水。")),
        (300, story.by("resident", "confirm", idempotency_key="demo-confirm-0001")),
        (10, story.by("resident", "rate", rating=5, comment="陈师傅上门很及时，谢谢！")),
    )
    # Closed: an overflowing bin reported by the rider, cleared and verified.
    await story.play(
        _ago(4, 8, now=now),
        story.report(
            "SANITATION",
            micro,
            "颜山花园 3 号楼东侧垃圾投放点",
            "垃圾桶满溢，周边有散落垃圾，气味较大。",
            "report-0001",
        ),
        (30, story.by("microgrid_leader", "accept")),
        (15, story.by("microgrid_leader", "start")),
        (120, story.by("microgrid_leader", "resolve", note="已联系保洁清运并消毒。")),
        (600, story.by("grid_leader", "verify", idempotency_key="demo-verify-0001")),
    )
    # Auto-confirmed: an errand resolved ten days ago that nobody confirmed.
    await story.play(
        _ago(10, 15, now=now),
        story.order("ERRAND", "帮忙代办老年人优待证，材料已准备好。"),
        (45, story.by("microgrid_leader", "accept")),
        (30, story.by("microgrid_leader", "start")),
        (1440, story.by("microgrid_leader", "resolve", note="优待证已办好，送到家中。")),
    )
    # Rejected: not the community's business.
    await story.play(
        _ago(3, 16, now=now),
        story.order("POLICY_QUESTION", "想咨询商品房贷款利率能不能再降一些。"),
        (40, story.by("microgrid_leader", "reject", reason="属于银行业务，已告知咨询渠道。")),
    )
    # Suspended: a broken entrance door waiting for parts.
    await story.play(
        _ago(2, 10, now=now),
        story.report(
            "PUBLIC_FACILITY",
            micro,
            "颜山花园 2 号楼 1 单元",
            "单元门禁损坏，门无法关闭。",
            "report-0002",
        ),
        (25, story.by("microgrid_leader", "accept")),
        (60, story.by("microgrid_leader", "start")),
        (30, story.by("microgrid_leader", "suspend", reason="等待物业采购门禁配件。")),
    )
    # In progress: the central household fetches medicine.
    await story.play(
        now - timedelta(hours=5),
        story.order("ELDERLY_CARE", "家中老人行动不便，需要帮忙到药店取药。"),
        (15, story.by("microgrid_leader", "accept")),
        (5, story.by("microgrid_leader", "assign", person_id=helper)),
        (30, story.by("central_household", "start")),
    )
    # Overdue: a noise complaint nobody accepted (escalated to the grid, then the community).
    await story.play(
        _ago(1, 20, now=now),
        story.order("NEIGHBOUR_DISPUTE", "楼上夜间噪音扰民，多次沟通无果，请网格协调。"),
    )
    # Overdue: a street stall blocking the fire lane (escalated to the grid leader).
    await story.play(
        now - timedelta(hours=3),
        story.report(
            "STREET_VENDING",
            micro,
            "颜山路早市东口",
            "早市摊贩占用消防通道，车辆无法通行。",
            "report-0003",
        ),
    )
    # Fresh: a leaning lamp post on the grid's square (no micro-grid: the grid handles it).
    await story.play(
        now - timedelta(minutes=10),
        story.report(
            "SAFETY_HAZARD",
            grid,
            "颜山第一网格驿站门前广场",
            "路灯杆倾斜，存在倒伏风险。",
            "report-0004",
        ),
    )
    # Cancelled: an errand the resident did herself (placed with an idempotency key).
    await story.play(
        _ago(2, 9, now=now),
        story.order("ERRAND", "帮忙到社区服务中心代交水费。", key="demo-order-0001"),
        (15, story.by("resident", "cancel", reason="已自行办理，不用麻烦了。")),
    )
    # Reopened (返工): the light flickers again; back with the micro-grid leader.
    await story.play(
        now - timedelta(hours=8),
        story.order("WATER_ELECTRIC", "卫生间灯时亮时不亮。"),
        (20, story.by("microgrid_leader", "accept")),
        (30, story.by("microgrid_leader", "start")),
        (60, story.by("microgrid_leader", "resolve", note="更换了灯泡。")),
        (120, story.by("resident", "reopen", reason="换了灯泡还是时亮时不亮，可能是线路问题。")),
    )
    # Awaiting its check (核实): a resident's report; the grid leader checks it on the spot.
    with clock.frozen(now - timedelta(minutes=40)):
        await workorders.report_problem(
            actor=people["resident"],
            category="PUBLIC_FACILITY",
            area_id=micro.id,
            location="颜山花园 2 号楼 2 单元楼道",
            description="楼道声控灯坏了，晚上上下楼看不见。",
            photo_urls=[PHOTO.format("report-0005")],
            idempotency_key="demo-report-0001",
        )
    await workorders.run_timers(now)
