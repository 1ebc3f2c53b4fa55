"""Domain vocabularies shared by models, services and the schema (plain Python, no ORM)."""

from __future__ import annotations

from enum import StrEnum


class AreaLevel(StrEnum):
    """The five levels of the net, top down."""

    DISTRICT = "DISTRICT"
    STREET = "STREET"
    COMMUNITY = "COMMUNITY"
    GRID = "GRID"
    MICRO_GRID = "MICRO_GRID"

    @property
    def rank(self) -> int:
        """0 for the district, 4 for a micro-grid."""
        return LEVEL_ORDER.index(self)


LEVEL_ORDER = list(AreaLevel)


class AreaKind(StrEnum):
    """Residential grids, dedicated commercial grids (商业专属网格), other special grids."""

    RESIDENTIAL = "RESIDENTIAL"
    COMMERCIAL = "COMMERCIAL"
    SPECIAL = "SPECIAL"


class PartyUnitKind(StrEnum):
    """The party organisation that runs parallel to the territory, one kind per level."""

    DISTRICT_PARTY_COMMITTEE = "DISTRICT_PARTY_COMMITTEE"
    STREET_PARTY_WORKING_COMMITTEE = "STREET_PARTY_WORKING_COMMITTEE"
    COMMUNITY_PARTY_ORGANIZATION = "COMMUNITY_PARTY_ORGANIZATION"
    GRID_PARTY_BRANCH = "GRID_PARTY_BRANCH"
    MICRO_GRID_PARTY_GROUP = "MICRO_GRID_PARTY_GROUP"


# The level of area each kind of party unit is attached to (one kind per level).
PARTY_UNIT_LEVEL = {
    PartyUnitKind.DISTRICT_PARTY_COMMITTEE: AreaLevel.DISTRICT,
    PartyUnitKind.STREET_PARTY_WORKING_COMMITTEE: AreaLevel.STREET,
    PartyUnitKind.COMMUNITY_PARTY_ORGANIZATION: AreaLevel.COMMUNITY,
    PartyUnitKind.GRID_PARTY_BRANCH: AreaLevel.GRID,
    PartyUnitKind.MICRO_GRID_PARTY_GROUP: AreaLevel.MICRO_GRID,
}


class Role(StrEnum):
    """What a person does, and where (the role's area and its subtree are its scope)."""

    DISTRICT_ADMIN = "DISTRICT_ADMIN"
    STREET_ADMIN = "STREET_ADMIN"
    COMMUNITY_ADMIN = "COMMUNITY_ADMIN"
    GRID_LEADER = "GRID_LEADER"
    MICRO_GRID_LEADER = "MICRO_GRID_LEADER"
    CENTRAL_HOUSEHOLD = "CENTRAL_HOUSEHOLD"
    PART_TIME_GRID_MEMBER = "PART_TIME_GRID_MEMBER"
    VOLUNTEER = "VOLUNTEER"
    PARTNER_MEMBER = "PARTNER_MEMBER"
    RESIDENT = "RESIDENT"


ADMIN_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.STREET_ADMIN, Role.COMMUNITY_ADMIN})
LEADER_ROLES = frozenset({Role.GRID_LEADER, Role.MICRO_GRID_LEADER})
# Roles held by at most one person per area at a time.
SINGLE_HOLDER_ROLES = frozenset({Role.GRID_LEADER, Role.MICRO_GRID_LEADER})

# The level of area each role is held at; RESIDENT is held without an area.
ROLE_LEVEL: dict[Role, AreaLevel | None] = {
    Role.DISTRICT_ADMIN: AreaLevel.DISTRICT,
    Role.STREET_ADMIN: AreaLevel.STREET,
    Role.COMMUNITY_ADMIN: AreaLevel.COMMUNITY,
    Role.GRID_LEADER: AreaLevel.GRID,
    Role.MICRO_GRID_LEADER: AreaLevel.MICRO_GRID,
    Role.CENTRAL_HOUSEHOLD: AreaLevel.MICRO_GRID,
    Role.PART_TIME_GRID_MEMBER: AreaLevel.GRID,
    Role.VOLUNTEER: AreaLevel.COMMUNITY,
    Role.PARTNER_MEMBER: AreaLevel.COMMUNITY,
    Role.RESIDENT: None,
}

