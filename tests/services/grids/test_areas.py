"""Areas (services.grids.areas): levels nest in order, kinds, names, stations, contact groups,
paths, listing."""

from __future__ import annotations

import pytest

from seed.demo import COMMERCIAL_GRID, DEMO_COMMUNITY, DEMO_GRID, bootstrap_district_admin
from services import grids, households, people
from services.accounts import create_account, load_actor
from services.enums import AreaKind, AreaLevel, Role
from services.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.grids import Coverage, StationInput
from services.kit.pagination import Window
from services.models import Area, GridStation
from tests.conftest import Database, actor_for
from tests.services.grids.support import area

STATION = StationInput(name="测试驿站", address="博山区测试路1号", hours="每日 8:00-18:00")


async def descendants(root: Area) -> set[int]:
    """The root and everything below it, walked through parent links (not paths)."""
    found, frontier = {root.id}, [root.id]
    while frontier:
        frontier = list(await Area.filter(parent_id__in=frontier).values_list("id", flat=True))
        found.update(frontier)
    return found


async def counts() -> tuple[int, int]:
    return await Area.all().count(), await GridStation.all().count()


class TestCreateArea:
    """Levels, kinds, names and stations of new areas."""

    @pytest.mark.parametrize(
        ("parent_name", "level"),
        [
            ("城西街道", AreaLevel.GRID),  # skips the community
            ("城西街道", AreaLevel.MICRO_GRID),
            (DEMO_COMMUNITY, AreaLevel.COMMUNITY),  # same level
            (DEMO_GRID, AreaLevel.COMMUNITY),  # upwards
            ("博山区", AreaLevel.DISTRICT),  # the district is never created through create_area
            ("博山区", AreaLevel.COMMUNITY),
            ("颜山花园1-2号楼微网格", AreaLevel.MICRO_GRID),  # nothing sits under a micro-grid
        ],
    )
    async def test_levels_nest_strictly_in_order(
        self, db: Database, parent_name: str, level: AreaLevel
    ) -> None:
        # given the district admin, who may create anywhere
        admin = await actor_for("district_admin")
        parent = await area(parent_name)
        before = await counts()
        # when an area of the wrong level is created under the parent
        with pytest.raises(InvalidInput) as err:
            await grids.create_area(actor=admin, parent_id=parent.id, name="新区域", level=level)
        # then it is refused on the level, and nothing is written
        assert err.value.field == "level"
        assert await counts() == before

    async def test_the_next_level_down_is_accepted_and_gets_its_path(self, db: Database) -> None:
        # given a community
        admin = await actor_for("community_admin")
        community = await area(DEMO_COMMUNITY)
        # when a grid is created under it
        grid = await grids.create_area(
            actor=admin, parent_id=community.id, name=" 颜山第五网格 ", level=AreaLevel.GRID
        )
        # then it sits under the community with a trimmed name and a path ending in its id
        stored = await Area.get(id=grid.id)
        assert (stored.name, stored.level, stored.parent_id) == (
            "颜山第五网格",
            AreaLevel.GRID,
            community.id,
        )
        assert stored.path == f"{community.path}{stored.id}/"

    async def test_only_grids_are_dedicated_and_micro_grids_inherit_their_grids_kind(
        self,
        db: Database,
    ) -> None:
        # given the community admin of 颜山社区
        admin = await actor_for("community_admin")
        community = await area(DEMO_COMMUNITY)
        before = await counts()
        # when a commercial community is created
        with pytest.raises(InvalidInput) as err:
            await grids.create_area(
                actor=await actor_for("street_admin"),
                parent_id=community.parent_id or 0,
                name="商业社区",
                level=AreaLevel.COMMUNITY,
                kind=AreaKind.COMMERCIAL,
            )
        # then it is refused on the kind, and nothing is written
        assert err.value.field == "kind"
        assert await counts() == before
        # when a commercial grid and micro-grids under it and under a residential grid are created
        shops = await grids.create_area(
            actor=admin,
            parent_id=community.id,
            name="颜山第二商业网格",
            level=AreaLevel.GRID,
            kind=AreaKind.COMMERCIAL,
        )
        asked_residential = await grids.create_area(
            actor=admin,
            parent_id=shops.id,
            name="一段",
            level=AreaLevel.MICRO_GRID,
            kind=AreaKind.RESIDENTIAL,
        )
        asked_special = await grids.create_area(
            actor=admin,
            parent_id=(await area(DEMO_GRID)).id,
            name="新楼微网格",
            level=AreaLevel.MICRO_GRID,
            kind=AreaKind.SPECIAL,
        )
        # then each micro-grid has its grid's kind, whatever was asked
        assert shops.kind is AreaKind.COMMERCIAL
        assert (await Area.get(id=asked_residential.id)).kind is AreaKind.COMMERCIAL
        assert (await Area.get(id=asked_special.id)).kind is AreaKind.RESIDENTIAL

    async def test_a_sibling_name_is_taken_once(self, db: Database) -> None:
        # given 颜山社区, which has a grid named 颜山第一网格
        admin = await actor_for("street_admin")
        community = await area(DEMO_COMMUNITY)
        before = await counts()
        # when another grid of that name (padded with spaces) is created next to it
        with pytest.raises(Conflict) as err:
            await grids.create_area(
                actor=admin, parent_id=community.id, name=f"  {DEMO_GRID} ", level=AreaLevel.GRID
            )
        # then it conflicts and nothing is written
        assert err.value.field == "name"
        assert await counts() == before
        # but the same name under another community is fine
        other = await area("西冶街社区")
        made = await grids.create_area(
            actor=admin, parent_id=other.id, name=DEMO_GRID, level=AreaLevel.GRID
        )
        assert made.parent_id == other.id
        # and renaming a grid onto its sibling's name conflicts too, leaving the name alone
        second = await area("颜山第二网格")
        with pytest.raises(Conflict):
            await grids.update_area(actor=admin, area_id=second.id, name=DEMO_GRID)
        assert (await Area.get(id=second.id)).name == "颜山第二网格"

    @pytest.mark.parametrize("bad_name", ["", "   ", "名" * 101])
    async def test_an_area_name_is_1_to_100_characters(self, db: Database, bad_name: str) -> None:
        # given a community admin
        admin = await actor_for("community_admin")
        before = await counts()
        # when a grid with a blank or overlong name is created
        with pytest.raises(InvalidInput) as err:
            await grids.create_area(
                actor=admin,
                parent_id=(await area(DEMO_COMMUNITY)).id,
                name=bad_name,
                level=AreaLevel.GRID,
            )
        # then it is refused on the name
        assert err.value.field == "name"
        assert await counts() == before

    async def test_creating_under_a_missing_parent_is_not_found(self, db: Database) -> None:
        # given an id no area has
        missing = (await Area.all().order_by("-id").first() or await area("博山区")).id + 1000
        # when an area is created under it / then NotFound
        with pytest.raises(NotFound):
            await grids.create_area(
                actor=await actor_for("district_admin"),
                parent_id=missing,
                name="新区域",
                level=AreaLevel.STREET,
            )
        with pytest.raises(NotFound):
            await grids.get_area(area_id=missing)

    async def test_a_station_belongs_to_a_grid_only(self, db: Database) -> None:
        # given a community admin
        admin = await actor_for("community_admin")
        community = await area(DEMO_COMMUNITY)
        before = await counts()
        # when a grid is created with a station
        grid = await grids.create_area(
            actor=admin,
            parent_id=community.id,
            name="驿站网格",
            level=AreaLevel.GRID,
            station=STATION,
        )
        # then the grid has it
        (station,) = await grids.stations_by_grid(grid_ids=[grid.id])
        assert station is not None and (station.name, station.hours) == ("测试驿站", STATION.hours)
        assert await counts() == (before[0] + 1, before[1] + 1)
        # when a micro-grid is created with a station
        with pytest.raises(InvalidInput) as err:
            await grids.create_area(
                actor=admin,
                parent_id=grid.id,
                name="驿站微网格",
                level=AreaLevel.MICRO_GRID,
                station=STATION,
            )
        # then it is refused and the micro-grid is not half-created without it
        assert err.value.field == "station"
        assert await counts() == (before[0] + 1, before[1] + 1)
        assert not await Area.exists(name="驿站微网格")
        # and a station cannot be put on an existing micro-grid either
        micro = await area("颜山花园1-2号楼微网格")
        with pytest.raises(InvalidInput):
            await grids.update_area(actor=admin, area_id=micro.id, station=STATION)
        assert not await GridStation.exists(grid_id=micro.id)

    async def test_a_station_with_a_blank_field_writes_no_grid(self, db: Database) -> None:
        # given a station whose address is blank
        admin = await actor_for("community_admin")
        before = await counts()
        blank = StationInput(name="驿站", address="  ", hours="全天")
        # when a grid is created with it
        with pytest.raises(InvalidInput) as err:
            await grids.create_area(
                actor=admin,
                parent_id=(await area(DEMO_COMMUNITY)).id,
                name="空地址网格",
                level=AreaLevel.GRID,
                station=blank,
            )
        # then neither the grid nor the station exists (one transaction)
        assert err.value.field == "station.address"
        assert await counts() == before


