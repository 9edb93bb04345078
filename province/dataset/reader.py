"""Reading a dataset's JSON: each value's line, typed fields, and the problems found on the way.

Every problem is collected with the JSON path of the value and the line of the file where that
value (or the object missing it) begins; a bad field reads as a placeholder so reading goes on.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TypeVar

from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import SHANGHAI, parse_iso

JsonObject = dict[str, object]
T = TypeVar("T")
E = TypeVar("E", bound=Enum)

ROOT = "$"
LEVELS = (4, 6)
_LAST_STEP = re.compile(r"(.*)(?:\.[^.\[\]]*|\[\d+\])")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
PLACEHOLDER_TIME = datetime(1970, 1, 1, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class DatasetError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def decode(text: str) -> JsonObject:
    try:
        root: object = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"不是有效的 JSON：{error.msg}（第 {error.colno} 列）"
        raise DatasetError([Problem(error.lineno, ROOT, message)]) from None
    except RecursionError:
        raise DatasetError([Problem(1, ROOT, "JSON 嵌套层数过深")]) from None
    if not isinstance(root, dict):
        raise DatasetError([Problem(1, ROOT, "顶层应为 JSON 对象")])
    return root


def child(path: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return step if path == ROOT else f"{path}.{step}"


def parent(path: str) -> str:
    match = _LAST_STEP.fullmatch(path)
    return match.group(1) if match and match.group(1) else ROOT


class Lines:
    """The line on which each value of a well-formed JSON text begins, by JSON path."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self._decoder = json.JSONDecoder()
        self._by_path: dict[str, int] = {}
        self._value(ROOT, 0)

    def line_of(self, path: str) -> int:
        while path not in self._by_path and path != ROOT:
            path = parent(path)
        return self._by_path.get(path, 1)

    def _skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self._text, pos)
        return match.end() if match else pos

    def _value(self, path: str, pos: int) -> int:
        pos = self._skip(pos)
        self._by_path[path] = bisect.bisect_right(self._line_starts, pos)
        opener = self._text[pos]
        if opener == "{":
            return self._members(path, pos + 1)
        if opener == "[":
            return self._items(path, pos + 1)
        return self._decoder.raw_decode(self._text, pos)[1]

    def _members(self, path: str, pos: int) -> int:
        pos = self._skip(pos)
        while self._text[pos] != "}":
            key, pos = self._decoder.raw_decode(self._text, self._skip(pos))
            pos = self._skip(self._value(child(path, str(key)), self._skip(pos) + 1))
            pos += self._text[pos] == ","
        return pos + 1

    def _items(self, path: str, pos: int) -> int:
        pos = self._skip(pos)
        index = 0
        while self._text[pos] != "]":
            pos = self._skip(self._value(child(path, index), pos))
            pos = self._skip(pos + (self._text[pos] == ","))
            index += 1
        return pos + 1


def describe(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "布尔值", int: "整数", float: "小数", str: "字符串", list: "数组", dict: "对象"}
    return names.get(type(value), type(value).__name__)


