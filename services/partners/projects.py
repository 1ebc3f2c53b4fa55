"""Co-building projects (共驻共建项目): created by community admins or by accepted matches,
run by the community and the units that own them, with milestones and totals. Units of the
kinds a community allows (its admins set them; by default property companies and social
organisations) claim (认领) its claimable service projects.

Who may do what: admins of the project's community and managers of its OWNER units run it
(details, status, people served); managers of PARTNER units also add and update milestones.
Projects are readable by every signed-in user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.transactions import in_transaction

from services.enums import (
    PROJECT_TRANSITIONS,
    AreaLevel,
    PartnerUnitKind,
    ProjectRole,
    ProjectStatus,
)
from services.errors import Conflict, Forbidden, InvalidInput, InvalidTransition, NotFound
from services.grids import clean_text, get_area
from services.kit import clock, db
from services.kit.auth import Actor, require_actor
from services.kit.pagination import Page, Window, paginate
from services.kit.paths import community_path, subtree_bounds
from services.models import (
    Area,
    NeedEntry,
    Project,
    ProjectClaimSetting,
    ProjectMilestone,
    ProjectUnit,
)
from services.partners.units import managed_unit, member_unit_ids

MAX_PEOPLE_SERVED = 10_000_000
# The most milestones one project has: a bound the API's cost estimate relies on
# (`Project.milestones`).
MAX_MILESTONES = 50
# The most units and needs listed for one project (owners first; the latest needs): bounds the
# API's cost estimate relies on (`Project.participants`, `Project.needs`).
PARTICIPANTS_LIMIT = 50
NEEDS_LIMIT = 50
CLOSED = (ProjectStatus.COMPLETED, ProjectStatus.CANCELLED)


async def _roles_of(actor: Actor, project_id: int) -> set[ProjectRole]:
    """The roles in which units the actor manages take part in the project."""
    managed = await member_unit_ids(actor.person_id, managers_only=True)
    if not managed:
        return set()
    rows = await ProjectUnit.filter(project_id=project_id, unit_id__in=sorted(managed))
    return {r.role for r in rows}


async def may_run(actor: Actor, project: Project) -> bool:
    """Admins of the community and managers of OWNER units run a project."""
    return actor.administers(project.community_path) or ProjectRole.OWNER in await _roles_of(
        actor, project.id
    )


async def may_contribute(actor: Actor, project: Project) -> bool:
    """Those who run it, and managers of PARTNER units, keep its milestones."""
    if actor.administers(project.community_path):
        return True
    return bool(await _roles_of(actor, project.id) & {ProjectRole.OWNER, ProjectRole.PARTNER})


async def _project(project_id: int) -> Project:
    project = await Project.get_or_none(id=project_id)
    if project is None:
        raise NotFound("No such project.", field="projectId")
    return project


async def project_for_activity(actor: Actor, project_id: int, community: str) -> Project:
    """The project an activity of `community` is held under: a project of that community, not
    closed, that the actor runs or contributes to (admins of the community always may)."""
    project = await _project(project_id)
    if project.community_path != community:
        raise InvalidInput("The project belongs to another community.", field="projectId")
    if project.status in CLOSED:
        raise Conflict(f"The project is {project.status.value}.", field="projectId")
    if not await may_contribute(actor, project):
        raise Forbidden(
            "Admins of the community and managers of its units hold activities under a project.",
            field="projectId",
        )
    return project


def _people(value: int) -> int:
    if not 0 <= value <= MAX_PEOPLE_SERVED:
        raise InvalidInput(f"People served is 0 to {MAX_PEOPLE_SERVED}.", field="peopleServed")
    return value


async def create_project(
    *,
    actor: Actor | None,
    community_id: int,
    title: str,
    description: str,
    claimable: bool,
    people_served: int,
) -> Project:
    """A PROPOSED project of a community (its admins); `claimable`: a service project that a
    unit of the community may claim (认领), of a kind the community allows."""
    actor = require_actor(actor)
    title = clean_text(title, field="title", max_length=100)
    description = clean_text(description, field="description", max_length=1000, required=False)
    people_served = _people(people_served)
    area = await get_area(area_id=community_id)
    if area.level is not AreaLevel.COMMUNITY:
        raise InvalidInput("A project belongs to a community.", field="communityId")
    actor.require_admin_of(area.path, "create projects")
    moment = clock.now()
    return await Project.create(
        community_id=area.id,
        community_path=area.path,
        title=title,
        description=description,
        status=ProjectStatus.PROPOSED,
        claimable=claimable,
        people_served=people_served,
        created_by_id=actor.person_id,
        created_at=moment,
        updated_at=moment,
    )


async def update_project(
    *,
    actor: Actor | None,
    project_id: int,
    title: str | None,
    description: str | None,
    status: ProjectStatus | None,
    people_served: int | None,
    claimable: bool | None,
) -> Project:
    """Change a project (admins of its community, managers of its OWNER units): details,
    people served, and status PROPOSED → ACTIVE → COMPLETED, or → CANCELLED before that."""
    actor = require_actor(actor)
    project = await _project(project_id)
    if not await may_run(actor, project):
        raise Forbidden("The community and the units owning it run a project.", field="projectId")
    values: dict[str, object] = {"updated_at": clock.now()}
    if title is not None:
        values["title"] = clean_text(title, field="title", max_length=100)
    if description is not None:
        values["description"] = clean_text(
            description, field="description", max_length=1000, required=False
        )
    if people_served is not None:
        values["people_served"] = _people(people_served)
    if claimable is not None:
        values["claimable"] = claimable
    async with in_transaction():
        # The row locked (a no-op write) and its status read again: the checks below see the
        # project as it is now, not as it was before the transaction.
        rows = await db.execute(
            "UPDATE project SET status = status WHERE id = ? RETURNING status", [project.id]
        )
        project.status = ProjectStatus(rows[0]["status"])
        if status is not None and status is not project.status:
            if status not in PROJECT_TRANSITIONS[project.status]:
                raise InvalidTransition(
                    f"A {project.status.value} project cannot become {status.value}.",
                    field="status",
                )
            stamps: dict[str, object] = {"status": status}
            if status is ProjectStatus.ACTIVE:
                stamps["started_at"] = clock.now()
            else:
                stamps["closed_at"] = clock.now()
            # Conditional on the status read: two admins moving it at once see one change.
            if not await Project.filter(id=project.id, status=project.status).update(**stamps):
                raise Conflict("The project changed meanwhile; reload it.", field="status")
        elif project.status in CLOSED and len(values) > 1:
            raise Conflict("A closed project is not edited.", field="projectId")
        await Project.filter(id=project.id).update(**values)
    return await Project.get(id=project.id)


def _progress(value: int) -> int:
    if not 0 <= value <= 100:
        raise InvalidInput("Progress is 0 to 100 (percent).", field="progress")
    return value


async def add_milestone(
    *, actor: Actor | None, project_id: int, title: str, due_on: date | None, progress: int
) -> ProjectMilestone:
    """Add a milestone to an open project (those who run it, and its partner units)."""
    actor = require_actor(actor)
    title = clean_text(title, field="title", max_length=100)
    progress = _progress(progress)
    project = await _project(project_id)
    if not await may_contribute(actor, project):
        raise Forbidden("The project's community and units keep its milestones.", field="projectId")
    if project.status in CLOSED:
        raise Conflict("The project is closed.", field="projectId")
    moment = clock.now()
    async with in_transaction():
        # The project's row is locked (a no-op write) so that two additions serialize.
        await db.execute("UPDATE project SET title = title WHERE id = ? RETURNING id", [project.id])
        if await ProjectMilestone.filter(project_id=project.id).count() >= MAX_MILESTONES:
            raise Conflict(f"A project has at most {MAX_MILESTONES} milestones.", field="projectId")
        return await ProjectMilestone.create(
            project_id=project.id,
            title=title,
            due_on=due_on,
            progress=progress,
            done_at=moment if progress == 100 else None,
            created_by_id=actor.person_id,
            created_at=moment,
            updated_at=moment,
        )


async def update_milestone(
    *,
    actor: Actor | None,
    milestone_id: int,
    changes: Mapping[str, Any],
) -> ProjectMilestone:
    """Change a milestone's progress (0-100; done at 100), title, due day or note: `changes`
    holds those given (keys `progress`, `title`, `due_on`, `note`); a due day given as None is
    cleared, any other field given as None stays as it is."""
    actor = require_actor(actor)
    milestone = await ProjectMilestone.get_or_none(id=milestone_id)
    if milestone is None:
        raise NotFound("No such milestone.", field="milestoneId")
    project = await _project(milestone.project_id)
    if not await may_contribute(actor, project):
        raise Forbidden(
            "The project's community and units keep its milestones.", field="milestoneId"
        )
    if project.status in CLOSED:
        raise Conflict("The project is closed.", field="milestoneId")
    moment = clock.now()
    # Only the fields given are written: a concurrent edit of other fields is kept.
    written: list[str] = []
    if (title := changes.get("title")) is not None:
        milestone.title = clean_text(title, field="title", max_length=100)
        written.append("title")
    if "due_on" in changes:
        milestone.due_on = changes["due_on"]
        written.append("due_on")
    if (note := changes.get("note")) is not None:
        milestone.note = clean_text(note, field="note", max_length=500, required=False)
        written.append("note")
    if (progress := changes.get("progress")) is not None:
        milestone.progress = _progress(progress)
        milestone.done_at = (milestone.done_at or moment) if progress == 100 else None
        written += ["progress", "done_at"]
    milestone.updated_at = moment
    await milestone.save(update_fields=[*written, "updated_at"])
    return await ProjectMilestone.get(id=milestone.id)


# The kinds that may claim a community's projects until its admins choose: property companies
# (物业企业, who could claim before the setting existed) and social organisations (社会组织, who
# run most community service projects).
DEFAULT_CLAIM_KINDS = (PartnerUnitKind.PROPERTY_COMPANY, PartnerUnitKind.SOCIAL_ORGANIZATION)


async def _allowed_kinds(community_id: int) -> list[PartnerUnitKind]:
    setting = await ProjectClaimSetting.get_or_none(community_id=community_id)
    allowed = set(DEFAULT_CLAIM_KINDS) if setting is None else set(setting.kinds)
    return [k for k in PartnerUnitKind if k in allowed]


async def _community(community_id: int) -> Area:
    area = await get_area(area_id=community_id)
    if area.level is not AreaLevel.COMMUNITY:
        raise InvalidInput("Claiming is set per community.", field="communityId")
    return area


async def claim_kinds(*, actor: Actor | None, community_id: int) -> list[PartnerUnitKind]:
    """The kinds of unit that may claim the community's projects (signed-in users)."""
    require_actor(actor)
    area = await _community(community_id)
    return await _allowed_kinds(area.id)