class TestContactGroups:
    """The grid's contact group (一格一群)."""

    @pytest.mark.parametrize(
        ("link", "stored"),
        [
            ("https://qun.example.com/g/1", "https://qun.example.com/g/1"),
            ("  http://qun.example.com/g/2 ", "http://qun.example.com/g/2"),
            ("weixin://dl/chat?group=3", "weixin://dl/chat?group=3"),
            ("   ", None),
        ],
    )
    async def test_contact_group_links_that_are_accepted(
        self, db: Database, link: str, stored: str | None
    ) -> None:
        # given a community admin
        admin = await actor_for("community_admin")
        # when a grid is created with the link and another grid's link is updated to it
        grid = await grids.create_area(
            actor=admin,
            parent_id=(await area(DEMO_COMMUNITY)).id,
            name="群链接网格",
            level=AreaLevel.GRID,
            contact_group_name="群链接网格居民群",
            contact_group_link=link,
        )
        updated = await grids.update_area(
            actor=admin, area_id=(await area(DEMO_GRID)).id, contact_group_link=link
        )
        # then both store the cleaned link
        assert (await Area.get(id=grid.id)).contact_group_link == stored
        assert updated.contact_group_link == stored

    @pytest.mark.parametrize(
        "link",
        ["javascript:alert(1)", "ftp://qun.example.com/1", "qun.example.com/1", "h" * 501],
    )
    async def test_contact_group_links_that_are_refused(self, db: Database, link: str) -> None:
        # given a community admin and the demo grid's current link
        admin = await actor_for("community_admin")
        grid = await area(DEMO_GRID)
        before = await counts()
        # when a grid is created with a bad link, or the demo grid's link is set to it
        with pytest.raises(InvalidInput) as created:
            await grids.create_area(
                actor=admin,
                parent_id=(await area(DEMO_COMMUNITY)).id,
                name="坏链接网格",
                level=AreaLevel.GRID,
                contact_group_link=link,
            )
        with pytest.raises(InvalidInput) as updated:
            await grids.update_area(actor=admin, area_id=grid.id, contact_group_link=link)
        # then both are refused on the link, and nothing changes
        assert created.value.field == updated.value.field == "contactGroupLink"
        assert await counts() == before
        assert (await Area.get(id=grid.id)).contact_group_link == grid.contact_group_link

    async def test_a_contact_group_name_is_at_most_100_characters(self, db: Database) -> None:
        # given a contact group name of 101 characters
        admin = await actor_for("community_admin")
        too_long = "群" * 101
        before = await counts()
        # when a grid is created with it, or the demo grid is renamed to it
        with pytest.raises(InvalidInput) as created:
            await grids.create_area(
                actor=admin,
                parent_id=(await area(DEMO_COMMUNITY)).id,
                name="长群名网格",
                level=AreaLevel.GRID,
                contact_group_name=too_long,
            )
        with pytest.raises(InvalidInput) as updated:
            await grids.update_area(
                actor=admin, area_id=(await area(DEMO_GRID)).id, contact_group_name=too_long
            )
        # then both are refused with a field error (not a database error on PostgreSQL)
        assert created.value.field == updated.value.field == "contactGroupName"
        assert await counts() == before