# The duty card (便民服务牌) text per role, after the district report's fixed lists.
ROLE_DUTIES: dict[Role, str] = {
    Role.DISTRICT_ADMIN: "统筹全区网格化治理，制定评估办法，审核考评结果。",
    Role.STREET_ADMIN: "指导本街道各社区网格工作，协调跨社区事项，审核考评。",
    Role.COMMUNITY_ADMIN: "管理本社区网格、微网格和人员，组织考评，审批单位报到。",
    Role.GRID_LEADER: "协助社区党组织书记抓好网格工作，统筹本网格各微网格，核实上报问题。",
    Role.MICRO_GRID_LEADER: "组织志愿服务，收集居民意见建议，接单办理群众诉求，传达政策。",
    Role.CENTRAL_HOUSEHOLD: "联系周边住户，帮助群众代办事项，传达政策，反映情况。",
    Role.PART_TIME_GRID_MEMBER: "当好流动探头，随手上报环境卫生等问题，协助发放宣传资料。",
    Role.VOLUNTEER: "参加志愿服务活动，服务群众，记录服务时长。",
    Role.PARTNER_MEMBER: "代表共建单位落实资源清单，参与共驻共建项目。",
    Role.RESIDENT: "",
}


class Dimension(StrEnum):
    """What points count towards in the evaluation scheme (评估办法)."""

    POLICY_COMMUNICATION = "POLICY_COMMUNICATION"
    MANAGEMENT_SERVICE = "MANAGEMENT_SERVICE"
    INFORMATION_REPORTING = "INFORMATION_REPORTING"
    PROBLEM_HANDLING = "PROBLEM_HANDLING"
    VOLUNTEER_SERVICE = "VOLUNTEER_SERVICE"


class AccountKind(StrEnum):
    """Ledger accounts: a person's points, a community's issuing pool, a provider's sink."""

    PERSON = "PERSON"
    POOL = "POOL"
    SINK = "SINK"


class TransactionKind(StrEnum):
    """Why points moved."""

    AWARD = "AWARD"
    PENALTY = "PENALTY"
    REDEMPTION = "REDEMPTION"
    EXPIRY = "EXPIRY"
    REVERSAL = "REVERSAL"


class ChainFault(StrEnum):
    """What is wrong with the first broken transaction of a ledger hash chain."""

    CONTENT_CHANGED = "CONTENT_CHANGED"
    LINK_BROKEN = "LINK_BROKEN"
    HEAD_MISMATCH = "HEAD_MISMATCH"


class LedgerCheckpointKind(StrEnum):
    """Why a ledger checkpoint was cut: the daily job (a past local day) or on demand."""

    DAILY = "DAILY"
    ON_DEMAND = "ON_DEMAND"


class CheckpointFault(StrEnum):
    """What is wrong with the first bad checkpoint of a community."""

    SIGNATURE_INVALID = "SIGNATURE_INVALID"
    UNKNOWN_KEY = "UNKNOWN_KEY"
    ROOT_MISMATCH = "ROOT_MISMATCH"
    HEAD_MISMATCH = "HEAD_MISMATCH"
    GAP = "GAP"


class AwardStatus(StrEnum):
    """An award request: PENDING review, APPROVED (points posted) or REJECTED."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class CapWindow(StrEnum):
    """The local calendar windows a points rule caps per person."""

    DAY = "DAY"
    MONTH = "MONTH"
    QUARTER = "QUARTER"


class AuditKind(StrEnum):
    """What an audit entry (审计记录) is about: who changed what, and when."""

    POINTS = "POINTS"
    ROLE = "ROLE"
    RULE = "RULE"
    POLICY = "POLICY"
    REWARD = "REWARD"
    EVALUATION = "EVALUATION"
    IMPORT = "IMPORT"


class ExpiryKind(StrEnum):
    """When awarded points expire: never, after N months, or at the end of the following year."""

    NONE = "NONE"
    MONTHS = "MONTHS"
    END_OF_NEXT_YEAR = "END_OF_NEXT_YEAR"


class RewardCategory(StrEnum):
    """What a marketplace reward is."""

    GOODS = "GOODS"
    SERVICE = "SERVICE"
    VOUCHER = "VOUCHER"
    EXPERIENCE = "EXPERIENCE"


class ProviderKind(StrEnum):
    """Who gives a reward: the community itself or a partner unit (共建单位)."""

    COMMUNITY = "COMMUNITY"
    PARTNER_UNIT = "PARTNER_UNIT"


class RedemptionStatus(StrEnum):
    """A redemption's state: points and stock HELD until pickup, then closed one way."""

    HELD = "HELD"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