async def set_claim_kinds(
    *, actor: Actor | None, community_id: int, kinds: list[PartnerUnitKind]
) -> list[PartnerUnitKind]:
    """Set which kinds of unit may claim the community's projects (its admins); an empty list
    closes claiming. Claims made before stay."""
    actor = require_actor(actor)
    area = await _community(community_id)
    actor.require_admin_of(area.path, "set who claims projects")
    ordered = [k for k in PartnerUnitKind if k in set(kinds)]
    values: dict[str, Any] = {
        "kinds": [k.value for k in ordered],
        "updated_by_id": actor.person_id,
        "updated_at": clock.now(),
    }
    async with in_transaction():
        if not await ProjectClaimSetting.filter(community_id=area.id).update(**values):
            await ProjectClaimSetting.create(community_id=area.id, **values)
    return ordered


async def claim_project(*, actor: Actor | None, project_id: int, unit_id: int) -> Project:
    """A unit of the project's community, of a kind the community allows (DEFAULT_CLAIM_KINDS
    until its admins choose), claims (认领) a claimable, unclaimed, open project and becomes its
    OWNER; one claim wins."""
    actor = require_actor(actor)
    unit = await managed_unit(actor, unit_id)
    project = await _project(project_id)
    if unit.community_id != project.community_id:
        raise Forbidden("A unit claims projects of its own community.", field="projectId")
    if unit.kind not in await _allowed_kinds(project.community_id):
        raise Forbidden(
            "The community does not let units of this kind claim projects.", field="unitId"
        )
    if not project.claimable:
        raise Conflict("This project is not open for claiming.", field="projectId")
    if project.status in CLOSED:
        raise Conflict("The project is closed.", field="projectId")
    moment = clock.now()
    async with in_transaction():
        # Conditional: of two units claiming at once, one wins.
        claimed = await Project.filter(
            id=project.id,
            claimed_by_unit_id=None,
            status__in=[ProjectStatus.PROPOSED, ProjectStatus.ACTIVE],
        ).update(claimed_by_unit_id=unit.id, claimed_at=moment, updated_at=moment)
        if not claimed:
            raise Conflict("The project has been claimed already.", field="projectId")
        await _join(project.id, unit.id, ProjectRole.OWNER, moment)
    return await Project.get(id=project.id)