class TestUpdateArea:
    async def test_update_area_replaces_a_grids_station(self, db: Database) -> None:
        # given the demo grid and its seeded station
        admin = await actor_for("community_admin")
        grid = await area(DEMO_GRID)
        # when its station is set again
        await grids.update_area(actor=admin, area_id=grid.id, station=STATION)
        # then there is still one station, with the new details
        stations = await GridStation.filter(grid_id=grid.id)
        assert [(s.name, s.address) for s in stations] == [(STATION.name, STATION.address)]

    async def test_changing_a_grids_kind_carries_its_micro_grids_along(self, db: Database) -> None:
        # given the demo grid (residential) and its sibling grids
        admin = await actor_for("community_admin")
        grid = await area(DEMO_GRID)
        others_before = {
            a.id: a.kind
            for a in await Area.filter(level=AreaLevel.MICRO_GRID).exclude(parent_id=grid.id)
        }
        # when the grid becomes a special grid
        updated = await grids.update_area(actor=admin, area_id=grid.id, kind=AreaKind.SPECIAL)
        # then it and every micro-grid under it are special, and no other micro-grid changed
        assert updated.kind is AreaKind.SPECIAL
        kinds = await Area.filter(parent_id=grid.id).values_list("kind", flat=True)
        assert kinds and set(kinds) == {AreaKind.SPECIAL}
        others_after = {
            a.id: a.kind
            for a in await Area.filter(level=AreaLevel.MICRO_GRID).exclude(parent_id=grid.id)
        }
        assert others_after == others_before

    @pytest.mark.parametrize("name", [DEMO_COMMUNITY, "颜山花园1-2号楼微网格"])
    async def test_only_a_grids_kind_can_change(self, db: Database, name: str) -> None:
        # given a community or a micro-grid
        admin = await actor_for("community_admin")
        target = await area(name)
        # when its kind is changed
        with pytest.raises(InvalidInput) as err:
            await grids.update_area(actor=admin, area_id=target.id, kind=AreaKind.COMMERCIAL)
        # then it is refused and the kind stays
        assert err.value.field == "kind"
        assert (await Area.get(id=target.id)).kind is target.kind

    async def test_a_leader_cannot_change_the_area_they_lead(self, db: Database) -> None:
        # given the grid leader of the demo grid
        leader = await actor_for("grid_leader")
        grid = await area(DEMO_GRID)
        # when they rename it / then Forbidden, name unchanged
        with pytest.raises(Forbidden):
            await grids.update_area(actor=leader, area_id=grid.id, name="改名网格")
        assert (await Area.get(id=grid.id)).name == DEMO_GRID


