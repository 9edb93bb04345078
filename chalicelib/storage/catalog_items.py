"""The catalog and the table's identity mark as `CATALOG` items, and back."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from pynamodb.expressions.condition import Condition

from chalicelib.domain.catalog import (
    Campus,
    Catalog,
    OralOffering,
    Province,
    RoomName,
    School,
    Subject,
    SubjectKind,
    Window,
)
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.identity import IdentityMark
from chalicelib.domain.sitting import ExamSitting, SittingOfYear
from chalicelib.domain.waiting_room import Opening
from chalicelib.storage import keys
from chalicelib.storage.models import CatalogPartItem


def identity_mark_part(mark: IdentityMark, sk: str = keys.IDENTITY_SK) -> CatalogPartItem:
    return CatalogPartItem(keys.CATALOG_PK, sk, body=json.dumps({"version": mark.version, "check": mark.check}))


def identity_version_is(version: str) -> Condition:
    """The condition that the table's identity mark (`identity_mark_part`) is of `version`."""
    held: Condition = CatalogPartItem.body.contains(json.dumps({"version": version})[1:-1])
    return held


def identity_mark_from(body: dict[str, Any]) -> IdentityMark:
    return IdentityMark(str(body["version"]), str(body["check"]))


def catalog_parts(catalog: Catalog) -> list[CatalogPartItem]:
    def part(sk: str, body: dict[str, Any]) -> CatalogPartItem:
        return CatalogPartItem(keys.CATALOG_PK, sk, body=json.dumps(body, ensure_ascii=False))

    parts = [part(keys.PROVINCE_SK, vars(catalog.province))]
    parts += [part(keys.subject_part_sk(s.code), subject_to_json(s)) for s in catalog.subjects.values()]
    parts += [part(keys.school_part_sk(s.id), vars(s)) for s in catalog.schools.values()]
    parts += [part(keys.campus_part_sk(c.id), campus_to_json(c)) for c in catalog.campuses.values()]
    for school_id, windows in catalog.windows.items():
        parts += [
            part(
                keys.window_part_sk(school_id, i),
                {"school_id": school_id, "opens_at": iso(w.opens_at), "closes_at": iso(w.closes_at)},
            )
            for i, w in enumerate(windows)
        ]
    parts += [part(keys.opening_part_sk(o.id), opening_to_json(o)) for o in catalog.openings.values()]
    if catalog.exam is not None:
        parts.append(part(keys.EXAM_SK, exam_to_json(catalog.exam)))
    return parts


def exam_to_json(exam: ExamSitting) -> dict[str, Any]:
    """Never the seed nor its digest: the catalog is read everywhere and the same on every load."""
    return {
        "year": exam.year,
        "sitting": exam.sitting.value,
        "plan_at": iso(exam.plan_at),
        "tickets_open_at": iso(exam.tickets_open_at),
    }


def exam_from_json(body: dict[str, Any]) -> ExamSitting:
    return ExamSitting(
        int(body["year"]),
        SittingOfYear(int(body["sitting"])),
        parse_iso(body["plan_at"]),
        parse_iso(body["tickets_open_at"]),
    )


def opening_to_json(opening: Opening) -> dict[str, Any]:
    return {
        **vars(opening),
        "campuses": list(opening.campuses),
        "queue_opens_at": iso(opening.queue_opens_at),
        "opens_at": iso(opening.opens_at),
        "closes_at": iso(opening.closes_at),
    }


def opening_from_json(body: dict[str, Any]) -> Opening:
    return Opening(
        id=body["id"],
        name=body["name"],
        queue_opens_at=parse_iso(body["queue_opens_at"]),
        opens_at=parse_iso(body["opens_at"]),
        closes_at=parse_iso(body["closes_at"]),
        campuses=tuple(body["campuses"]),
        admit_per_minute=int(body["admit_per_minute"]),
        pass_minutes=int(body["pass_minutes"]),
    )


def subject_to_json(subject: Subject) -> dict[str, Any]:
    exam_at = iso(subject.exam_at) if subject.exam_at else None
    body = {**vars(subject), "kind": subject.kind.value, "exam_at": exam_at}
    for sitting_only in ("ticket_code", "exam_minutes"):  # R-TICKET-1: absent without a sitting
        if body[sitting_only] is None:
            del body[sitting_only]
    return body


def subject_from_json(body: dict[str, Any]) -> Subject:
    exam_at = body.get("exam_at")  # absent from catalogs loaded before R-DATE-1
    return Subject(**{**body, "kind": SubjectKind(body["kind"]), "exam_at": parse_iso(exam_at) if exam_at else None})


def campus_to_json(campus: Campus) -> dict[str, Any]:
    return {
        "id": campus.id,
        "name": campus.name,
        "school_id": campus.school_id,
        "written_subjects": list(campus.written_subjects),
        "oral": [
            {
                "subject": o.subject,
                "capacity": o.capacity,
                "opens_at": iso(o.opens_at),
                "closes_at": iso(o.closes_at),
                "shards": o.shards,
            }
            for o in campus.oral
        ],
        **({"site_code": campus.site_code} if campus.site_code is not None else {}),
        **({"rooms": [{"code": r.code, "name": r.name} for r in campus.rooms]} if campus.rooms else {}),
    }


def campus_from_json(data: dict[str, Any]) -> Campus:
    oral = tuple(
        OralOffering(
            data["id"],
            o["subject"],
            int(o["capacity"]),
            parse_iso(o["opens_at"]),
            parse_iso(o["closes_at"]),
            int(o.get("shards", 1)),  # catalogs loaded before shards: one counter
        )
        for o in data["oral"]
    )
    rooms = tuple(RoomName(r["code"], r["name"]) for r in data.get("rooms", ()))  # R-TICKET-2
    return Campus(
        data["id"], data["name"], data["school_id"], tuple(data["written_subjects"]), oral, data.get("site_code"), rooms
    )


def catalog_from_parts(parts: list[CatalogPartItem]) -> Catalog:
    bodies = {p.sk: json.loads(p.body) for p in parts}
    province = Province(**bodies.get(keys.PROVINCE_SK, {"code": "", "name": "", "notice": ""}))
    mark = bodies.get(keys.IDENTITY_SK)
    catalog = Catalog(province, identity=identity_mark_from(mark) if mark else None)
    windows: dict[str, list[Window]] = {}
    for sk, body in bodies.items():
        kind = keys.part_of(sk)
        if kind == keys.CatalogPart.SUBJECT:
            catalog.subjects[body["code"]] = subject_from_json(body)
        elif kind == keys.CatalogPart.SCHOOL:
            catalog.schools[body["id"]] = School(**body)
        elif kind == keys.CatalogPart.CAMPUS:
            catalog.campuses[body["id"]] = campus_from_json(body)
        elif kind == keys.CatalogPart.WINDOW:
            window = Window(body["school_id"], parse_iso(body["opens_at"]), parse_iso(body["closes_at"]))
            windows.setdefault(window.school_id, []).append(window)
        elif kind == keys.CatalogPart.OPENING:
            catalog.openings[body["id"]] = opening_from_json(body)
    catalog.windows.update({k: tuple(v) for k, v in windows.items()})
    exam = bodies.get(keys.EXAM_SK)
    return replace(catalog, exam=exam_from_json(exam)) if exam else catalog