async def _join(project_id: int, unit_id: int, role: ProjectRole, moment: datetime) -> None:
    """Add a unit to a project (an OWNER role replaces a lesser one; nothing is demoted)."""
    found = await ProjectUnit.get_or_none(project_id=project_id, unit_id=unit_id)
    if found is None:
        await ProjectUnit.create(
            project_id=project_id, unit_id=unit_id, role=role, joined_at=moment
        )
    elif role is ProjectRole.OWNER and found.role is not ProjectRole.OWNER:
        await ProjectUnit.filter(id=found.id).update(role=role)


async def project_for_match(
    *, project_id: int | None, need_id: int, title: str, community: str, unit_id: int, by: int
) -> int:
    """Inside the acceptance transaction (the need row is locked): the need's project,
    extended with the unit as PARTNER, or a new ACTIVE project for the need. Returns its id."""
    moment = clock.now()
    if project_id is None:
        project = await Project.create(
            community_id=int(community.strip("/").split("/")[-1]),
            community_path=community,
            title=title,
            description="",
            status=ProjectStatus.ACTIVE,
            claimable=False,
            people_served=0,
            created_by_id=by,
            created_at=moment,
            updated_at=moment,
            started_at=moment,
        )
        project_id = project.id
        await db.execute(
            "UPDATE need_entry SET project_id = ? WHERE id = ? RETURNING id", [project_id, need_id]
        )
    else:
        # Locks the project row (PostgreSQL) so two units joining at once serialize.
        rows = await db.execute(
            "UPDATE project SET updated_at = ? WHERE id = ? AND status IN ('PROPOSED', 'ACTIVE') "
            "RETURNING id",
            [moment, project_id],
        )
        if not rows:
            raise Conflict("The need's project is closed.", field="matchId")
    await _join(project_id, unit_id, ProjectRole.PARTNER, moment)
    return project_id