class TestPaths:
    """Materialised paths and subtrees."""

    async def test_every_path_is_the_parents_path_plus_the_id(self, db: Database) -> None:
        # given the demo tree
        by_id = {a.id: a for a in await Area.all()}
        # then each path is built from the parent's, and ancestor_ids reads it back
        for a in by_id.values():
            parent_path = by_id[a.parent_id].path if a.parent_id else "/"
            assert a.path == f"{parent_path}{a.id}/", a.name
            chain, up = [], a.parent_id
            while up is not None:
                chain.insert(0, up)
                up = by_id[up].parent_id
            assert grids.ancestor_ids(a) == chain

    async def test_everything_under_an_area_is_its_recursive_children(self, db: Database) -> None:
        # given every area of the demo tree
        for root in await Area.all().order_by("id"):
            # when the areas under it are listed by path
            page = await grids.list_areas(under_id=root.id, window=Window(first=1000))
            # then they are the area and its descendants found through parent links
            assert {a.id for a in page.items} == await descendants(root), root.name
            assert not page.has_next

    async def test_subtree_ranges_do_not_leak_into_ids_with_the_same_digits(
        self,
        empty_db: Database,
    ) -> None:
        # given a district whose street has communities 3 and 30..39 side by side
        # ("/1/2/3/" is a string prefix of neither "/1/2/30/" nor "/1/2/31/": the range must see
        # that)
        district = await grids.create_district(name="测试区")
        account = await bootstrap_district_admin(
            district=district, username="boss", password="a-long-password", name="区长", phone=None
        )
        admin = await load_actor(account_id=account.id)
        assert admin is not None
        street = await grids.create_area(
            actor=admin, parent_id=district.id, name="街道", level=AreaLevel.STREET
        )
        made: dict[int, Area] = {}
        while max(made, default=0) < 39:
            c = await grids.create_area(
                actor=admin, parent_id=street.id, name=f"社区{len(made)}", level=AreaLevel.COMMUNITY
            )
            made[c.id] = c
        three, thirty_one = made[3], made[31]
        assert three.path == f"{street.path}3/"
        await households.create_household(actor=admin, area_id=three.id, address="3号社区1号")
        far = await households.create_household(
            actor=admin, area_id=thirty_one.id, address="31号社区1号"
        )
        # and an admin of community 3
        staff = await create_account(
            username="admin3", password="a-long-password", name="三号社区书记", phone=None
        )
        await people.assign_role(
            actor=admin, person_id=staff.person_id, role=Role.COMMUNITY_ADMIN, area_id=three.id
        )
        admin3 = await load_actor(account_id=staff.id)
        assert admin3 is not None
        # when what lies under community 3 is read
        under = await grids.list_areas(under_id=three.id, window=Window(first=100))
        listed = await households.list_households(
            actor=admin3, area_id=three.id, window=Window(first=100)
        )
        figures = await grids.coverage(actor=admin3, area_ids=[three.id, thirty_one.id])
        # then only community 3 itself and its one household are there
        assert [a.id for a in under.items] == [three.id]
        assert [h.address for h in listed.items] == ["3号社区1号"]
        assert isinstance(figures[0], Coverage) and figures[0].households == 1
        # and community 31 is out of the community 3 admin's reach
        assert isinstance(figures[1], Forbidden)
        with pytest.raises(NotFound):
            await households.get_household(actor=admin3, household_id=far.id)
        with pytest.raises(Forbidden):
            await grids.create_area(
                actor=admin3, parent_id=thirty_one.id, name="越界网格", level=AreaLevel.GRID
            )
        # and the street sees both
        assert (await grids.household_counts(area_ids=[street.id])) == [2]


