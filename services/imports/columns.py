"""The columns of every import kind (批量导入), shared by imports, templates and exports.

Each kind is an ordered list of `Column`s: the Chinese header a district's spreadsheet carries,
the attribute the row dict uses, whether a value is required, and a parse/format pair. Exports
write a value with `format` and imports read it back with `parse`, so an exported file imports
with no errors and no change (`parse(format(v)) == v` for every value a column holds).

Parsers take the cell's text with surrounding blanks removed (never empty: an empty cell is
None and only checked for `required`) and raise `CellError` with a stable code.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from services.enums import (
    AreaKind,
    AreaLevel,
    ImportKind,
    PartnerUnitKind,
    ResourceCategory,
    Role,
)
from services.errors import InvalidInput
from services.grids.areas import check_contact_link, clean_code
from services.kit.text import normalize_phone
from services.partners.units import clean_unit_phone


class CellError(Exception):
    """A cell that does not parse: `code` is stable (BAD_VALUE, TOO_LONG, BAD_PHONE...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Column:
    """One column of a kind: header (Chinese), attribute (row key), required, parse/format."""

    header: str
    attribute: str
    required: bool
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    help: str
    """What the column holds, for people: the template's 说明 sheet shows it."""

    def format_cell(self, value: Any) -> str:
        """The cell text for `value` ("" for None)."""
        return "" if value is None else self.format(value)


# -- CSV formula guard (OWASP "CSV injection") ----------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make Excel/WPS take a CSV cell for a formula."""


def _formula_like(text: str) -> bool:
    # Leading quotes are looked through, so a cell that already starts with "'" and a formula
    # character is quoted once more: guard and unguard are exact inverses.
    return text.lstrip("'").startswith(FORMULA_STARTS)


def guard_formula(text: str) -> str:
    """A CSV cell's text as written by exports: prefixed with a single quote when a spreadsheet
    would run it as a formula (=, +, -, @, tab, CR first, past any leading quotes)."""
    return "'" + text if _formula_like(text) else text


def unguard_formula(text: str) -> str:
    """The inverse of guard_formula, applied by the import to every CSV cell: one leading quote
    is dropped exactly when guard_formula would have added it."""
    return text[1:] if text.startswith("'") and _formula_like(text) else text


# -- parsers and formatters ------------------------------------------------------------------


def text(max_length: int) -> Callable[[str], str]:
    """A parser for free text of at most `max_length` characters."""

    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise CellError("TOO_LONG", f"At most {max_length} characters.")
        return raw

    return parse


def parse_code(raw: str) -> str:
    """A district code (area code or 户号): 1–32 letters, digits, '-' or '_', the rule of
    services.grids.areas.clean_code (so an imported code can be saved again by updateArea)."""
    try:
        code = clean_code(raw)
    except InvalidInput as error:
        raise CellError("BAD_CODE", error.message) from error
    if code is None:
        raise CellError("BAD_CODE", "A code is 1–32 letters, digits, '-' or '_'.")
    return code


def parse_link(raw: str) -> str:
    """A contact group link: the rule of createArea/updateArea (web or WeChat links only)."""
    try:
        link = check_contact_link(raw)
    except InvalidInput as error:
        raise CellError("BAD_LINK", error.message) from error
    if link is None:
        raise CellError("BAD_LINK", "The contact group link must be a web or WeChat link.")
    return link


def parse_phone(raw: str) -> str:
    """A mobile number normalised to 11 digits (+86, blanks and dashes removed)."""
    try:
        return normalize_phone(raw)
    except InvalidInput as error:
        raise CellError("BAD_PHONE", error.message) from error


def parse_unit_phone(raw: str) -> str:
    """A partner unit's phone: a mobile number normalised to 11 digits, or another number (a
    landline) as registerUnit takes it (5-20 digits)."""
    try:
        return normalize_phone(raw)
    except InvalidInput:
        pass
    try:
        return clean_unit_phone(raw)
    except InvalidInput as error:
        raise CellError("BAD_PHONE", "A mobile number or a phone number of 5-20 digits.") from error


def parse_count(raw: str) -> int:
    """A whole number from 0 to 1,000,000 ("3", "3.0" as Excel writes numbers)."""
    value = raw[:-2] if raw.endswith(".0") else raw
    if not (value.isascii() and value.isdigit()) or int(value) > 1_000_000:
        raise CellError("BAD_NUMBER", "A whole number from 0 to 1,000,000.")
    return int(value)


def _degrees(limit: float, name: str) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and -limit <= value <= limit):
            raise CellError("BAD_COORDINATE", f"{name}: degrees from -{limit:g} to {limit:g}.")
        return value

    return parse