async def list_projects(
    *,
    actor: Actor | None,
    under_id: int | None,
    status: ProjectStatus | None,
    window: Window,
) -> Page[Project]:
    """Projects of the communities under an area (signed-in users), newest first."""
    require_actor(actor)
    query = Project.all()
    if under_id is not None:
        area = await get_area(area_id=under_id)
        low, high = subtree_bounds(community_path(area.path) or area.path)
        query = query.filter(community_path__gte=low, community_path__lt=high)
    if status is not None:
        query = query.filter(status=status)
    return await paginate(query, window, newest_first=True)


async def projects_by_ids(*, actor: Actor | None, project_ids: list[int]) -> list[Project | None]:
    """Projects for the ids (signed-in users), in order."""
    if actor is None:
        return [None for _ in project_ids]
    found = {p.id: p for p in await Project.filter(id__in=project_ids)}
    return [found.get(i) for i in project_ids]


async def participants_of(*, project_ids: list[int]) -> list[list[ProjectUnit]]:
    """The units of each project (owners first, then in the order they joined), at most
    PARTICIPANTS_LIMIT each; one query."""
    order = {ProjectRole.OWNER: 0, ProjectRole.PARTNER: 1, ProjectRole.BENEFICIARY: 2}
    found: dict[int, list[ProjectUnit]] = {i: [] for i in project_ids}
    for p in await ProjectUnit.filter(project_id__in=project_ids).order_by("id"):
        found[p.project_id].append(p)
    return [sorted(found[i], key=lambda p: order[p.role])[:PARTICIPANTS_LIMIT] for i in project_ids]