# The roles the evaluation scheme evaluates, and the four dimensions it scores (评估办法).
EVALUATED_ROLES = (Role.GRID_LEADER, Role.MICRO_GRID_LEADER, Role.CENTRAL_HOUSEHOLD)
EVALUATION_DIMENSIONS = (
    Dimension.POLICY_COMMUNICATION,
    Dimension.MANAGEMENT_SERVICE,
    Dimension.INFORMATION_REPORTING,
    Dimension.PROBLEM_HANDLING,
)


class PeriodStatus(StrEnum):
    """An evaluation period: OPEN, then SCORING (adjustments, objections), then PUBLISHED."""

    OPEN = "OPEN"
    SCORING = "SCORING"
    PUBLISHED = "PUBLISHED"


class ObjectionStatus(StrEnum):
    """An objection to a manual adjustment: OPEN, UPHELD (withdrawn) or REJECTED (it stands)."""

    OPEN = "OPEN"
    UPHELD = "UPHELD"
    REJECTED = "REJECTED"


class HonourKind(StrEnum):
    """The quarterly red-flag honours (红旗网格, 红旗微网格, 红旗中心户)."""

    RED_FLAG_GRID = "RED_FLAG_GRID"
    RED_FLAG_MICRO_GRID = "RED_FLAG_MICRO_GRID"
    RED_FLAG_CENTRAL_HOUSEHOLD = "RED_FLAG_CENTRAL_HOUSEHOLD"


class ExitReviewStatus(StrEnum):
    """A dynamic-exit flag: OPEN, CLEARED by an admin, or ROLE_ENDED."""

    OPEN = "OPEN"
    CLEARED = "CLEARED"
    ROLE_ENDED = "ROLE_ENDED"


class Metric(StrEnum):
    """Activity counted outside the points ledger that the scheme turns into dimension points:
    training sessions attended, notices acknowledged, problem reports verified (as the
    reporter) and work orders handled within their SLA (as the handler), in the quarter."""

    TRAINING_ATTENDED = "TRAINING_ATTENDED"
    NOTICES_ACKNOWLEDGED = "NOTICES_ACKNOWLEDGED"
    REPORTS_VERIFIED = "REPORTS_VERIFIED"
    ORDERS_WITHIN_SLA = "ORDERS_WITHIN_SLA"


# The dimension each metric counts in.
METRIC_DIMENSIONS = {
    Metric.TRAINING_ATTENDED: Dimension.MANAGEMENT_SERVICE,
    Metric.NOTICES_ACKNOWLEDGED: Dimension.POLICY_COMMUNICATION,
    Metric.REPORTS_VERIFIED: Dimension.INFORMATION_REPORTING,
    Metric.ORDERS_WITHIN_SLA: Dimension.PROBLEM_HANDLING,
}


class PartnerUnitKind(StrEnum):
    """What kind of partner unit (共建单位) reports to a community (双报到)."""

    GOVERNMENT_AGENCY = "GOVERNMENT_AGENCY"
    PUBLIC_INSTITUTION = "PUBLIC_INSTITUTION"
    ENTERPRISE = "ENTERPRISE"
    SOCIAL_ORGANIZATION = "SOCIAL_ORGANIZATION"
    PROPERTY_COMPANY = "PROPERTY_COMPANY"
    MERCHANT = "MERCHANT"