class TestListAreas:
    async def test_list_areas_filters_combine(self, db: Database) -> None:
        # given 颜山社区
        community = await area(DEMO_COMMUNITY)
        # when its commercial micro-grids are listed, and its grids by parent
        commercial = await grids.list_areas(
            under_id=community.id,
            level=AreaLevel.MICRO_GRID,
            kind=AreaKind.COMMERCIAL,
            window=Window(first=100),
        )
        children = await grids.list_areas(parent_id=community.id, window=Window(first=100))
        found = await grids.list_areas(search="商业", window=Window(first=100))
        # then they are the commercial grid's micro-grids, its four grids, and the commercial grid
        shops = await area(COMMERCIAL_GRID)
        assert {a.id for a in commercial.items} == set(
            await Area.filter(parent_id=shops.id).values_list("id", flat=True)
        )
        assert {a.name for a in children.items} == {
            "颜山第一网格",
            "颜山第二网格",
            "颜山第三网格",
            COMMERCIAL_GRID,
        }
        assert [a.name for a in found.items] == [COMMERCIAL_GRID]

    async def test_search_ignores_case_and_takes_wildcards_literally(
        self, empty_db: Database
    ) -> None:
        # given streets whose names differ only around LIKE's wildcard characters
        district = await grids.create_district(name="测试区")
        account = await bootstrap_district_admin(
            district=district, username="boss", password="a-long-password", name="区长", phone=None
        )
        admin = await load_actor(account_id=account.id)
        assert admin is not None
        for name in ("Block A_1", "Block AB1", "Block 100%", "Block 1000"):
            await grids.create_area(
                actor=admin, parent_id=district.id, name=name, level=AreaLevel.STREET
            )

        async def names(search: str) -> list[str]:
            return [
                a.name
                for a in (await grids.list_areas(search=search, window=Window(first=100))).items
            ]

        # when they are searched, case does not matter and `_` and `%` match only themselves
        assert await names("a_1") == ["Block A_1"]
        assert await names("  BLOCK a") == ["Block A_1", "Block AB1"]
        assert await names("0%") == ["Block 100%"]
        assert await names("%") == ["Block 100%"]
        assert await names("\\") == []
        # and an unknown `under` area is NotFound, as everywhere
        with pytest.raises(NotFound):
            await grids.list_areas(under_id=999_999, window=Window(first=10))