async def milestones_of(*, project_ids: list[int]) -> list[list[ProjectMilestone]]:
    """The milestones of each project in the order they were added; one query."""
    found: dict[int, list[ProjectMilestone]] = {i: [] for i in project_ids}
    for m in await ProjectMilestone.filter(project_id__in=project_ids).order_by("id"):
        found[m.project_id].append(m)
    return [found[i] for i in project_ids]


@dataclass(frozen=True)
class ProjectTotals:
    """What a project has drawn together: volunteer hours (committed by accepted matches of
    VOLUNTEER_HOURS resources, plus the approved hours of the volunteer activities held under
    it, in whole hours), accepted matches, units, and people served (set by its owners)."""

    hours: int
    matches: int
    units: int
    people_served: int
    progress: int


async def totals_of(*, project_ids: list[int]) -> list[ProjectTotals]:
    """Totals of many projects in three statements."""
    ids = list(project_ids)
    if not ids:
        return []
    marks = ",".join("?" for _ in ids)
    matched = await db.fetch(
        f"""
        SELECT m.project_id, COUNT(*) AS n,
               SUM(CASE WHEN r.category = 'VOLUNTEER_HOURS' THEN m.quantity ELSE 0 END) AS hours
        FROM resource_match m JOIN resource_offer r ON r.id = m.resource_id
        WHERE m.project_id IN ({marks}) AND m.status = 'ACCEPTED'
        GROUP BY m.project_id
        """,
        ids,
    )
    counted = await db.fetch(
        f"""
        SELECT p.id AS project_id, p.people_served,
               (SELECT COUNT(*) FROM project_unit u WHERE u.project_id = p.id) AS units,
               (SELECT AVG(progress) FROM project_milestone s WHERE s.project_id = p.id)
                   AS progress
        FROM project p WHERE p.id IN ({marks})
        """,
        ids,
    )
    served = await db.fetch(
        f"""
        SELECT a.project_id, SUM(s.minutes) AS minutes
        FROM volunteer_activity a JOIN activity_sign_up s ON s.activity_id = a.id
        WHERE a.project_id IN ({marks}) AND s.hours_status = 'APPROVED'
        GROUP BY a.project_id
        """,
        ids,
    )
    activity_hours = {int(r["project_id"]): int(r["minutes"] or 0) // 60 for r in served}
    by_match = {int(r["project_id"]): (int(r["n"]), int(r["hours"] or 0)) for r in matched}
    by_count = {
        int(r["project_id"]): (
            int(r["units"]),
            int(r["people_served"]),
            round(float(r["progress"] or 0)),
        )
        for r in counted
    }
    totals = []
    for i in ids:
        n, hours = by_match.get(i, (0, 0))
        units, people, progress = by_count.get(i, (0, 0, 0))
        totals.append(ProjectTotals(hours + activity_hours.get(i, 0), n, units, people, progress))
    return totals


async def needs_of_projects(*, project_ids: list[int]) -> list[list[NeedEntry]]:
    """The needs linked to each project (by accepted matches), oldest first: the latest
    NEEDS_LIMIT of them; one query."""
    found: dict[int, list[NeedEntry]] = {i: [] for i in project_ids}
    for n in await NeedEntry.filter(project_id__in=project_ids).order_by("id"):
        assert n.project_id is not None
        found[n.project_id].append(n)
    return [found[i][-NEEDS_LIMIT:] for i in project_ids]


async def milestones_by_ids(
    *, actor: Actor | None, milestone_ids: list[int]
) -> list[ProjectMilestone | None]:
    """Milestones for the ids (signed-in users), in order."""
    if actor is None:
        return [None for _ in milestone_ids]
    found = {m.id: m for m in await ProjectMilestone.filter(id__in=milestone_ids)}
    return [found.get(i) for i in milestone_ids]