class PartnerUnitStatus(StrEnum):
    """A unit's registration: PENDING review, then APPROVED or REJECTED (with a reason)."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ResourceCategory(StrEnum):
    """What a resource entry (资源清单) offers or a need entry (需求清单) asks for."""

    VENUE = "VENUE"
    FUNDS = "FUNDS"
    EQUIPMENT = "EQUIPMENT"
    EXPERTISE = "EXPERTISE"
    VOLUNTEER_HOURS = "VOLUNTEER_HOURS"
    GOODS = "GOODS"
    SERVICE = "SERVICE"


# Resource categories that can meet a need of each category besides its own (funds buy goods
# and equipment; expertise and volunteer hours deliver services). Matching scores them lower.
COMPATIBLE_CATEGORIES: dict[ResourceCategory, tuple[ResourceCategory, ...]] = {
    ResourceCategory.VENUE: (),
    ResourceCategory.FUNDS: (),
    ResourceCategory.EQUIPMENT: (ResourceCategory.FUNDS,),
    ResourceCategory.EXPERTISE: (ResourceCategory.SERVICE,),
    ResourceCategory.VOLUNTEER_HOURS: (ResourceCategory.SERVICE,),
    ResourceCategory.GOODS: (ResourceCategory.FUNDS,),
    ResourceCategory.SERVICE: (ResourceCategory.EXPERTISE, ResourceCategory.VOLUNTEER_HOURS),
}


class ResourceStatus(StrEnum):
    """A resource entry: OPEN for matching, or WITHDRAWN by its unit (kept as history)."""

    OPEN = "OPEN"
    WITHDRAWN = "WITHDRAWN"


class NeedStatus(StrEnum):
    """A need entry: OPEN, FULFILLED (fully committed by matches) or CANCELLED."""

    OPEN = "OPEN"
    FULFILLED = "FULFILLED"
    CANCELLED = "CANCELLED"


class Urgency(StrEnum):
    """How urgent a need is."""

    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


URGENCY_RANK = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.HIGH: 2, Urgency.CRITICAL: 3}


class MatchSide(StrEnum):
    """The two sides of a match: the unit offering the resource, the area posting the need."""

    RESOURCE = "RESOURCE"
    NEED = "NEED"


class MatchStatus(StrEnum):
    """A proposed match: PROPOSED by one side, then ACCEPTED by the other (quantities
    committed), DECLINED by the other side or WITHDRAWN by the proposer."""

    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    WITHDRAWN = "WITHDRAWN"


class ProjectStatus(StrEnum):
    """A co-building project (共驻共建项目): PROPOSED, ACTIVE, then COMPLETED or CANCELLED."""

    PROPOSED = "PROPOSED"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


# The status changes updateProject allows.
PROJECT_TRANSITIONS: dict[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.PROPOSED: frozenset({ProjectStatus.ACTIVE, ProjectStatus.CANCELLED}),
    ProjectStatus.ACTIVE: frozenset({ProjectStatus.COMPLETED, ProjectStatus.CANCELLED}),
    ProjectStatus.COMPLETED: frozenset(),
    ProjectStatus.CANCELLED: frozenset(),
}


class ProjectRole(StrEnum):
    """How a unit takes part in a project."""

    OWNER = "OWNER"
    PARTNER = "PARTNER"
    BENEFICIARY = "BENEFICIARY"


class TeamKind(StrEnum):
    """What a volunteer team (志愿服务队) is."""

    PARTY_MEMBER_SERVICE_TEAM = "PARTY_MEMBER_SERVICE_TEAM"
    YOUTH_VOLUNTEER_TEAM = "YOUTH_VOLUNTEER_TEAM"
    ELDERLY_CARE_TEAM = "ELDERLY_CARE_TEAM"
    PROFESSIONAL_SERVICE_TEAM = "PROFESSIONAL_SERVICE_TEAM"
    GENERAL_VOLUNTEER_TEAM = "GENERAL_VOLUNTEER_TEAM"


class MembershipStatus(StrEnum):
    """A team membership: PENDING (applied), then APPROVED or REJECTED; APPROVED may be LEFT."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    LEFT = "LEFT"


class ActivityStatus(StrEnum):
    """A volunteer activity: OPEN (scheduled, running or done) or CANCELLED."""

    OPEN = "OPEN"
    CANCELLED = "CANCELLED"


class SignUpStatus(StrEnum):
    """A sign-up for an activity: SIGNED_UP, or CANCELLED before the start."""

    SIGNED_UP = "SIGNED_UP"
    CANCELLED = "CANCELLED"


