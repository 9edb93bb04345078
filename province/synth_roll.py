"""A synthetic roll for a rehearsal of the opening minute, as the province's own spreadsheet.

    .venv/bin/python -m province synth-roll --students 2000 [--catalog FILE.json] [--out DIR] [--xlsx]

Writes `DIR/roll.csv` (or `roll.xlsx`) with the loader's headers (docs/deploy.md, spreadsheets):
`--students` students spread over the campuses of the schools whose registration window is open
now and which hold the written subject, each qualified for it and for its oral subject. Their ID
numbers are valid resident ID numbers of the fictional region 39 (never a real one), their names
考生N. Beside it, `DIR/dataset.json`: the catalog with this roll in place of its own, for the local
stack (`make run DATASET=DIR/dataset.json`). A real stack loads the roll with
`python -m province load --catalog CATALOG --roll DIR/roll.csv`; `province rehearse --roll` then
reads the same file to know its students.

With `--opening-in S`, the dataset also declares an opening of the oral registration at those
campuses (R-QUEUE-1), `rehearsal`: its queue opens S seconds from now, its seats `--queue-seconds`
later, at `--admit-per-minute`; start the local stack before the queue opens (an opening is loaded
only before it, R-QUEUE-3) and the rehearsal once it has, and the students walk through the
waiting room: joined, ordered at random, admitted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib.domain.catalog import Catalog, SubjectKind
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.identity import IdType, gb11643_check_digit
from chalicelib.domain.roll import RollRow
from province.dataset import DatasetError, load_dataset
from province.description import ROOT
from province.export import HEADERS, roll_cells, write_csv, write_xlsx

DEMO = ROOT / "devstack" / "demo_province.json"
OUT = ROOT / "out" / "rehearsal"
REGION = "390102"  # the fictional region of the demo province: no real person has these numbers
MAX_STUDENTS = 10_000_000


def resident_id(n: int) -> str:
    """The n-th of a run of valid, distinct resident ID numbers of region 39 (n < 10,000,000)."""
    day, seq = divmod(n, 999)
    year, day = divmod(day, 336)
    first17 = f"{REGION}{1970 + year:04d}{1 + day // 28:02d}{1 + day % 28:02d}{seq + 1:03d}"
    return first17 + gb11643_check_digit(first17)


@dataclass(frozen=True)
class Place:
    school_id: str
    campus_id: str


def places(catalog: Catalog, written: str, now: datetime) -> list[Place]:
    """The campuses a rehearsal's students can register at now, holding `written`."""
    return [
        Place(campus.school_id, campus.id)
        for campus in sorted(catalog.campuses.values(), key=lambda c: c.id)
        if written in campus.written_subjects and catalog.window_open(campus.school_id, now)
    ]


def oral_of(catalog: Catalog, written: str) -> str | None:
    """The oral subject that needs `written` (R-SUBJ: an oral subject is taken beside its written one)."""
    return next(
        (s.code for s in catalog.subjects.values() if s.kind is SubjectKind.ORAL and s.requires == written), None
    )


def rows(count: int, spread: list[Place], subjects: tuple[str, ...]) -> Iterator[RollRow]:
    for n in range(count):
        place = spread[n % len(spread)]
        yield RollRow(
            IdType.RESIDENT_ID, resident_id(n), f"考生{n}", place.school_id, place.campus_id, f"R{n:08d}", subjects
        )


def dataset_row(row: RollRow) -> dict[str, object]:
    return {
        "id_type": row.id_type.value,
        "id_number": row.id_number,
        "name": row.name,
        "school_id": row.school_id,
        "campus_id": row.campus_id,
        "student_no": row.student_no,
        "qualified_subjects": list(row.qualified_subjects),
        "cet6_barred": row.cet6_barred,
    }


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m province synth-roll", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--students", type=int, required=True, help="how many students (1 to 10,000,000)")
    parser.add_argument("--catalog", type=Path, default=DEMO, help="the province's catalog or dataset JSON")
    parser.add_argument("--out", type=Path, default=OUT, help="the folder to write into (out/rehearsal)")
    parser.add_argument("--xlsx", action="store_true", help="write roll.xlsx instead of roll.csv")
    parser.add_argument("--written", default="CET4", help="the written subject every student holds (CET4)")
    parser.add_argument("--opening-in", type=int, help="an opening whose queue opens in this many seconds")
    parser.add_argument("--queue-seconds", type=int, default=60, help="from the queue's opening to the seats' (60)")
    parser.add_argument("--admit-per-minute", type=int, default=1000, help="the opening's admission rate (1000)")
    return parser.parse_args(argv)


