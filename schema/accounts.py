"""GraphQL for sign-up, sign-in, token refresh, logout and the viewer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay

from schema.core.context import Info
from schema.core.errors import (
    MUTATION_INPUT,
    Conflict,
    InvalidCredentials,
    InvalidInput,
    InvalidToken,
    TooManyAttempts,
    Unauthenticated,
)
from schema.core.pagination import After, Before, Connection, First, Last, paged
from schema.evaluation import Evaluation
from schema.household_claims import HouseholdClaim
from schema.households import Household
from schema.market import Redemption
from schema.notices import Notice
from schema.partners import PartnerUnit
from schema.people import Person, RoleAssignment
from schema.points import PointsAccount
from schema.volunteering import VolunteerActivity, VolunteerHours, VolunteerTeam
from schema.workorders import WorkOrder
from services import (
    accounts,
    care_links,
    evaluation,
    household_claims,
    market,
    notices,
    partners,
    people,
    points,
    volunteering,
    workorders,
)
from services.enums import RedemptionStatus
from services.evaluation.results import MY_EVALUATIONS_LIMIT


@strawberry.type(description='The signed-in user: the entry point for "my" data.')
class Viewer:
    id: relay.GlobalID = strawberry.field(description="The account's global id.")
    username: str = strawberry.field(description="Sign-in name.")
    person_id: strawberry.Private[int]

    @classmethod
    def for_account(cls, account_id: int, username: str, person_id: int) -> Viewer:
        return cls(
            id=relay.GlobalID("Viewer", str(account_id)), username=username, person_id=person_id
        )

    @strawberry.field(description="The person behind the account.")
    async def person(self, info: Info) -> Person:
        # Not the actor-scoped loader: after signUp/login the request itself is anonymous, yet
        # the account being handed out is the caller's own.
        person = await info.context.loaders.holder.load(self.person_id)
        assert person is not None  # an account always has its person
        return Person.from_model(person, full=True)

    @strawberry.field(description="Roles held now, each with its area (the viewer's scopes).")
    async def roles(self, info: Info) -> list[RoleAssignment]:
        # Read with their areas: `roles { area { ... } }` is what every client asks for here.
        held = await people.open_roles_with_areas(person_id=self.person_id)
        return [RoleAssignment.from_model(r) for r in held]

    @strawberry.field(description="My points: balance, held, available, expiring, entries.")
    async def points_account(self) -> PointsAccount:
        return PointsAccount.from_summary(await points.account_summary(person_id=self.person_id))

    @strawberry.field(description="My redemptions, newest first.")
    async def redemptions(
        self,
        info: Info,
        status: Annotated[
            RedemptionStatus | None,
            strawberry.argument(description="Only this status."),
        ] = None,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Redemption]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: market.redemptions_of(
                actor=info.context.actor, window=window, status=status
            ),
            Redemption.from_model,
        )

    @strawberry.field(description="My requests to join a household (认领家庭), oldest first.")
    async def household_claims(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[HouseholdClaim]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: household_claims.my_household_claims(
                actor=info.context.actor, window=window
            ),
            HouseholdClaim.from_model,
        )

    @strawberry.field(
        description="My evaluations in periods being scored or published, newest first (the "
        f"latest {MY_EVALUATIONS_LIMIT})."
    )
    async def evaluations(self) -> list[Evaluation]:
        found = await evaluation.my_evaluations(person_id=self.person_id)
        return [Evaluation.from_model(r) for r in found]

    @strawberry.field(
        description="The partner unit I work for (the latest I joined; null for none)."
    )
    async def partner_unit(self) -> PartnerUnit | None:
        unit = await partners.unit_of_person(person_id=self.person_id)
        return PartnerUnit.from_model(unit) if unit else None

    @strawberry.field(
        description="My volunteer service time (志愿服务时长): approved, pending and declined "
        "hours, and the hours that earned points."
    )
    async def volunteer_hours(
        self,
        year: Annotated[
            int | None,
            strawberry.argument(
                description="Only activities starting in this year (all if omitted)."
            ),
        ] = None,
    ) -> VolunteerHours:
        totals = await volunteering.volunteer_hours(person_id=self.person_id, year=year)
        return VolunteerHours.from_totals(totals)

    @strawberry.field(description="The volunteer teams I am an approved member of (or lead).")
    async def teams(self) -> list[VolunteerTeam]:
        return [
            VolunteerTeam.from_model(t)
            for t in await volunteering.my_teams(person_id=self.person_id)
        ]

    @strawberry.field(
        description="Activities I am signed up for: upcoming soonest first, or all latest first."
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
            lambda window: volunteering.my_activities(
                actor=info.context.actor, upcoming=upcoming, window=window
            ),
            VolunteerActivity.from_model,
        )

    @strawberry.field(
        description="Notices for me, newest first: those published above or at my places "
        "(my household's micro-grid, my roles' areas) to everyone or to a role I hold there, "
        "those in the areas I administer or lead, and those delivered to me."
    )
    async def notices(
        self,
        info: Info,
        unacknowledged_only: Annotated[
            bool,
            strawberry.argument(
                description="Only those delivered to me that I have not acknowledged yet."
            ),
        ] = False,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Notice]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: notices.my_notices(
                actor=info.context.actor,
                unacknowledged_only=unacknowledged_only,
                window=window,
            ),
            Notice.from_model,
        )

    @strawberry.field(
        description="My work orders, newest first: the orders I placed and the problems I "
        "reported, the errands (代办) placed for my household, and (as a worker) the orders I "
        "accepted or was assigned."
    )
    async def work_orders(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[WorkOrder]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: workorders.my_orders(actor=info.context.actor, window=window),
            WorkOrder.from_model,
        )

    @strawberry.field(
        description="The households I look after as a central household (中心户), by id, "
        "with their members (and their phones): my current care links in the micro-grids "
        "where I hold the role (as micro-grid leader, also the households handed to me when "
        "a central household's role ended). Empty for everyone else."
    )
    async def cared_households(
        self,
        info: Info,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
    ) -> Connection[Household]:
        return await paged(
            info,
            first,
            after,
            last,
            before,
            lambda window: care_links.my_cared_households(actor=info.context.actor, window=window),
            Household.from_model,
        )


@strawberry.input(description="Self-service sign-up: creates a RESIDENT account.")
class SignUpInput:
    username: str = strawberry.field(description="3-50 of a-z, 0-9, '_', '.', '-'.")
    password: str = strawberry.field(
        description="10-200 characters; not a common or easily guessed password (a word, a "
        "repeat, a sequence, a keyboard pattern), and not containing the username or the name."
    )
    name: str = strawberry.field(description="Full name.")
    phone: str | None = strawberry.field(default=None, description="Mobile number.")


@strawberry.type(description="The account exists; sign in with `login`.")
class SignUpSuccess:
    viewer: Viewer = strawberry.field(description="The new account.")


SignUpResult = Annotated[
    SignUpSuccess | InvalidInput | Conflict | TooManyAttempts,
    strawberry.union("SignUpResult", description="The new account or why not."),
]


@strawberry.input(description="Username and password.")
class LoginInput:
    username: str = strawberry.field(description="Sign-in name.")
    password: str = strawberry.field(description="Password.")


@strawberry.type(description="Signed in: send `Authorization: Bearer <accessToken>`.")
class LoginSuccess:
    access_token: str = strawberry.field(
        description="Short-lived JWT for the Authorization header."
    )
    refresh_token: str = strawberry.field(description="Single-use token for `refreshToken`.")
    expires_at: datetime = strawberry.field(description="When the access token expires.")
    viewer: Viewer = strawberry.field(description="Who signed in.")

    @classmethod
    def from_tokens(cls, tokens: accounts.Tokens) -> LoginSuccess:
        a = tokens.account
        return cls(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            viewer=Viewer.for_account(a.id, a.username, a.person_id),
        )


LoginResult = Annotated[
    LoginSuccess | InvalidCredentials | TooManyAttempts | InvalidInput,
    strawberry.union("LoginResult", description="Tokens, or why not."),
]


@strawberry.input(description="A refresh token from `login` or an earlier refresh.")
class RefreshTokenInput:
    refresh_token: str = strawberry.field(description="Used once: it is replaced on success.")


RefreshTokenResult = Annotated[
    LoginSuccess | InvalidToken,
    strawberry.union("RefreshTokenResult", description="New tokens, or why not."),
]


@strawberry.input(description="Which sessions to end.")
class LogoutInput:
    all_sessions: bool = strawberry.field(
        default=False, description="End every session of the account, not just this one."
    )


@strawberry.type(description="Signed out; the tokens of the ended sessions no longer work.")
class LogoutSuccess:
    ended_sessions: int = strawberry.field(description="How many sessions were ended.")


LogoutResult = Annotated[
    LogoutSuccess | Unauthenticated,
    strawberry.union("LogoutResult", description="Done, or why not."),
]


@strawberry.type
class AccountsQuery:
    @strawberry.field(description="The signed-in user (null when anonymous).")
    def viewer(self, info: Info) -> Viewer | None:
        actor = info.context.actor
        if actor is None:
            return None
        return Viewer.for_account(actor.account_id, actor.username, actor.person_id)


@strawberry.type
class AccountsMutation:
    @strawberry.mutation(description="Create a RESIDENT account (throttled per client).")
    async def sign_up(
        self, info: Info, input: Annotated[SignUpInput, MUTATION_INPUT]
    ) -> SignUpResult:
        account = await accounts.sign_up(
            username=input.username,
            password=input.password,
            name=input.name,
            phone=input.phone,
            client=info.context.client,
        )
        return SignUpSuccess(
            viewer=Viewer.for_account(account.id, account.username, account.person_id)
        )

    @strawberry.mutation(description="Sign in (throttled per account and per client).")
    async def login(self, info: Info, input: Annotated[LoginInput, MUTATION_INPUT]) -> LoginResult:
        tokens = await accounts.login(
            username=input.username, password=input.password, client=info.context.client
        )
        return LoginSuccess.from_tokens(tokens)

    @strawberry.mutation(description="Trade a refresh token for new tokens (rotation).")
    async def refresh_token(
        self, input: Annotated[RefreshTokenInput, MUTATION_INPUT]
    ) -> RefreshTokenResult:
        return LoginSuccess.from_tokens(await accounts.refresh(refresh_token=input.refresh_token))

    @strawberry.mutation(description="End this session (or all sessions).")
    async def logout(
        self, info: Info, input: Annotated[LogoutInput, MUTATION_INPUT]
    ) -> LogoutResult:
        ended = await accounts.logout(actor=info.context.actor, all_sessions=input.all_sessions)
        return LogoutSuccess(ended_sessions=ended)
