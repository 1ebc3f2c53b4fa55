"""CSV exports neutralise cells a spreadsheet would run as formulas (OWASP "CSV injection"),
and the import undoes exactly that, so the round trip still holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from seed.demo import DEMO_COMMUNITY
from services import exports, imports
from services.enums import ExportFormat, ExportKind, ImportKind, ImportStatus
from services.exports import Options
from services.exports.writing import export_file
from services.imports.columns import guard_formula, unguard_formula
from services.models import Area, Household, Person
from tests.conftest import Database, actor_for
from tests.services.exports.support import number_households, read_back

NASTY = ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1", "''@x"]


class TestGuard:
    @pytest.mark.parametrize("text", NASTY)
    def test_formula_like_text_is_quoted_and_unquoted(self, text: str) -> None:
        guarded = guard_formula(text)
        assert guarded == "'" + text
        assert unguard_formula(guarded) == text

    @pytest.mark.parametrize("text", ["", "张三", "a=b", "'quoted", "'", "1-2", "13812341234"])
    def test_other_text_is_left_alone(self, text: str) -> None:
        assert guard_formula(text) == text
        assert unguard_formula(text) == text


async def test_a_formula_name_is_quoted_in_csv_and_imports_back_unchanged(
    db: Database, media_dir: Path
) -> None:
    # given a resident who registered as "=1+1" and an address starting with "@"
    community = await Area.get(name=DEMO_COMMUNITY)
    await number_households(community)
    person = await Person.filter(household__community_id=community.id).order_by("id").first()
    assert person is not None and person.household_id is not None
    await Person.filter(id=person.id).update(name="=1+1")
    await Household.filter(id=person.household_id).update(address="@SUM(A1)")
    admin = await actor_for("community_admin")
    for export_kind, import_kind, cell in [
        (ExportKind.PEOPLE, ImportKind.PEOPLE, "'=1+1"),
        (ExportKind.HOUSEHOLDS, ImportKind.HOUSEHOLDS, "'@SUM(A1)"),
    ]:
        # when the people and households are exported as CSV
        result = await exports.export(
            actor=admin,
            kind=export_kind,
            under=community.id,
            format=ExportFormat.CSV,
            options=Options(unmasked_phones=True),
        )
        # then the cell is quoted, so Excel shows it as text
        assert cell in {c for row in read_back(result) for c in row}, export_kind
        # and the file imports back with no problem and nothing to change
        job = await imports.import_file(
            actor=admin, kind=import_kind, path=export_file(result.path), dry_run=True
        )
        assert job.status is ImportStatus.DRY_RUN_DONE, export_kind
        assert (job.created, job.updated, job.unchanged) == (0, 0, result.rows), export_kind


async def test_xlsx_keeps_the_text_as_it_is(db: Database, media_dir: Path) -> None:
    # given a resident named "=1+1"
    community = await Area.get(name=DEMO_COMMUNITY)
    person = await Person.filter(household__community_id=community.id).order_by("id").first()
    assert person is not None
    await Person.filter(id=person.id).update(name="=1+1")
    # when the people are exported as XLSX (cells typed as text there, no quote needed)
    admin = await actor_for("community_admin")
    result = await exports.export(
        actor=admin, kind=ExportKind.PEOPLE, under=community.id, format=ExportFormat.XLSX
    )
    # then the name is written as it is
    assert "=1+1" in {c for row in read_back(result) for c in row}