class HoursStatus(StrEnum):
    """Service hours of a sign-up after check-out: PENDING, then APPROVED or DECLINED."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


class PointsWithheldReason(StrEnum):
    """Why units earned by a source (approved volunteer hours) earned no points, or fewer than
    were earned. The units themselves (the hours) stay on record either way."""

    # The rule's caps (per day, month or quarter the units were earned) left some out.
    CAPPED = "CAPPED"
    # The community has no active rule for it (none, or it was retired).
    NO_RULE = "NO_RULE"
    # The rule pays only some roles (its receivers), and the person holds none of them.
    NOT_A_RECEIVER = "NOT_A_RECEIVER"
    # The rule pays no points per unit.
    NO_POINTS = "NO_POINTS"


class WorkOrderKind(StrEnum):
    """A resident's request for help (点单) or a problem reported by a grid worker (事件上报)."""

    RESIDENT_REQUEST = "RESIDENT_REQUEST"
    PROBLEM_REPORT = "PROBLEM_REPORT"


class WorkOrderStatus(StrEnum):
    """Where a work order stands (see services.workorders.transitions for the moves)."""

    SUBMITTED = "SUBMITTED"
    DISPATCHED = "DISPATCHED"
    ACCEPTED = "ACCEPTED"
    IN_PROGRESS = "IN_PROGRESS"
    SUSPENDED = "SUSPENDED"
    RESOLVED = "RESOLVED"
    CONFIRMED = "CONFIRMED"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class WorkOrderAction(StrEnum):
    """What happened to a work order: one row of its timeline each."""

    SUBMIT = "SUBMIT"
    DISPATCH = "DISPATCH"
    ACCEPT = "ACCEPT"
    ASSIGN = "ASSIGN"
    START = "START"
    RESOLVE = "RESOLVE"
    CONFIRM = "CONFIRM"
    VERIFY = "VERIFY"
    AUTO_CONFIRM = "AUTO_CONFIRM"
    CLOSE = "CLOSE"
    TRANSFER = "TRANSFER"
    SUSPEND = "SUSPEND"
    RESUME = "RESUME"
    REJECT = "REJECT"
    ESCALATE = "ESCALATE"
    RATE = "RATE"
    CANCEL = "CANCEL"
    CHECK = "CHECK"
    REOPEN = "REOPEN"


class ClaimStatus(StrEnum):
    """Where a resident's request to join a household (认领家庭) stands."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class MoveSubject(StrEnum):
    """What a move of the net (调整网格) moved: an area with its subtree, or a household."""

    AREA = "AREA"
    HOUSEHOLD = "HOUSEHOLD"


class RelayChannel(StrEnum):
    """How a leader passed a notice on to a household: 入户, 电话 or 微信群."""

    VISIT = "VISIT"
    PHONE = "PHONE"
    WECHAT_GROUP = "WECHAT_GROUP"


class Datum(StrEnum):
    """Geodetic datum of a coordinate: WGS84 (GPS, stored) or GCJ02 (火星坐标, Chinese web maps)."""

    WGS84 = "WGS84"
    GCJ02 = "GCJ02"


class ImportKind(StrEnum):
    """What a spreadsheet brings in (批量导入) or an export writes with the same columns."""

    AREAS = "AREAS"
    HOUSEHOLDS = "HOUSEHOLDS"
    PEOPLE = "PEOPLE"
    ROLES = "ROLES"
    PARTNERS = "PARTNERS"
    PARTNER_RESOURCES = "PARTNER_RESOURCES"


class ImportStatus(StrEnum):
    """Where an import job stands: QUEUED, RUNNING, then SUCCEEDED (written), DRY_RUN_DONE
    (validated only, nothing written) or FAILED (errors found, nothing written)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    DRY_RUN_DONE = "DRY_RUN_DONE"
    FAILED = "FAILED"


class ExportKind(StrEnum):
    """What a report export (报表导出) holds."""

    AREAS = "AREAS"
    HOUSEHOLDS = "HOUSEHOLDS"
    PEOPLE = "PEOPLE"
    ROLES = "ROLES"
    PARTNERS = "PARTNERS"
    PARTNER_RESOURCES = "PARTNER_RESOURCES"
    COVERAGE_GAPS = "COVERAGE_GAPS"
    POINTS_STATEMENT = "POINTS_STATEMENT"
    LEDGER = "LEDGER"
    RANKINGS = "RANKINGS"
    WORK_ORDER_STATS = "WORK_ORDER_STATS"


class ExportFormat(StrEnum):
    """The file an export is written as: CSV (UTF-8 with BOM) or XLSX."""

    CSV = "CSV"
    XLSX = "XLSX"

    @property
    def suffix(self) -> str:
        """The file name suffix (".csv", ".xlsx")."""
        return "." + self.value.lower()
