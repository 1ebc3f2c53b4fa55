"""The audit log: what the services record, and who reads it (services/audit.py)."""

from __future__ import annotations

import pytest

from services import audit, market, points
from services.enums import AuditKind, Role
from services.errors import Forbidden
from services.kit.pagination import Window
from services.models import Area, AuditEntry, RoleAssignment
from services.people import end_role
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    FINE,
    award,
    community,
    penalize,
    person_id,
    reverse,
    reward,
    rule,
)


async def log(
    kind: AuditKind | None = None, *, by: str = "community_admin", under: Area | None = None
) -> list[AuditEntry]:
    page = await audit.audit_log(
        actor=await actor_for(by),
        under_id=(under or await community()).id,
        kind=kind,
        window=Window(first=100),
    )
    return page.items


class TestAuditLog:
    """auditLog: who changed what and when, newest first, for admins of the area."""

    async def test_points_changes_are_logged_with_actor_and_values(self, db: Database) -> None:
        # given an award, a penalty and the reversal of the award in the demo community
        await rule()
        await rule(FINE, -5)
        made = await award("resident")
        await penalize("resident")
        assert made.transaction_id is not None
        await reverse(made.transaction_id)
        # when the community admin reads the points entries
        entries = (await log(AuditKind.POINTS))[:3]
        # then the three are the newest, each with who did it and the values after
        assert [e.action for e in entries] == [
            "reverseTransaction",
            "penalizePoints",
            "awardPoints",
        ]
        admin = await actor_for("community_admin")
        assert {e.actor_account_id for e in entries} == {admin.account_id}
        assert {e.actor_person_id for e in entries} == {admin.person_id}
        awarded = entries[-1]
        assert (awarded.subject_type, awarded.subject_id) == ("PointsAward", str(made.id))
        assert awarded.before is None and awarded.after is not None
        assert awarded.after["points"] == made.points
        assert entries[0].before is not None  # the reversal shows the transaction it reverses

    async def test_rules_policies_roles_and_rewards_are_logged(self, db: Database) -> None:
        # given a rule changed by the district admin, a policy, a reward changed and an ended role
        made = await rule()
        await points.update_rule(
            actor=await actor_for("district_admin"), rule_id=made.id, changes={"points": 20}
        )
        item = await reward()
        await market.update_reward(
            actor=await actor_for("community_admin"),
            reward_id=item.id,
            changes={"price_points": 15},
        )
        assignment = await RoleAssignment.get(
            person_id=await person_id("volunteer"), role=Role.VOLUNTEER, until=None
        )
        await end_role(
            actor=await actor_for("community_admin"), assignment_id=assignment.id, reason="搬家"
        )
        district = await Area.get(parent_id=None)
        # then the district admin reads (under the district) the rule change, with the points
        # before and after
        rules = [
            e
            for e in await log(AuditKind.RULE, by="district_admin", under=district)
            if e.subject_id == str(made.id)
        ]
        assert [e.action for e in rules] == ["updatePointsRule", "createPointsRule"]
        assert (rules[0].before, rules[0].after) == (
            {"points": 10, "version": 1},
            {"points": 20, "version": 2},
        )
        # and the community admin the reward and the role, each kind filtered
        rewards = [e for e in await log(AuditKind.REWARD) if e.subject_id == str(item.id)]
        assert [e.action for e in rewards] == ["updateReward", "createReward"]
        assert (rewards[0].before, rewards[0].after) == ({"price_points": 10}, {"price_points": 15})
        roles = await log(AuditKind.ROLE)
        assert roles[0].action == "endRole"
        assert roles[0].after is not None and roles[0].after["end_reason"] == "搬家"
        assert roles[0].before == {"end_reason": None, "ended_by_id": None, "until": None}

    async def test_pages_newest_first_by_key(self, db: Database) -> None:
        await rule()
        for _ in range(3):
            await award("resident")
        admin = await actor_for("community_admin")
        area = await community()
        first = await audit.audit_log(
            actor=admin, under_id=area.id, kind=AuditKind.POINTS, window=Window(first=2)
        )
        rest = await audit.audit_log(
            actor=admin,
            under_id=area.id,
            kind=AuditKind.POINTS,
            window=Window(first=2, after=first.keys[-1]),
        )
        assert first.has_next and rest.has_previous
        ids = [e.id for e in first.items + rest.items]
        assert ids == sorted(ids, reverse=True) and len(set(ids)) == 4
        assert [e.action for e in first.items] == ["awardPoints", "awardPoints"]

    @pytest.mark.parametrize("username", ["grid_leader", "resident"])
    async def test_only_admins_of_the_area_read_it(self, db: Database, username: str) -> None:
        with pytest.raises(Forbidden):
            await log(by=username)
