"""Import templates (导入模板): a kind's header row as CSV, or as XLSX with a 说明 sheet that
explains each column (required or not, what it holds)."""

from __future__ import annotations

import csv
import io
from typing import Literal

import openpyxl
from openpyxl.utils import get_column_letter

from services.enums import ImportKind
from services.imports.columns import COLUMNS, KIND_NAMES, headers, parse_count, parse_date

TemplateFormat = Literal["csv", "xlsx"]


def template(kind: ImportKind, fmt: TemplateFormat) -> bytes:
    """The template of `kind` as a file's bytes (CSV in UTF-8 with a BOM, which Excel opens
    as UTF-8)."""
    if fmt == "csv":
        text = io.StringIO()
        csv.writer(text).writerow(headers(kind))
        return text.getvalue().encode("utf-8-sig")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = KIND_NAMES[kind]
    sheet.append(headers(kind))
    # Codes, 户号, phones and ID numbers typed as text: Excel would otherwise turn them into
    # numbers (leading zeros gone, an 18-digit ID number rounded to 15 digits).
    for index, column in enumerate(COLUMNS[kind], start=1):
        if column.parse not in (parse_count, parse_date):
            sheet.column_dimensions[get_column_letter(index)].number_format = "@"
    notes = workbook.create_sheet("说明")
    notes.append(["列名", "必填", "说明"])
    for column in COLUMNS[kind]:
        notes.append([column.header, "是" if column.required else "否", column.help])
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def template_name(kind: ImportKind, fmt: TemplateFormat) -> str:
    """The template's file name: the kind's Chinese name, 导入模板 and the format."""
    return f"{KIND_NAMES[kind]}导入模板.{fmt}"
