"""Exports (services.exports): each kind's headers and rows on the demo district, masking,
scope, and both file formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from seed.demo import DEMO_COMMUNITY
from services import exports
from services.enums import AreaLevel, ExportFormat, ExportKind, Role
from services.errors import Forbidden, NotFound, Unauthenticated
from services.exports import Options, mask_phone
from services.models import Area, Household, Person, RoleAssignment
from tests.conftest import Database, actor_for
from tests.services.exports.support import files_under, number_households, read_back

BOTH = [ExportFormat.CSV, ExportFormat.XLSX]


async def community() -> Area:
    return await Area.get(name=DEMO_COMMUNITY)


def in_tree(path: str, root: str) -> bool:
    return path.startswith(root)


class TestMaskPhone:
    def test_middle_digits_are_hidden(self) -> None:
        assert mask_phone("13812341234") == "138****1234"
        assert mask_phone("1234567") == "*******"
        assert mask_phone(None) is None


class TestHouseholds:
    @pytest.mark.parametrize("format", BOTH)
    async def test_every_household_under_the_area(
        self, db: Database, media_dir: Path, format: ExportFormat
    ) -> None:
        # given the demo community and its admin
        admin = await actor_for("community_admin")
        area = await community()
        # whose households carry numbers (户号), all but the first (registered one by one)
        await number_households(area, skip_first=True)
        # when its households are exported
        result = await exports.export(
            actor=admin, kind=ExportKind.HOUSEHOLDS, under=area.code or area.id, format=format
        )
        # then the file holds the headers and one row per household, in id order
        rows = read_back(result)
        assert rows[0] == [
            "户号",
            "社区编码",
            "微网格编码",
            "地址",
            "楼栋",
            "单元",
            "房号",
            "人数",
            "经度",
            "纬度",
        ]
        expected = [h for h in await Household.all().order_by("id") if in_tree(h.path, area.path)]
        assert result.rows == len(expected) == len(rows) - 1 > 0
        assert [r[0] for r in rows[1:]] == [h.number or "" for h in expected]
        assert rows[1][0] == "" and rows[2][0] == f"H{expected[1].id}"
        first = expected[0]
        assert rows[1][3] == first.address and rows[1][7] == str(first.member_count)
        micro_grid = await Area.get(id=first.micro_grid_id)
        assert micro_grid.code and rows[1][2] == micro_grid.code
        assert rows[1][1] == area.code
        # with its position (the demo places every assigned household), read back exactly
        assert first.longitude is not None and first.latitude is not None
        assert (float(rows[1][8]), float(rows[1][9])) == (first.longitude, first.latitude)
        # and it is named in Chinese after the kind, the area and the day
        assert result.filename == f"家庭_{DEMO_COMMUNITY}_2026-05-13{format.suffix}"
        assert result.path.startswith("exports/2026-05-13/")

    async def test_outside_the_actors_areas_is_refused(self, db: Database, media_dir: Path) -> None:
        # given a resident, and the admin of one community asking for another
        resident = await actor_for("resident")
        admin = await actor_for("community_admin")
        other = await Area.filter(level=AreaLevel.COMMUNITY).exclude(name=DEMO_COMMUNITY).first()
        assert other is not None
        # when they export, then they are refused and nothing is written
        for actor, area in ((resident, await community()), (admin, other)):
            with pytest.raises(Forbidden):
                await exports.export(
                    actor=actor,
                    kind=ExportKind.HOUSEHOLDS,
                    under=area.id,
                    format=ExportFormat.CSV,
                )
        with pytest.raises(Unauthenticated):
            await exports.export(
                actor=None, kind=ExportKind.HOUSEHOLDS, under=1, format=ExportFormat.CSV
            )
        with pytest.raises(NotFound):
            await exports.export(
                actor=admin,
                kind=ExportKind.HOUSEHOLDS,
                under="NO-SUCH-CODE",
                format=ExportFormat.CSV,
            )
        assert files_under(media_dir) == []


class TestPeople:
    async def test_phones_are_masked_by_default(self, db: Database, media_dir: Path) -> None:
        # given the demo community's admin, its households numbered (户号)
        admin = await actor_for("community_admin")
        area = await community()
        await number_households(area)
        # when its people are exported
        result = await exports.export(
            actor=admin, kind=ExportKind.PEOPLE, under=area.id, format=ExportFormat.CSV
        )
        rows = read_back(result)
        # then everyone living there is listed, phones masked
        assert rows[0] == ["姓名", "手机号", "户号", "是否党员", "身份证号"]
        homes = {h.id for h in await Household.all() if in_tree(h.path, area.path)}
        expected = [p for p in await Person.all().order_by("id") if p.household_id in homes]
        assert [r[0] for r in rows[1:]] == [p.name for p in expected]
        with_phone = [(p, r) for p, r in zip(expected, rows[1:], strict=True) if p.phone]
        assert with_phone
        for person, row in with_phone:
            assert row[1] == mask_phone(person.phone) != person.phone
            assert row[3] == ("是" if person.party_member else "否")
            assert row[2] == f"H{person.household_id}"

    async def test_full_phones_for_admins_who_ask(self, db: Database, media_dir: Path) -> None:
        # given the community's admin and a grid leader there
        area = await community()
        admin = await actor_for("community_admin")
        leader = await actor_for("grid_leader")
        unmasked = Options(unmasked_phones=True)
        # when the admin asks for full phone numbers, then they get them
        result = await exports.export(
            actor=admin,
            kind=ExportKind.PEOPLE,
            under=area.id,
            format=ExportFormat.XLSX,
            options=unmasked,
        )
        rows = read_back(result)
        phones = {p.name: p.phone for p in await Person.all() if p.phone}
        assert any(row[1] and row[1] == phones.get(row[0]) for row in rows[1:])
        assert not any("*" in row[1] for row in rows[1:])
        # and a leader (who reads the grid but administers nothing) is refused
        grid = (await RoleAssignment.get(person_id=leader.person_id, role=Role.GRID_LEADER)).area_id
        with pytest.raises(Forbidden):
            await exports.export(
                actor=leader,
                kind=ExportKind.PEOPLE,
                under=grid,
                format=ExportFormat.CSV,
                options=unmasked,
            )