parse_longitude = _degrees(180.0, "Longitude (经度)")
parse_latitude = _degrees(90.0, "Latitude (纬度)")


def format_degrees(value: float) -> str:
    """Degrees as the shortest text that reads back as the same float (repr)."""
    return repr(float(value))


YES = ("是", "Y", "YES", "TRUE", "1")
NO = ("否", "N", "NO", "FALSE", "0")


def parse_yes_no(raw: str) -> bool:
    """是 or 否 (also Y/N, yes/no, true/false, 1/0)."""
    upper = raw.upper()
    if upper in YES:
        return True
    if upper in NO:
        return False
    raise CellError("BAD_VALUE", "是 or 否.")


def format_yes_no(value: bool) -> str:
    """是 or 否."""
    return "是" if value else "否"


def parse_date(raw: str) -> dt.date:
    """A date as 2026-01-31 or 2026/1/31 (a time after it, as Excel may write, is ignored)."""
    day = raw.split(" ")[0].split("T")[0].replace("/", "-")
    try:
        year, month, date = (int(part) for part in day.split("-"))
        return dt.date(year, month, date)
    except ValueError as error:
        raise CellError("BAD_DATE", "A date such as 2026-01-31.") from error


def format_date(value: dt.date) -> str:
    """2026-01-31."""
    return value.isoformat()


E = TypeVar("E", bound=StrEnum)


def labelled(enum: type[E], labels: dict[E, str]) -> tuple[Callable[[str], E], Callable[[E], str]]:
    """A parse/format pair for an enum written as its Chinese label (the English name is also
    read, so a file from another tool still imports)."""
    by_text = {label: member for member, label in labels.items()}
    by_text.update({member.value: member for member in enum})
    choices = "、".join(labels.values())

    def parse(raw: str) -> E:
        member = by_text.get(raw) or by_text.get(raw.upper())
        if member is None:
            raise CellError("BAD_VALUE", f"One of: {choices}.")
        return member

    def format_(value: E) -> str:
        return labels[value]

    return parse, format_


@dataclass(frozen=True)
class IdCard:
    """An ID card (身份证) as a file carries it: the last four characters always, the full
    number only when the file had one (the service stores it only if a setting allows)."""

    last4: str
    full: str | None = None


ID_CARD_FULL = re.compile(r"^\d{17}[\dX]$")
ID_CARD_MASKED = re.compile(r"^[*＊xX]*\d{3}[\dX]$")


def parse_id_card(raw: str) -> IdCard:
    """An 18-character ID number, a masked one ("**************123X") or its last four."""
    value = raw.upper().replace(" ", "")
    if ID_CARD_FULL.match(value):
        return IdCard(last4=value[-4:], full=value)
    if ID_CARD_MASKED.match(value) and (len(value) == 4 or len(value) == 18):
        return IdCard(last4=value[-4:])
    raise CellError("BAD_ID_CARD", "An 18-character ID number, masked (****…1234) or not.")


def format_id_card(value: IdCard | str) -> str:
    """The masked form: fourteen stars and the last four (exports never show a full number)."""
    last4 = value.last4 if isinstance(value, IdCard) else value[-4:]
    return "*" * 14 + last4


def plain(value: object) -> str:
    """The value as text."""
    return str(value)