class Reader:
    """Reads typed fields off JSON objects; a bad field becomes a Problem and a placeholder."""

    def __init__(self, lines: Lines) -> None:
        self._lines = lines
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self._lines.line_of(path), path, message))

    def typed(self, obj: JsonObject, path: str, key: str, kind: type[T], what: str) -> T | None:
        where = child(path, key)
        if key not in obj:
            self.fail(where, "缺少必填字段")
            return None
        value = obj[key]
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        self.fail(where, f"应为{what}，实际为{describe(value)}")
        return None

    def text(self, obj: JsonObject, path: str, key: str, *, allow_empty: bool = False) -> str:
        value = self.typed(obj, path, key, str, "字符串")
        if value is None or (not value.strip() and not allow_empty):
            if value is not None:
                self.fail(child(path, key), "不能为空")
            return ""
        return value

    def integer(self, obj: JsonObject, path: str, key: str, *, low: int = 0, high: int | None = None) -> int:
        value = self.typed(obj, path, key, int, "整数")
        if value is None:
            return low
        if value < low or (high is not None and value > high):
            bounds = f"不能小于 {low}" if high is None else f"应在 {low} 到 {high} 之间"
            self.fail(child(path, key), f"{bounds}，实际为 {value}")
        return value

    def level(self, obj: JsonObject, path: str) -> int:
        value = self.typed(obj, path, "level", int, "整数")
        if value is not None and value not in LEVELS:
            self.fail(child(path, "level"), f"级别应为 4 或 6，实际为 {value}")
        return value or LEVELS[0]

    def flag(self, obj: JsonObject, path: str, key: str) -> bool:
        return self.typed(obj, path, key, bool, "布尔值（true/false）") or False

    def choice(self, obj: JsonObject, path: str, key: str, options: type[E]) -> E | None:
        value = self.text(obj, path, key)
        allowed = [option.value for option in options]
        if value and value not in allowed:
            self.fail(child(path, key), f"未知取值 {value!r}，应为 {' / '.join(allowed)} 之一")
            return None
        return options(value) if value else None

    def moment(self, obj: JsonObject, path: str, key: str) -> datetime | None:
        value = self.text(obj, path, key)
        if not value:
            return None
        try:
            return parse_iso(value)
        except ValueError:
            example = "2024-01-01T00:00:00+08:00"
            self.fail(child(path, key), f"应为带时区偏移的 ISO 8601 时间（如 {example}），实际为 {value!r}")
            return None

    def optional_moment(self, obj: JsonObject, path: str, key: str) -> datetime | None:
        """A time the dataset may leave out (absent or null); when given, it must be one."""
        return self.moment(obj, path, key) if obj.get(key) is not None else None

    def period(self, obj: JsonObject, path: str) -> tuple[datetime, datetime]:
        opens_at = self.moment(obj, path, "opens_at")
        closes_at = self.moment(obj, path, "closes_at")
        if opens_at and closes_at and opens_at >= closes_at:
            self.fail(child(path, "closes_at"), "结束时间应晚于开始时间 opens_at")
        return opens_at or PLACEHOLDER_TIME, closes_at or PLACEHOLDER_TIME

    def obj(self, parent: JsonObject, path: str, key: str) -> JsonObject:
        return self.typed(parent, path, key, dict, "对象") or {}

    def objects(self, parent: JsonObject, path: str, key: str) -> list[tuple[str, JsonObject]]:
        found: list[tuple[str, JsonObject]] = []
        where = child(path, key)
        for index, item in enumerate(self.typed(parent, path, key, list, "数组") or []):
            if isinstance(item, dict):
                found.append((child(where, index), item))
            else:
                self.fail(child(where, index), f"应为对象，实际为{describe(item)}")
        return found

    def strings(self, parent: JsonObject, path: str, key: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        where = child(path, key)
        for index, item in enumerate(self.typed(parent, path, key, list, "数组") or []):
            if isinstance(item, str) and item.strip():
                found.append((child(where, index), item))
            else:
                self.fail(child(where, index), f"应为非空字符串，实际为{describe(item)}")
        return found


@dataclass
class Unique:
    """Remembers where each key was first seen, to report a repeat with both places."""

    what: str
    first: dict[str, str] = field(default_factory=dict)

    def see(self, reader: Reader, key: str, path: str) -> None:
        if not key:
            return
        if key in self.first:
            reader.fail(path, f"{self.what} {key!r} 重复（已在 {self.first[key]} 出现）")
        else:
            self.first[key] = path


@dataclass
class Known:
    """What has been declared so far, even if its other fields were bad (to avoid echoes)."""

    subject_kinds: dict[str, SubjectKind | None] = field(default_factory=dict)
    school_ids: set[str] = field(default_factory=set)
    campus_schools: dict[str, str] = field(default_factory=dict)
    exam: bool = False  # the dataset has an exam sitting: written subjects and their sites need codes
