"""GraphQL types of volunteer teams and activities: teams, memberships, activities, sign-ups,
check-in codes and service hours."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.grids import Area
from schema.partners import PartnerUnit, Project
from schema.people import Person
from schema.photos import Photo, from_models
from schema.points import PointsAward
from services import volunteering
from services.enums import (
    ActivityStatus,
    HoursStatus,
    MembershipStatus,
    PointsWithheldReason,
    SignUpStatus,
    TeamKind,
)
from services.kit.pagination import Page, Window
from services.models import volunteering as models


def _hours(minutes: int | None) -> float | None:
    return None if minutes is None else round(minutes / 60, 2)


async def _person(info: Info, person_id: int) -> Person | None:
    """A person as the viewer may see them (team members and participants are residents, not
    public duty-card holders: null outside the viewer's scope)."""
    view = await info.context.loaders.person.load(person_id)
    return Person.from_view(view) if view else None


@strawberry.type(
    description="A volunteer team (志愿服务队): a home area (a community or below), a leader "
    "and members who apply and are approved."
)
class VolunteerTeam(relay.Node):
    id: relay.NodeID[int]
    name: str = strawberry.field(description="Name, unique in its area.")
    kind: TeamKind = strawberry.field(description="What kind of team.")
    description: str = strawberry.field(description="What the team does.")
    created_at: datetime = strawberry.field(description="When it was set up.")
    area_id: strawberry.Private[int]
    leader_id: strawberry.Private[int]
    unit_id: strawberry.Private[int | None]
    model: strawberry.Private[models.VolunteerTeam]

    @classmethod
    def from_model(cls, t: models.VolunteerTeam) -> VolunteerTeam:
        return cls(
            id=t.id,
            name=t.name,
            kind=t.kind,
            description=t.description,
            created_at=t.created_at,
            area_id=t.area_id,
            leader_id=t.leader_id,
            unit_id=t.unit_id,
            model=t,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[VolunteerTeam | None]:
        if info.context.actor is None:
            return [None for _ in node_ids]
        found = await info.context.loaders.team.load_many([int(i) for i in node_ids])
        return [cls.from_model(t) if t else None for t in found]

    @strawberry.field(description="The home area (community, grid or micro-grid).")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="The partner unit it belongs to (null: the area's own).")
    async def unit(self, info: Info) -> PartnerUnit | None:
        if self.unit_id is None:
            return None
        found = await info.context.loaders.partner_unit.load(self.unit_id)
        return PartnerUnit.from_model(found) if found else None

    @strawberry.field(description="The leader (队长), an approved member.")
    async def leader(self, info: Info) -> Person | None:
        return await _person(info, self.leader_id)

    @strawberry.field(description="How many approved members (the leader included).")
    async def member_count(self, info: Info) -> int:
        return int(await info.context.loaders.team_member_count.load(self.id))

    @strawberry.field(description="The viewer's pending or approved membership (null: none).")
    async def my_membership(self, info: Info) -> TeamMembership | None:
        found = await info.context.loaders.my_membership.load(self.id)
        return TeamMembership.from_model(found) if found else None

    @strawberry.field(
        description="Memberships, oldest first: for members, the leader and the admins and "
        "leaders of the team's area."
    )
    async def members(
        self,
        info: Info,
        status: Annotated[
            MembershipStatus | None,
            strawberry.argument(description="Only this status (all when omitted)."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[TeamMembership]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: volunteering.team_members(
                actor=info.context.actor, team=self.model, status=status, window=window
            ),
            TeamMembership.from_model,
        )

    @strawberry.field(
        description="The team's activities: upcoming soonest first, or all latest first."
    )
    async def activities(
        self,
        info: Info,
        upcoming: Annotated[
            bool, strawberry.argument(description="Only open activities not yet ended.")
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[VolunteerActivity]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: volunteering.team_activities(
                team_id=self.id, upcoming=upcoming, window=window
            ),
            VolunteerActivity.from_model,
        )


@strawberry.type(description="An application to a team and where it went.")
class TeamMembership(relay.Node):
    id: relay.NodeID[int]
    status: MembershipStatus = strawberry.field(description="Where it stands.")
    applied_at: datetime = strawberry.field(description="When the person applied.")
    reviewed_at: datetime | None = strawberry.field(description="When it was reviewed.")
    review_reason: str | None = strawberry.field(description="Why (required to reject).")
    left_at: datetime | None = strawberry.field(description="When the person left.")
    team_id: strawberry.Private[int]
    person_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: models.TeamMembership) -> TeamMembership:
        return cls(
            id=m.id,
            status=m.status,
            applied_at=m.applied_at,
            reviewed_at=m.reviewed_at,
            review_reason=m.review_reason,
            left_at=m.left_at,
            team_id=m.team_id,
            person_id=m.person_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[TeamMembership | None]:
        found = await volunteering.memberships_by_ids(
            actor=info.context.actor, membership_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(m) if m else None for m in found]

    @strawberry.field(description="The team.")
    async def team(self, info: Info) -> VolunteerTeam | None:
        found = await info.context.loaders.team.load(self.team_id)
        return VolunteerTeam.from_model(found) if found else None

    @strawberry.field(description="The member or applicant.")
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self.person_id)


@strawberry.type(
    description="The check-in code of this minute: participants type it in to check in or out "
    "(the code of the previous minute is still accepted)."
)
class CheckInCode:
    code: str = strawberry.field(description="Six digits.")
    valid_from: datetime = strawberry.field(description="Start of its minute.")
    valid_until: datetime = strawberry.field(description="When the next code takes over.")


@strawberry.type(
    description="A volunteer activity (志愿服务活动) of a team and/or a project: time, place, "
    "capacity, sign-up, check-in and check-out, and the service hours that follow."
)
class VolunteerActivity(relay.Node):
    id: relay.NodeID[int]
    title: str = strawberry.field(description="What it is.")
    place: str = strawberry.field(description="Where to meet.")
    starts_at: datetime = strawberry.field(description="When it starts (sign-up closes).")
    ends_at: datetime = strawberry.field(description="When it ends.")
    capacity: int = strawberry.field(description="How many people it takes.")
    signed_up: int = strawberry.field(description="Places taken.")
    places_left: int = strawberry.field(description="Places still free.")
    status: ActivityStatus = strawberry.field(description="Open or cancelled.")
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled.")
    area_id: strawberry.Private[int]
    team_id: strawberry.Private[int | None]
    project_id: strawberry.Private[int | None]
    model: strawberry.Private[models.VolunteerActivity]

    @classmethod
    def from_model(cls, a: models.VolunteerActivity) -> VolunteerActivity:
        return cls(
            id=a.id,
            title=a.title,
            place=a.place,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            capacity=a.capacity,
            signed_up=a.signed_up,
            places_left=max(0, a.capacity - a.signed_up),
            status=a.status,
            cancel_reason=a.cancel_reason,
            area_id=a.area_id,
            team_id=a.team_id,
            project_id=a.project_id,
            model=a,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[VolunteerActivity | None]:
        if info.context.actor is None:
            return [None for _ in node_ids]
        found = await info.context.loaders.activity.load_many([int(i) for i in node_ids])
        return [cls.from_model(a) if a else None for a in found]

    @strawberry.field(description="Where it takes place.")
    async def area(self, info: Info) -> Area | None:
        return await Area.load(info, self.area_id)

    @strawberry.field(description="The co-building project it is held under, if any.")
    async def project(self, info: Info) -> Project | None:
        if self.project_id is None:
            return None
        found = await info.context.loaders.project.load(self.project_id)
        return Project.from_model(found) if found else None

    async def _team(self, info: Info) -> models.VolunteerTeam | None:
        """The activity's team model, batched per request (None: the area's own)."""
        return await info.context.loaders.team.load(self.team_id) if self.team_id else None

    @strawberry.field(description="The team that runs it (null: the area's own).")
    async def team(self, info: Info) -> VolunteerTeam | None:
        if self.team_id is None:
            return None
        found = await info.context.loaders.team.load(self.team_id)
        return VolunteerTeam.from_model(found) if found else None

    @strawberry.field(
        description="The check-in code of this minute: for the organisers (the creator, the "
        "team's leader, admins of the area), from 30 minutes before the start to the end; "
        "null for everyone else and at other times."
    )
    async def check_in_code(self, info: Info) -> CheckInCode | None:
        code = await volunteering.code_for(
            actor=info.context.actor, activity=self.model, team=await self._team(info)
        )
        if code is None:
            return None
        return CheckInCode(code=code.code, valid_from=code.valid_from, valid_until=code.valid_until)

    @strawberry.field(
        description="Photos of the activity (活动照片), in upload order, for signed-in users "
        "(who may see activities); empty for anonymous callers."
    )
    async def photos(self, info: Info) -> list[Photo]:
        if info.context.actor is None:
            return []
        return from_models(await info.context.loaders.photos_of_activity.load(self.id))

    @strawberry.field(description="The viewer's latest sign-up for it (null: none).")
    async def my_sign_up(self, info: Info) -> ActivitySignUp | None:
        found = await info.context.loaders.my_sign_up.load(self.id)
        return ActivitySignUp.from_model(found) if found else None

    @strawberry.field(
        description="Who signed up (cancelled sign-ups too), oldest first: for the organisers "
        "and the admins and leaders of the area."
    )
    async def sign_ups(
        self,
        info: Info,
        hours_status: Annotated[
            HoursStatus | None,
            strawberry.argument(description="Only sign-ups whose hours stand so."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[ActivitySignUp]:
        async def fetch(window: Window) -> Page[models.ActivitySignUp]:
            return await volunteering.activity_sign_ups(
                team=await self._team(info),
                actor=info.context.actor,
                activity=self.model,
                hours_status=hours_status,
                window=window,
            )

        return await paged(info, first, after, last, before, fetch, ActivitySignUp.from_model)


@strawberry.type(
    description="A person's place in an activity: sign-up, check-in, check-out and the service "
    "hours that follow (never deleted)."
)
class ActivitySignUp(relay.Node):
    id: relay.NodeID[int]
    status: SignUpStatus = strawberry.field(description="Holds a place, or withdrawn.")
    signed_up_at: datetime = strawberry.field(description="When the place was taken.")
    cancelled_at: datetime | None = strawberry.field(description="When it was withdrawn.")
    added_by_organiser: bool = strawberry.field(
        description="Signed up by an organiser at check-in (a walk-in or a late record)."
    )
    checked_in_at: datetime | None = strawberry.field(description="Check-in time.")
    checked_out_at: datetime | None = strawberry.field(description="Check-out time.")
    checked_in_by_organiser: bool = strawberry.field(
        description="Checked in by an organiser rather than by code."
    )
    auto_checked_out: bool = strawberry.field(
        description="Checked out by the system 24 hours after a forgotten check-in."
    )
    minutes: int | None = strawberry.field(
        description="Minutes served: check-out minus check-in, both clamped to the activity."
    )
    hours: float | None = strawberry.field(description="The same in hours (two decimals).")
    hours_status: HoursStatus | None = strawberry.field(
        description="Where the hours stand (null until check-out)."
    )
    decline_reason: str | None = strawberry.field(description="Why the hours were declined.")
    awarded_hours: int | None = strawberry.field(
        description="Whole hours (rounded half up) that earned points once approved; fewer "
        "when the rule's caps were reached."
    )
    capped_hours: int | None = strawberry.field(
        description="Approved whole hours the rule's caps (counted in the day, month and "
        "quarter the hours were served) left without points; the hours stay approved and on "
        "record. Null until approved (and for hours approved before this was recorded)."
    )
    points_withheld_reason: PointsWithheldReason | None = strawberry.field(
        description="Why approved hours earned no points or fewer than were served (the caps, "
        "no active VOLUNTEER_HOUR rule...); the hours stay approved and on record. Null when "
        "every approved hour earned its points, until approved, and for hours approved before "
        "this was recorded."
    )
    activity_id: strawberry.Private[int]
    person_id: strawberry.Private[int]
    award_id: strawberry.Private[int | None]

    @classmethod
    def from_model(cls, s: models.ActivitySignUp) -> ActivitySignUp:
        return cls(
            id=s.id,
            status=s.status,
            signed_up_at=s.signed_up_at,
            cancelled_at=s.cancelled_at,
            added_by_organiser=s.added_by_id is not None,
            checked_in_at=s.checked_in_at,
            checked_out_at=s.checked_out_at,
            checked_in_by_organiser=s.checked_in_by_id is not None,
            auto_checked_out=s.auto_checked_out,
            minutes=s.minutes,
            hours=_hours(s.minutes),
            hours_status=s.hours_status,
            decline_reason=s.decline_reason,
            awarded_hours=s.awarded_hours,
            capped_hours=s.capped_hours,
            points_withheld_reason=s.points_withheld_reason,
            activity_id=s.activity_id,
            person_id=s.person_id,
            award_id=s.award_id,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ActivitySignUp | None]:
        found = await volunteering.sign_ups_by_ids(
            actor=info.context.actor, sign_up_ids=[int(i) for i in node_ids]
        )
        return [cls.from_model(s) if s else None for s in found]

    @strawberry.field(description="The activity.")
    async def activity(self, info: Info) -> VolunteerActivity | None:
        found = await info.context.loaders.activity.load(self.activity_id)
        return VolunteerActivity.from_model(found) if found else None

    @strawberry.field(description="The participant.")
    async def person(self, info: Info) -> Person | None:
        return await _person(info, self.person_id)

    @strawberry.field(description="The points award for the approved hours (null: none).")
    async def award(self, info: Info) -> PointsAward | None:
        if self.award_id is None:
            return None
        found = await info.context.loaders.points_award.load(self.award_id)
        return PointsAward.from_model(found) if found else None


@strawberry.type(description="A person's volunteer service time (志愿服务时长) by state.")
class VolunteerHours:
    approved_hours: float = strawberry.field(description="Approved service time, in hours.")
    pending_hours: float = strawberry.field(description="Checked out, waiting for approval.")
    declined_hours: float = strawberry.field(description="Declined service time, in hours.")
    awarded_hours: int = strawberry.field(
        description="Whole approved hours that earned points (caps may leave some out)."
    )
    activities: int = strawberry.field(description="Activities with approved or pending hours.")

    @classmethod
    def from_totals(cls, t: volunteering.VolunteerHours) -> VolunteerHours:
        return cls(
            approved_hours=_hours(t.approved_minutes) or 0.0,
            pending_hours=_hours(t.pending_minutes) or 0.0,
            declined_hours=_hours(t.declined_minutes) or 0.0,
            awarded_hours=t.awarded_hours,
            activities=t.activities,
        )