LEVEL_LABELS = {
    AreaLevel.DISTRICT: "区",
    AreaLevel.STREET: "街道",
    AreaLevel.COMMUNITY: "社区",
    AreaLevel.GRID: "网格",
    AreaLevel.MICRO_GRID: "微网格",
}
AREA_KIND_LABELS = {
    AreaKind.RESIDENTIAL: "居民",
    AreaKind.COMMERCIAL: "商业",
    AreaKind.SPECIAL: "专属",
}
ROLE_LABELS = {
    Role.DISTRICT_ADMIN: "区级管理员",
    Role.STREET_ADMIN: "街道管理员",
    Role.COMMUNITY_ADMIN: "社区管理员",
    Role.GRID_LEADER: "网格长",
    Role.MICRO_GRID_LEADER: "微网格长",
    Role.CENTRAL_HOUSEHOLD: "中心户",
    Role.PART_TIME_GRID_MEMBER: "兼职网格员",
    Role.VOLUNTEER: "志愿者",
    Role.PARTNER_MEMBER: "共建单位成员",
    Role.RESIDENT: "居民",
}
PARTNER_KIND_LABELS = {
    PartnerUnitKind.GOVERNMENT_AGENCY: "机关",
    PartnerUnitKind.PUBLIC_INSTITUTION: "事业单位",
    PartnerUnitKind.ENTERPRISE: "企业",
    PartnerUnitKind.SOCIAL_ORGANIZATION: "社会组织",
    PartnerUnitKind.PROPERTY_COMPANY: "物业公司",
    PartnerUnitKind.MERCHANT: "商户",
}
RESOURCE_LABELS = {
    ResourceCategory.VENUE: "场地",
    ResourceCategory.FUNDS: "资金",
    ResourceCategory.EQUIPMENT: "设备",
    ResourceCategory.EXPERTISE: "专业技能",
    ResourceCategory.VOLUNTEER_HOURS: "志愿服务时长",
    ResourceCategory.GOODS: "物资",
    ResourceCategory.SERVICE: "服务",
}

parse_level, format_level = labelled(AreaLevel, LEVEL_LABELS)
parse_area_kind, format_area_kind = labelled(AreaKind, AREA_KIND_LABELS)
parse_role, format_role = labelled(Role, ROLE_LABELS)
parse_partner_kind, format_partner_kind = labelled(PartnerUnitKind, PARTNER_KIND_LABELS)
parse_resource, format_resource = labelled(ResourceCategory, RESOURCE_LABELS)


# -- the kinds -------------------------------------------------------------------------------

AREAS = (
    Column("区域编码", "code", True, parse_code, plain, "本区域的编码(唯一),重复导入据此更新"),
    Column("名称", "name", True, text(100), plain, "区域名称,同一上级下不重名"),
    Column("层级", "level", True, parse_level, format_level, "区、街道、社区、网格、微网格"),
    Column("上级编码", "parent_code", False, parse_code, plain, "上级区域的编码;区级留空"),
    Column("类型", "kind", False, parse_area_kind, format_area_kind, "居民(默认)、商业、专属"),
    Column("联系群名称", "contact_group_name", False, text(100), plain, "微信群等联系群名称"),
    Column(
        "联系群链接", "contact_group_link", False, parse_link, plain, "联系群的链接(https/weixin)"
    ),
)

HOUSEHOLDS = (
    Column("户号", "number", True, parse_code, plain, "本户的编号(全区唯一),重复导入据此更新"),
    Column("社区编码", "community_code", True, parse_code, plain, "所在社区的区域编码"),
    Column("微网格编码", "micro_grid_code", False, parse_code, plain, "所属微网格的区域编码"),
    Column("地址", "address", True, text(200), plain, "门牌地址"),
    Column("楼栋", "building", False, text(20), plain, "楼栋号"),
    Column("单元", "unit", False, text(20), plain, "单元号"),
    Column("房号", "room", False, text(20), plain, "房间号"),
    Column("人数", "member_count", False, parse_count, plain, "家庭人数(默认1)"),
    Column(
        "经度",
        "longitude",
        False,
        parse_longitude,
        format_degrees,
        "WGS-84(GPS)经度,度;与纬度同填或同空,须在所属微网格边界内",
    ),
    Column(
        "纬度",
        "latitude",
        False,
        parse_latitude,
        format_degrees,
        "WGS-84(GPS)纬度,度;与经度同填或同空",
    ),
)