class TestAreaCodes:
    """The district's own codes (区划/网格编码): unique, checked, found, changed."""

    async def test_the_demo_areas_have_codes_from_the_district_down(self, db: Database) -> None:
        district = await area("博山区")
        community = await area(DEMO_COMMUNITY)
        assert district.code == "370304"
        assert community.code is not None and community.code.startswith("370304")
        assert len(community.code) == 12
        assert not await Area.filter(code=None).exists()
        assert (await grids.area_by_code(code=f" {community.code} ")).id == community.id

    async def test_a_new_area_takes_a_free_code(self, db: Database) -> None:
        admin = await actor_for("district_admin")
        community = await area(DEMO_COMMUNITY)
        grid = await grids.create_area(
            actor=admin,
            parent_id=community.id,
            name="编码网格",
            level=AreaLevel.GRID,
            code=" G-07_a ",
        )
        assert grid.code == "G-07_a"
        assert (await grids.find_area_by_code(code="G-07_a")) == grid
        # a taken code is a conflict on `code`, and nothing is created
        before = await counts()
        with pytest.raises(Conflict) as err:
            await grids.create_area(
                actor=admin,
                parent_id=community.id,
                name="另一网格",
                level=AreaLevel.GRID,
                code=community.code,
            )
        assert err.value.field == "code"
        assert await counts() == before

    @pytest.mark.parametrize("code", ["含中文", "a b", "x" * 33, "a/b", "a.b"])
    async def test_a_malformed_code_is_refused(self, db: Database, code: str) -> None:
        admin = await actor_for("district_admin")
        community = await area(DEMO_COMMUNITY)
        before = await counts()
        with pytest.raises(InvalidInput) as err:
            await grids.create_area(
                actor=admin, parent_id=community.id, name="新网格", level=AreaLevel.GRID, code=code
            )
        assert err.value.field == "code"
        assert await counts() == before

    async def test_a_code_is_changed_or_removed(self, db: Database) -> None:
        admin = await actor_for("district_admin")
        grid = await area(DEMO_GRID)
        community = await area(DEMO_COMMUNITY)
        with pytest.raises(Conflict):
            await grids.update_area(actor=admin, area_id=grid.id, code=community.code)
        assert (await area(DEMO_GRID)).code == grid.code
        changed = await grids.update_area(actor=admin, area_id=grid.id, code="YS-01")
        assert changed.code == "YS-01"
        removed = await grids.update_area(actor=admin, area_id=grid.id, code="")
        assert removed.code is None
        assert await grids.find_area_by_code(code="YS-01") is None
        with pytest.raises(NotFound):
            await grids.area_by_code(code="YS-01")
