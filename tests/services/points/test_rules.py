"""Rules, community overrides and expiry policies (services/points/rules.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from services import points
from services.enums import ExpiryKind, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.kit.pagination import Window
from services.models import PointsEntry, PointsLot, PointsRuleVersion
from services.points import ledger
from tests.conftest import Database, actor_for
from tests.services.points_support import (
    HOUR,
    Clock,
    award,
    community,
    counts,
    key,
    local,
    lots,
    outsider,
    rule,
)

# Date-sensitive: `make test-calendar` runs these again with the clock at calendar edges.
pytestmark = pytest.mark.calendar


class TestSetPolicy:
    """Expiry and pickup policies."""

    @pytest.mark.parametrize(
        ("expiry", "months", "expected"),
        [
            # 31 August + 6 months has no 31st: the last day of February
            (ExpiryKind.MONTHS, 6, local(2027, 2, 28, 10, 0)),
            (ExpiryKind.END_OF_NEXT_YEAR, None, local(2028, 1, 1)),
            (ExpiryKind.NONE, None, None),
        ],
    )
    async def test_a_lot_expires_as_the_community_policy_says(
        self,
        db: Database,
        monkeypatch: pytest.MonkeyPatch,
        expiry: ExpiryKind,
        months: int | None,
        expected: datetime | None,
    ) -> None:
        # given a policy of the demo community, and the clock at 31 August 2026 10:00 local time
        Clock(local(2026, 8, 31, 10, 0))
        await rule()
        await points.set_policy(
            actor=await actor_for("community_admin"),
            area_id=(await community()).id,
            expiry=expiry,
            expiry_months=months,
            hold_days=7,
        )
        # when points are awarded
        await award("resident")
        # then the lot expires when the policy says
        (lot,) = await lots("resident")
        assert lot.expires_at == expected

    async def test_the_district_policy_applies_where_a_community_has_none(
        self, db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given a district default (end of next year) and a 3-month policy in the demo community
        Clock(local(2026, 5, 10, 9, 0))
        await rule()
        district = await actor_for("district_admin")
        await points.set_policy(
            actor=district,
            area_id=None,
            expiry=ExpiryKind.END_OF_NEXT_YEAR,
            expiry_months=None,
            hold_days=7,
        )
        await points.set_policy(
            actor=district,
            area_id=(await community()).id,
            expiry=ExpiryKind.MONTHS,
            expiry_months=3,
            hold_days=7,
        )
        other = await outsider()
        # when people in both communities are awarded
        await award("resident")
        await points.award_points(
            actor=district,
            person_id=other.id,
            rule_code=HOUR,
            quantity=1,
            reason="清扫",
            source=None,
            idempotency_key=key(),
        )
        # then the community's policy wins in the community, the default applies elsewhere
        (mine,) = await lots("resident")
        assert mine.expires_at == local(2026, 8, 10, 9, 0)
        account = await ledger.person_account(other.id)
        (theirs,) = await PointsLot.filter(account_id=account.id)
        assert theirs.expires_at == local(2028, 1, 1)

    async def test_policies_are_set_by_admins_with_sane_values(self, db: Database) -> None:
        area = (await community()).id
        with pytest.raises(Forbidden):
            await points.set_policy(
                actor=await actor_for("grid_leader"),
                area_id=area,
                expiry=ExpiryKind.NONE,
                expiry_months=None,
                hold_days=7,
            )
        with pytest.raises(Forbidden):
            await points.set_policy(
                actor=await actor_for("community_admin"),
                area_id=None,
                expiry=ExpiryKind.NONE,
                expiry_months=None,
                hold_days=7,
            )
        with pytest.raises(InvalidInput):
            await points.set_policy(
                actor=await actor_for("community_admin"),
                area_id=area,
                expiry=ExpiryKind.MONTHS,
                expiry_months=0,
                hold_days=7,
            )


class TestCreateRule:
    """District rules and community overrides."""

    async def test_a_community_override_wins_in_its_community(self, db: Database) -> None:
        # given a district default of 10 and an override of 25 in the demo community
        await rule()
        override = await rule(points_each=25, area=await community())
        other = await outsider()
        # when people in both communities are awarded
        mine = await award("resident")
        theirs = await points.award_points(
            actor=await actor_for("district_admin"),
            person_id=other.id,
            rule_code=HOUR.lower(),
            quantity=1,
            reason="清扫",
            source=None,
            idempotency_key=key(),
        )
        # then each gets the rule of their community
        assert (mine.points, mine.rule_id) == (25, override.id)
        assert theirs.points == 10
        # and once the override is retired the default applies again
        await points.retire_rule(actor=await actor_for("community_admin"), rule_id=override.id)
        assert (await award("resident")).points == 10

    async def test_an_override_needs_a_district_default(self, db: Database) -> None:
        with pytest.raises(InvalidInput):
            await rule("LOCAL_ONLY", area=await community())


class TestUpdateRule:
    """Changing a rule."""

    async def test_an_update_changes_what_it_is_given(self, db: Database) -> None:
        # given a rule with caps and roles
        made = await rule(cap_per_day=30, cap_per_month=100, receiver_roles=[Role.VOLUNTEER])
        # when a null cap, null roles and a null name are given, and the points changed
        changed = await points.update_rule(
            actor=await actor_for("district_admin"),
            rule_id=made.id,
            changes={"cap_per_day": None, "receiver_roles": None, "name": None, "points": 20},
        )
        # then the cap is cleared, the roles emptied, the name kept, and what was left out stays
        assert (changed.cap_per_day, changed.cap_per_month) == (None, 100)
        assert (changed.receiver_roles, changed.name, changed.points) == ([], made.name, 20)

    async def test_an_update_makes_a_version_and_old_entries_keep_theirs(
        self, db: Database
    ) -> None:
        # given a rule of 10 points and an award by it
        made = await rule()
        first = await award("resident")
        assert (made.version, first.rule_version) == (1, 1)
        # when its points become 20, and a second award follows
        changed = await points.update_rule(
            actor=await actor_for("district_admin"), rule_id=made.id, changes={"points": 20}
        )
        second = await award("resident")
        # then the rule is at version 2, each award and its ledger rows name their version,
        # and the rule as of each version shows the points of that version
        assert (changed.version, second.rule_version, second.points) == (2, 2, 20)
        entries = await PointsEntry.filter(rule_id=made.id).order_by("id")
        assert sorted({e.rule_version for e in entries}) == [1, 2]
        old, new = await points.rules_as_of(keys=[(made.id, 1), (made.id, 2)])
        assert old is not None and new is not None
        assert (old.version, old.points, new.version, new.points) == (1, 10, 2, 20)
        history = await points.rule_history(rule_id=made.id, window=Window(first=10))
        assert [(v.version, v.points) for v in history.items] == [(2, 20), (1, 10)]
        # and an update that changes nothing makes no version
        same = await points.update_rule(
            actor=await actor_for("district_admin"), rule_id=made.id, changes={"points": 20}
        )
        assert same.version == 2
        assert await PointsRuleVersion.filter(rule_id=made.id).count() == 2


class TestRetireRule:
    """Retiring a rule."""

    async def test_a_retired_rule_awards_nothing(self, db: Database) -> None:
        made = await rule()
        retired = await points.retire_rule(actor=await actor_for("district_admin"), rule_id=made.id)
        assert retired.retired_at is not None
        before = await counts()
        with pytest.raises(NotFound):
            await award("resident")
        assert await counts() == before
        with pytest.raises(Conflict):
            await points.retire_rule(actor=await actor_for("district_admin"), rule_id=made.id)