PEOPLE = (
    Column("姓名", "name", True, text(50), plain, "姓名"),
    Column("手机号", "phone", True, parse_phone, plain, "11位手机号,重复导入据此更新"),
    Column("户号", "household_number", False, parse_code, plain, "所属家庭的户号"),
    Column("是否党员", "party_member", False, parse_yes_no, format_yes_no, "是或否(默认否)"),
    Column("身份证号", "id_card", False, parse_id_card, format_id_card, "只保存后四位"),
)

ROLES = (
    Column("手机号", "phone", True, parse_phone, plain, "担任者的手机号(须已导入人员)"),
    Column("角色", "role", True, parse_role, format_role, "网格长、微网格长、中心户等"),
    Column("区域编码", "area_code", False, parse_code, plain, "任职区域的编码;居民留空"),
    Column("起始日期", "since", False, parse_date, format_date, "任职起始日期(默认导入当天)"),
)

PARTNERS = (
    Column("单位名称", "name", True, text(100), plain, "共建单位名称,同一社区内据此更新"),
    Column("单位类型", "kind", True, parse_partner_kind, format_partner_kind, "机关、企业等"),
    Column("社区编码", "community_code", True, parse_code, plain, "报到社区的区域编码"),
    Column("地址", "address", False, text(200), plain, "单位地址"),
    Column("联系电话", "phone", False, parse_unit_phone, plain, "联系电话(手机号或固定电话)"),
    Column("简介", "description", False, text(1000), plain, "单位简介"),
)

PARTNER_RESOURCES = (
    Column("单位名称", "unit_name", True, text(100), plain, "提供资源的共建单位名称"),
    Column("社区编码", "community_code", True, parse_code, plain, "该单位报到社区的区域编码"),
    Column("资源名称", "title", True, text(100), plain, "资源名称,同一单位内据此更新"),
    Column("资源类别", "category", True, parse_resource, format_resource, "场地、资金、物资等"),
    Column("数量", "quantity", True, parse_count, plain, "数量"),
    Column("计量单位", "unit_label", True, text(20), plain, "如:次、小时、元、件"),
    Column("说明", "description", False, text(1000), plain, "资源说明"),
)

COLUMNS: dict[ImportKind, tuple[Column, ...]] = {
    ImportKind.AREAS: AREAS,
    ImportKind.HOUSEHOLDS: HOUSEHOLDS,
    ImportKind.PEOPLE: PEOPLE,
    ImportKind.ROLES: ROLES,
    ImportKind.PARTNERS: PARTNERS,
    ImportKind.PARTNER_RESOURCES: PARTNER_RESOURCES,
}
"""The columns of each kind, in file order."""

KIND_NAMES = {
    ImportKind.AREAS: "区域",
    ImportKind.HOUSEHOLDS: "家庭",
    ImportKind.PEOPLE: "人员",
    ImportKind.ROLES: "角色",
    ImportKind.PARTNERS: "共建单位",
    ImportKind.PARTNER_RESOURCES: "共建单位资源",
}
"""The Chinese name of each kind (sheet names, file names)."""


def headers(kind: ImportKind) -> list[str]:
    """The header row of `kind`."""
    return [column.header for column in COLUMNS[kind]]


def format_row(kind: ImportKind, values: dict[str, Any]) -> list[str]:
    """The cells of one row of `kind` from its attribute values (exports use this)."""
    return [column.format_cell(values.get(column.attribute)) for column in COLUMNS[kind]]
