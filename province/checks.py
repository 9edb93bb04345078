"""Checks a province's rows share, whether they come from the dataset JSON or a spreadsheet: each
returns the problem in Chinese, or None when the value is good."""

from __future__ import annotations

import re

from chalicelib.domain.accounts import Role, normalize_login
from chalicelib.domain.errors import InvalidIdNumber, InvalidLogin
from chalicelib.domain.identity import (
    MILITARY_OFFICER,
    IdType,
    gb11643_check_digit,
    is_valid_resident_id,
    normalize_id_number,
)
from chalicelib.domain.orders import ID_TYPE_NAMES  # the names the school registry's exports use

MAX_CET_SCORE = 710
FIRST_CET_YEAR = 1987  # the first national CET sitting
LAST_CET_YEAR = 2100
# R-TICKET-2, R-ROOM-3: a written exam's length and a candidate's extra minutes, at most (10 hours)
MAX_EXAM_MINUTES = 600
TICKET = re.compile(r"\d{15}")
_RESIDENT_ID_SHAPE = re.compile(r"\d{17}[\dX]")

_ID_TYPES: dict[str, IdType] = {
    **{t.value: t for t in IdType},
    **{name: t for t, name in ID_TYPE_NAMES.items()},
    "中华人民共和国居民身份证": IdType.RESIDENT_ID,
    "身份证": IdType.RESIDENT_ID,
}
MILITARY_NAMES = {MILITARY_OFFICER, "军官证"}
MILITARY_PROBLEM = "不支持军官证（military_officer）报名（R-QUAL-2），学籍库中不应出现"

# 角色 in the staff file, role in the dataset: a school's staff or the province's administrator.
ROLES: dict[str, Role] = {"school": Role.STAFF, "staff": Role.STAFF, "province": Role.PROVINCE}


def id_type_of(text: str) -> IdType | None:
    """A dataset ID type (`resident_id`) or its Chinese name (居民身份证)."""
    return _ID_TYPES.get(text.strip())


def id_type_problem(text: str) -> str | None:
    if text.strip() in MILITARY_NAMES:
        return MILITARY_PROBLEM
    if id_type_of(text) is None:
        names = " / ".join(ID_TYPE_NAMES.values())
        return f"未知证件类型 {text!r}，应为 {names} 之一（或其英文代码）"
    return None


def id_number_problem(id_type: IdType, number: str) -> str | None:
    """R-QUAL-4: the GB 11643 check digit for resident IDs, the shape for the others."""
    if id_type is IdType.RESIDENT_ID:
        if not _RESIDENT_ID_SHAPE.fullmatch(number):
            return "居民身份证号码应为 17 位数字加 1 位校验位（数字或大写 X）"
        if not is_valid_resident_id(number):
            expected = gb11643_check_digit(number[:17])
            return f"居民身份证号码校验位错误：按 GB 11643 应为 {expected}，实际为 {number[17]}（R-QUAL-4）"
        return None
    try:
        normalized = normalize_id_number(id_type, number)
    except InvalidIdNumber:
        return f"证件号码不符合 {ID_TYPE_NAMES[id_type]}（{id_type.value}）的格式"
    if normalized != number:
        return f"证件号码应去掉空格并使用大写字母：{normalized!r}"
    return None


def ticket_problem(ticket: str) -> str | None:
    return None if TICKET.fullmatch(ticket) else f"准考证号应为 15 位数字，实际为 {ticket!r}"


def login_problem(login: str) -> str | None:
    try:
        normalize_login(login)
    except InvalidLogin:
        return f"登录名应为电子邮箱或中国大陆手机号，实际为 {login!r}"
    return None


def role_problem(text: str) -> str | None:
    return None if text.strip() in ROLES else f"未知角色 {text!r}，应为 school 或 province"


def staff_school_problem(role: Role, school_id: str, known_schools: set[str]) -> str | None:
    """A school's staff belong to a known school; a province administrator to none."""
    if role is Role.PROVINCE:
        return "省级管理员不属于任何学校：学校代码应留空" if school_id else None
    if not school_id:
        return "学校负责老师须填写学校代码"
    return None if school_id in known_schools else f"未定义的学校 {school_id!r}（目录文件 schools 中没有）"