OPENING_HOURS = 2


def opening(spread: list[Place], now: datetime, args: argparse.Namespace) -> dict[str, object]:
    """The rehearsal's opening of the oral registration at the roll's campuses (R-QUEUE-1)."""
    whole_second = now.replace(microsecond=0) + timedelta(seconds=1)  # never earlier than asked
    queue_opens_at = (whole_second + timedelta(seconds=args.opening_in)).astimezone(SHANGHAI)  # as provinces write it
    opens_at = queue_opens_at + timedelta(seconds=args.queue_seconds)
    return {
        "id": "rehearsal",
        "name": "演练：口试集中开放",
        "queue_opens_at": queue_opens_at.isoformat(timespec="seconds"),
        "opens_at": opens_at.isoformat(timespec="seconds"),
        "closes_at": (opens_at + timedelta(hours=OPENING_HOURS)).isoformat(timespec="seconds"),
        "campuses": sorted({p.campus_id for p in spread}),
        "admit_per_minute": args.admit_per_minute,
        "pass_minutes": 15,
    }


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if not 1 <= args.students <= MAX_STUDENTS:
        print(f"--students 应在 1 到 {MAX_STUDENTS} 之间", file=sys.stderr)
        return 2
    if args.opening_in is not None and (args.opening_in < 1 or args.queue_seconds < 1 or args.admit_per_minute < 1):
        print("--opening-in、--queue-seconds、--admit-per-minute 都应为正整数", file=sys.stderr)
        return 2
    try:
        catalog = load_dataset(args.catalog, catalog_file=True).catalog
    except (DatasetError, OSError) as error:
        print(f"目录文件 {args.catalog} 无法读取：{error}", file=sys.stderr)
        return 2
    if args.written not in catalog.subjects:
        print(f"目录中没有科目 {args.written}", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    spread = places(catalog, args.written, now)
    if not spread:
        print(f"目录中没有正在报名、开设 {args.written} 的校区：无法生成名册", file=sys.stderr)
        return 2
    oral = oral_of(catalog, args.written)
    subjects = (args.written, oral) if oral else (args.written,)
    args.out.mkdir(parents=True, exist_ok=True)
    roll = args.out / ("roll.xlsx" if args.xlsx else "roll.csv")
    (write_xlsx if args.xlsx else write_csv)(
        roll, HEADERS["roll"], (roll_cells(r) for r in rows(args.students, spread, subjects))
    )
    dataset = json.loads(args.catalog.read_text(encoding="utf-8"))
    dataset["roll"] = [dataset_row(r) for r in rows(args.students, spread, subjects)]
    if args.opening_in is not None:
        dataset["openings"] = [*dataset.get("openings", []), opening(spread, now, args)]
    (args.out / "dataset.json").write_text(json.dumps(dataset, ensure_ascii=False), encoding="utf-8")
    campuses = "、".join(p.campus_id for p in spread)
    print(f"名册 {roll}：{args.students} 名考生，科目 {'、'.join(subjects)}，分布在 {campuses}")
    print(f"本地站点用 {args.out / 'dataset.json'}（make run DATASET=…）")
    if args.opening_in is not None:
        rehearsal = dataset["openings"][-1]
        queue, seats = rehearsal["queue_opens_at"], rehearsal["opens_at"]
        print(f"口试集中开放 rehearsal：{queue} 开始排队，{seats} 开放名额（北京时间）；")
        print("请在排队开始前启动站点，排队开始后再运行 province rehearse。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
