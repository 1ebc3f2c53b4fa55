"""How long each list field of the schema can be: the sizes the cost estimate multiplies by.

A connection is sized by its `first` (its `edges` by the same page), `nodes` by its `ids`, and
the few plain lists that take `first` by that. Every other list field of an output type is
named here with its largest possible length and why it cannot be longer: a domain fact the
services check (levels of the net, one party unit per area), a cap a service enforces on
writing (members of a household), or a limit a service applies on reading (the newest honours).
tests/schema/core/test_cost.py walks the schema and fails on a list field missing here, so a new
list cannot cost 1 by oversight; at run time one that slipped through costs a full page.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.enums import (
    EVALUATED_ROLES,
    EVALUATION_DIMENSIONS,
    LEVEL_ORDER,
    CapWindow,
    HonourKind,
    Metric,
    PartnerUnitKind,
    Role,
)
from services.evaluation.adjustments import MAX_ADJUSTMENTS, MAX_OBJECTIONS
from services.evaluation.results import (
    EXIT_REVIEWS_LIMIT,
    HONOURS_LIMIT,
    MY_EVALUATIONS_LIMIT,
    RED_FLAGS_LIMIT,
)
from services.evaluation.schemes import ACTIVITY_METRICS, MAX_ITEMS, MAX_RULE_LINKS
from services.evaluation.training import MAX_ATTENDEES
from services.evaluation.whatif import EXITS_LIMIT, FLAGS_LIMIT, MOVES_LIMIT
from services.geo.boundaries import LISTED_PROBLEMS
from services.geo.features import MAX_FEATURES
from services.grids.areas import MAX_CHILDREN
from services.grids.moves import MAX_HOUSEHOLDS_PER_MOVE
from services.notices.relays import MAX_RELAY_HOUSEHOLDS
from services.partners.cadres import SERVICES_LIMIT
from services.partners.lists import MAX_SERVED, MAX_SOURCES, UNIT_RESOURCES_LIMIT
from services.partners.matching import MATCHES_LIMIT
from services.partners.projects import MAX_MILESTONES, NEEDS_LIMIT, PARTICIPANTS_LIMIT
from services.partners.stocking import UNIT_REWARDS_LIMIT
from services.partners.units import MAX_UNIT_MEMBERS
from services.party import MAX_MEMBERSHIPS as MAX_PARTY_MEMBERSHIPS
from services.people import MAX_DUTY_HOLDERS, MAX_HOUSEHOLD_MEMBERS, MAX_OPEN_ROLES
from services.people.roles import HANDOVER_LIST_LIMIT, ROLE_HISTORY_LIMIT
from services.photos import PHOTOS_LIMIT
from services.points.awards import MAX_BATCH as MAX_AWARD_BATCH
from services.points.proofs import MAX_PATH
from services.points.rules import MAX_RULE_CODES
from services.points.signing import MAX_PREVIOUS_KEYS
from services.points.statements import EXPIRING_LIMIT, TOP_REWARDS
from services.points.verify import LISTED_CHAIN_PROBLEMS, SUM_CHECKS
from services.points.whatif import CAPPED_LIMIT, COMMUNITIES_LIMIT, PEOPLE_LIMIT
from services.volunteering.hours import MAX_BATCH as MAX_HOURS_BATCH
from services.volunteering.teams import MAX_TEAMS
from services.workorders.categories import CATEGORIES_LIMIT
from services.workorders.orders import MAX_PHOTOS, TIMELINE_LIMIT


@dataclass(frozen=True)
class Bound:
    """The most items a list field holds, and what keeps it there."""

    size: int
    why: str


# Arguments that size a list themselves: the cost estimate reads them from the operation.
SIZED_BY_ARGUMENT = ("first", "ids")

# Scalar fields that do the work of a list (a GeoJSON layer): what they cost on their own, in
# proportion to the rows they may return, besides the 1 every field costs.
FIELD_COSTS: dict[tuple[str, str], int] = {
    # A quarter per feature it may return: 2,500, four layers in a budget for a visitor.
    ("Query", "mapFeatures"): MAX_FEATURES // 4,
    # The overlays of a whole subtree's net, run for every page: as much as a map layer.
    ("Query", "boundaryProblems"): MAX_FEATURES // 4,
}

LIST_BOUNDS: dict[str, Bound] = {
    # --- the map ---
    "ImportBoundariesSuccess.problems": Bound(
        LISTED_PROBLEMS, "import_boundaries_upload lists the first problems only"
    ),
    "BoundaryProblem.areas": Bound(
        MAX_CHILDREN, "one area or two, or MISSING's children of one parent (create_area caps)"
    ),
    # --- the ledger ---
    "LedgerReport.failedSumChecks": Bound(SUM_CHECKS, "one line per double-entry check"),
    "LedgerReport.chainProblems": Bound(
        LISTED_CHAIN_PROBLEMS, "LedgerReport.from_report lists the first broken chains only"
    ),
    "LedgerProof.path": Bound(MAX_PATH, "one hash per tree level: log2 of the leaves, < 64"),
    "LedgerSigningKey.previousKeys": Bound(
        MAX_PREVIOUS_KEYS, "the settings refuse more in LEDGER_PREVIOUS_PUBLIC_KEYS"
    ),
    "LedgerReport.checkpointProblems": Bound(
        LISTED_CHAIN_PROBLEMS, "LedgerReport.from_report lists the first bad checkpoints only"
    ),
    # --- the territory and its people ---
    "Area.ancestors": Bound(
        len(LEVEL_ORDER) - 1, "the levels above an area; create_area nests levels strictly"
    ),
    "Area.roleHolders": Bound(MAX_DUTY_HOLDERS, "assign_role caps duty-role holders per area"),
    "Area.partyUnits": Bound(1, "one active party unit per area: its level's kind"),
    "Area.honours": Bound(HONOURS_LIMIT, "honours_of_areas lists the newest only"),
    "Person.partyMemberships": Bound(
        MAX_PARTY_MEMBERSHIPS, "a person is in at most one party unit of each level"
    ),
    "Person.roles": Bound(MAX_OPEN_ROLES, "assign_role caps the roles a person holds at once"),
    "Person.roleHistory": Bound(ROLE_HISTORY_LIMIT, "roles_by_person lists the latest only"),
    "Person.honours": Bound(HONOURS_LIMIT, "honours_of_people lists the newest only"),
    "Viewer.roles": Bound(MAX_OPEN_ROLES, "assign_role caps the roles a person holds at once"),
    "EndRoleSuccess.movedCareLinks": Bound(
        HANDOVER_LIST_LIMIT, "end_role lists the first moved care links only"
    ),
    "EndRoleSuccess.transferredWorkOrders": Bound(
        HANDOVER_LIST_LIMIT, "end_role lists the first transferred work orders only"
    ),
    "MoveHouseholdsSuccess.moves": Bound(
        MAX_HOUSEHOLDS_PER_MOVE, "one per household moved; move_households caps them"
    ),
    "MoveHouseholdsSuccess.households": Bound(
        MAX_HOUSEHOLDS_PER_MOVE, "move_households takes that many households at most"
    ),
    "Household.members": Bound(
        MAX_HOUSEHOLD_MEMBERS, "create_person and add_member cap a household's members"
    ),
    "Query.exitReviews": Bound(EXIT_REVIEWS_LIMIT, "exit_reviews lists the newest only"),
    # --- evaluations ---
    "Query.redFlags": Bound(RED_FLAGS_LIMIT, "red_flags lists the newest only"),
    "PublishEvaluationPeriodSuccess.redFlags": Bound(
        RED_FLAGS_LIMIT, "red_flags lists the newest only"
    ),
    "SimulateEvaluationSuccess.moves": Bound(
        MOVES_LIMIT, "simulate_evaluation lists the largest moves only"
    ),
    "SimulateEvaluationSuccess.redFlags": Bound(
        FLAGS_LIMIT, "simulate_evaluation lists that many red flags a side"
    ),
    "SimulateEvaluationSuccess.simulatedRedFlags": Bound(
        FLAGS_LIMIT, "simulate_evaluation lists that many red flags a side"
    ),
    "SimulateEvaluationSuccess.exitReviews": Bound(
        EXITS_LIMIT, "simulate_evaluation lists that many exit reviews a side"
    ),
    "SimulateEvaluationSuccess.simulatedExitReviews": Bound(
        EXITS_LIMIT, "simulate_evaluation lists that many exit reviews a side"
    ),
    "SimulatePointsRuleSuccess.people": Bound(
        PEOPLE_LIMIT, "simulate_points_rule lists the largest differences only"
    ),
    "SimulatePointsRuleSuccess.capped": Bound(
        CAPPED_LIMIT, "simulate_points_rule lists that many people a cap binds"
    ),
    "SimulatePointsRuleSuccess.communities": Bound(
        COMMUNITIES_LIMIT, "simulate_points_rule lists that many community pools"
    ),
    "SimulatedPointsPerson.capsHit": Bound(len(CapWindow), "a cap per day, month and quarter"),
    "Viewer.evaluations": Bound(MY_EVALUATIONS_LIMIT, "my_evaluations lists the newest only"),
    "Evaluation.dimensions": Bound(
        len(EVALUATION_DIMENSIONS), "a role is scored in each of the four dimensions once"
    ),
    "Evaluation.adjustments": Bound(MAX_ADJUSTMENTS, "adjust_score caps them per evaluation"),
    "EvaluationAdjustment.objections": Bound(
        MAX_OBJECTIONS, "object_to_adjustment caps them per adjustment"
    ),
    "DimensionScore.details": Bound(
        MAX_RULE_CODES + len(Metric) + MAX_ADJUSTMENTS,
        "one entry per rule code (create_rule caps a district's codes), per metric and per "
        "adjustment (capped per evaluation)",
    ),
    "EvaluationScheme.roles": Bound(len(EVALUATED_ROLES), "each evaluated role once"),
    "EvaluationScheme.honours": Bound(len(HonourKind), "each honour kind once"),
    "EvaluationScheme.metricPoints": Bound(len(ACTIVITY_METRICS), "each activity metric once"),
    "RoleScheme.dimensions": Bound(len(EVALUATION_DIMENSIONS), "each dimension once"),
    "DetailedRules.pointsRules": Bound(MAX_RULE_LINKS, "update_scheme caps the rule links"),
    "DetailedRules.manualItems": Bound(MAX_ITEMS, "update_scheme caps the manual items"),
    "TrainingSession.attendees": Bound(
        MAX_ATTENDEES, "record_attendance caps the people recorded at a session"
    ),
    # --- points, the marketplace ---
    "AwardPointsBatchSuccess.awards": Bound(
        MAX_AWARD_BATCH, "award_batch takes that many people at most"
    ),
    "AwardPointsBatchSuccess.outcomes": Bound(
        MAX_AWARD_BATCH, "one per person; award_batch takes (or a team holds) that many at most"
    ),
    "AwardPointsBatchRefused.refusals": Bound(
        MAX_AWARD_BATCH, "one per person; award_batch takes (or a team holds) that many at most"
    ),
    "PointsAccount.expiringSoon": Bound(EXPIRING_LIMIT, "expiring_soon lists the soonest only"),
    "PointsStatistics.topRewards": Bound(TOP_REWARDS, "statistics names the top rewards only"),
    "PointsRule.receiverRoles": Bound(len(Role), "a set of roles"),
    "PointsRule.granterRoles": Bound(len(Role), "a set of roles"),
    "PointsRuleVersion.receiverRoles": Bound(len(Role), "a set of roles"),
    "PointsRuleVersion.granterRoles": Bound(len(Role), "a set of roles"),
    # --- notices ---
    "Notice.roles": Bound(len(Role), "a set of roles"),
    "NoticeCoverage.areas": Bound(MAX_CHILDREN, "one per child area; create_area caps them"),
    "RecordNoticeRelaySuccess.relays": Bound(
        MAX_RELAY_HOUSEHOLDS, "record_relay takes that many households at most"
    ),
    # --- partners and co-building ---
    "PartnerUnit.members": Bound(MAX_UNIT_MEMBERS, "add_member caps a unit's members"),
    "PartnerUnit.resourceOffers": Bound(
        UNIT_RESOURCES_LIMIT, "resources_of_units lists the newest only"
    ),
    "PartnerUnit.rewards": Bound(UNIT_REWARDS_LIMIT, "rewards_of_units lists the newest only"),
    "ResourceOffer.servedAreas": Bound(MAX_SERVED, "post_resource caps the areas served"),
    "ResourceOffer.matches": Bound(MATCHES_LIMIT, "matches_of lists the newest only"),
    "Need.matches": Bound(MATCHES_LIMIT, "matches_of lists the newest only"),
    "Need.sourceIds": Bound(MAX_SOURCES, "post_need caps the requests cited"),
    "Project.matches": Bound(MATCHES_LIMIT, "matches_of lists the newest only"),
    "Project.participants": Bound(PARTICIPANTS_LIMIT, "participants_of lists so many only"),
    "Project.milestones": Bound(MAX_MILESTONES, "add_milestone caps them per project"),
    "Project.needs": Bound(NEEDS_LIMIT, "needs_of_projects lists the latest only"),
    "CadreAssignment.services": Bound(SERVICES_LIMIT, "services_of lists the latest only"),
    "Query.projectClaimKinds": Bound(len(PartnerUnitKind), "a set of unit kinds"),
    "SetProjectClaimKindsSuccess.kinds": Bound(len(PartnerUnitKind), "a set of unit kinds"),
    # --- volunteering ---
    "Viewer.teams": Bound(MAX_TEAMS, "join_team and create_team cap a person's teams"),
    "ApproveHoursSuccess.signUps": Bound(
        MAX_HOURS_BATCH, "approve_hours takes that many sign-ups at most"
    ),
    "ApproveHoursSuccess.capped": Bound(
        MAX_HOURS_BATCH, "some of the sign-ups approve_hours takes, at most that many"
    ),
    "DeclineHoursSuccess.signUps": Bound(
        MAX_HOURS_BATCH, "decline_hours takes that many sign-ups at most"
    ),
    # --- work orders ---
    "Query.workOrderCategories": Bound(CATEGORIES_LIMIT, "list_categories lists so many only"),
    "WorkOrder.timeline": Bound(TIMELINE_LIMIT, "timelines lists the latest steps only"),
    "WorkOrder.photoUrls": Bound(MAX_PHOTOS, "submit caps the photos of an order"),
    # --- photos ---
    "WorkOrder.photos": Bound(PHOTOS_LIMIT, "photos_of_orders reads so many per order"),
    "WorkOrderEvent.photos": Bound(PHOTOS_LIMIT, "photos_of_steps reads so many per step"),
    "VolunteerActivity.photos": Bound(
        PHOTOS_LIMIT, "photos_of_activities reads so many per activity"
    ),
    "AddActivityPhotosSuccess.photos": Bound(
        PHOTOS_LIMIT, "an activity holds at most MAX_PHOTOS (at most that many)"
    ),
}
