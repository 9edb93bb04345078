"""Load a province into its stage's table (R-OPS-3), all or nothing, showing progress.

    TABLE_NAME=cet-registration-jiangsu python -m province load --catalog catalog.json \\
        [--roll roll.csv|.xlsx] [--scores scores.csv|.xlsx] [--staff staff.csv|.xlsx] [--prune] \\
        [--file-wins]

The catalog file is the dataset JSON without its roll, score records and staff (a whole dataset
JSON loads too). Every file is checked row by row first, none of them kept in memory; nothing is
written unless all of them are good. Then the rows are read again and written: catalog and seat
counters, staff (each new one gets a staff_activation code), roll, score records, and a load
record marked complete. Run it again after a stop: it completes the same load.

A school's windows, an oral capacity or a notice the province administrator changed (PUT /admin/...)
since a load last ran with --file-wins keeps the table's value; each one kept is printed with the
file's value. With --file-wins the file's values are written instead, each one overridden printed.
With
AWS_ENDPOINT_URL_DYNAMODB unset, the real DynamoDB of the configured region and credentials is used.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.identity import Conversion
from chalicelib.domain.province import ProvinceData, ProvinceLoad, Rows
from province.dataset import DatasetError, load_dataset
from province.progress import Shown
from province.rows import ROLL, SCORES, STAFF, SheetCheck, SheetKind, check_sheet, read_sheet
from province.sheets import UnreadableSheet, is_xlsx, xlsx_as_csv

if TYPE_CHECKING:
    from chalicelib.services.province import LoadOutcome

T = TypeVar("T")
CHUNK = 1 << 20

KIND_NAMES = {
    "roll": "学籍记录",
    "cet4": "四级成绩记录",
    "cet4_scores": "四级成绩记录",
    "review": "复核申请",
    "registration": "报名信息",
    "binding": "证件绑定",
    "order": "订单",
}


def tell_conversion(conversion: Conversion | None) -> None:
    """Say what converting the table's ID numbers changed (decision 0013), if it was due."""
    if conversion is None:
        return
    why = "表中仍有明文证件号码（旧格式）" if conversion.old_form else "表中证件号码摘要使用旧版本密钥"
    done = "，".join(f"{KIND_NAMES.get(kind, kind)} {count} 条" for kind, count in sorted(conversion.converted.items()))
    print(f"{why}，已转换为新格式：{done or '无需改动的记录'}。", flush=True)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m province load", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", "--dataset", dest="catalog", type=Path, required=True)
    parser.add_argument("--roll", type=Path, help="学籍：CSV（UTF-8 或 GB18030）或 XLSX")
    parser.add_argument("--scores", type=Path, help="四级成绩：CSV 或 XLSX")
    parser.add_argument("--staff", type=Path, help="工作人员：CSV 或 XLSX（登录名、角色、学校代码）")
    parser.add_argument("--prune", action="store_true", help="删除不在学籍文件中、且未被报名绑定的学籍记录")
    parser.add_argument(
        "--file-wins",
        action="store_true",
        help="以文件为准：写入文件中的报名时间、口试容量与公告，覆盖省级管理员此前的修改（逐项列出）",
    )
    parser.add_argument("--create-table", action="store_true", help="create the table first if it is missing")
    return parser.parse_args(argv)


def load_id(args: argparse.Namespace) -> str:
    """The files' contents (and --prune) name the load: the same files again are the same load."""
    digest = hashlib.sha256(b"prune" if args.prune else b"keep")
    for name in ("catalog", "roll", "scores", "staff"):
        path: Path | None = getattr(args, name)
        digest.update(f"\n{name}:".encode())
        if path is not None:
            with path.open("rb") as file:
                while chunk := file.read(CHUNK):
                    digest.update(chunk)
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Checked:
    """The first pass's verdict: the load to write, or the problems found."""

    job: ProvinceLoad | None
    problems: list[str]


def _sheet_rows(given: Path, kind: SheetKind[T], catalog: Catalog, checks: list[SheetCheck], scratch: Path) -> Rows[T]:
    path = given
    if is_xlsx(given):
        try:
            path = xlsx_as_csv(given, scratch)  # the XML parsed once for both passes
        except UnreadableSheet as unreadable:
            failed = SheetCheck(given)
            failed.fail(unreadable.problem.line, "文件", unreadable.problem.message)
            checks.append(failed)
            return Rows(0, tuple)
    found = check_sheet(path, kind, catalog, shown_as=given)
    checks.append(found)
    return Rows(found.rows, lambda: read_sheet(path, kind, catalog))


def check_files(args: argparse.Namespace, scratch: Path) -> Checked:
    """Pass 1: the catalog, then every spreadsheet row by row (an XLSX first made a CSV in
    `scratch`, which lives as long as the load)."""
    try:
        data: ProvinceData = load_dataset(args.catalog, catalog_file=True)
    except DatasetError as bad:
        return Checked(None, [f"{args.catalog}:{p.line}: {p.field}: {p.message}" for p in bad.problems])
    catalog = data.catalog
    clashes = [
        f"{args.catalog}:1: {section}: 目录文件已含 {section}，不能再用 --{option} 给出"
        for section, option, held in (("roll", "roll", data.roll), ("cet4_scores", "scores", data.cet4_scores))
        if held and getattr(args, option) is not None
    ]
    if data.staff and args.staff is not None:
        clashes.append(f"{args.catalog}:1: staff: 目录文件已含 staff，不能再用 --staff 给出")
    if clashes:
        return Checked(None, clashes)
    checks: list[SheetCheck] = []
    job = ProvinceLoad(
        load_id=load_id(args),
        catalog=catalog,
        staff=data.staff,
        roll=_sheet_rows(args.roll, ROLL, catalog, checks, scratch)
        if args.roll
        else Rows(len(data.roll), lambda: data.roll),
        scores=(
            _sheet_rows(args.scores, SCORES, catalog, checks, scratch)
            if args.scores
            else Rows(len(data.cet4_scores), lambda: data.cet4_scores)
        ),
        prune=args.prune,
        file_wins=args.file_wins,
        files=tuple(p.name for p in (args.catalog, args.roll, args.scores, args.staff) if p is not None),
    )
    if args.roll is None and not data.roll:
        job = replace(job, roll=None)  # no roll given: the table's is left as it is
    if args.scores is None and not data.cet4_scores:
        job = replace(job, scores=None)
    if args.staff is not None:
        staff = check_sheet(args.staff, STAFF, catalog)
        checks.append(staff)
        if not staff.problems:
            job = replace(job, staff=tuple(read_sheet(args.staff, STAFF, catalog)))  # a few hundred rows
    problems = [line for check in checks for line in check.shown or ()]
    hidden = sum(check.problems for check in checks) - len(problems)
    if hidden:
        problems.append(f"……另有 {hidden} 处问题未列出")
    if args.prune and job.roll is None:
        problems.append(f"{args.catalog}:1: roll: --prune 需要学籍文件（--roll）")
    return Checked(None if problems else job, problems)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    with tempfile.TemporaryDirectory(prefix="province-load-") as scratch:
        return run(args, Path(scratch))


def run(args: argparse.Namespace, scratch: Path) -> int:
    try:
        checked = check_files(args, scratch)
    except OSError as error:
        print(f"{error.filename}: 无法读取（{error.strerror}）", file=sys.stderr)
        return 1
    if checked.job is None:
        print("数据有误，未写入任何数据：", file=sys.stderr)
        print("\n".join(checked.problems), file=sys.stderr)
        return 1
    job = checked.job

    from chalicelib.bootstrap import CLOCK, MissingSetting, services
    from chalicelib.config import settings
    from chalicelib.domain.errors import IdentityKeyUnavailable
    from chalicelib.domain.reload import QueueOpened, SittingFixed
    from chalicelib.services.province import load
    from chalicelib.storage.tables import bind_table, create_table

    config = settings()
    create_table(config) if args.create_table else bind_table(config)
    built = services()
    counts = "，".join(f"{KIND_NAMES[name]} {rows.count} 行" for name, rows in job_rows(job).items())
    print(f"载入 {job.catalog.province.name} 到表 {config.table_name}（{counts or '仅目录'}）：", flush=True)
    shown = Shown()
    try:
        outcome = load(built.loading, job, CLOCK.now(), shown.progress)
    except KeyboardInterrupt:
        print("\n已中断：以同样的文件再运行一次即可补全这次载入。", file=sys.stderr)
        return 130
    except MissingSetting as missing:
        print(f"未设置 {missing}：真实的表只能用本省的身份密钥与 KMS 密钥载入（见 docs/deploy.md）。", file=sys.stderr)
        return 1
    except (IdentityKeyUnavailable, SittingFixed, QueueOpened) as refused:  # refused before anything is written
        print(f"未载入：{refused}", file=sys.stderr)
        return 1
    tell_conversion(outcome.conversion)
    tell_changes(outcome)
    if outcome.resumed:
        print("上次以同样的文件载入时中途停止：本次已补全。")
    for line in shown.summary():
        print(line)
    staff = outcome.staff
    print(f"工作人员：新建 {staff.created} 个账号，发送激活码 {staff.codes_sent} 条，已激活 {staff.active} 个。")
    if staff.refused:
        print(f"未建立（登录名已被考生账号使用）：{len(staff.refused)} 个。", file=sys.stderr)
    if outcome.pruned is not None:
        print(f"已删除不在学籍文件中且未被绑定的学籍记录 {outcome.pruned} 条。")
    print("完成。")
    return 0


def tell_changes(outcome: LoadOutcome) -> None:
    """R-OPS-2: every change of the administrator kept, or written over with --file-wins."""
    reloaded = outcome.reloaded
    for found in reloaded.differing if reloaded else ():
        if reloaded and reloaded.file_wins:
            print(f"以文件为准，覆盖管理员的修改：{found.target} {found.file}（管理员改为 {found.table}）", flush=True)
        else:
            print(f"保留管理员的修改：{found.target} {found.table}（文件中为 {found.file}）", flush=True)
    if outcome.changed_meanwhile:
        named = "、".join(sorted(outcome.changed_meanwhile))
        print(f"载入目录期间管理员修改了 {named}：表中的值可能已被文件的值覆盖，请在变更记录中核对。", file=sys.stderr)


def job_rows(job: ProvinceLoad) -> dict[str, Rows[object]]:
    found: dict[str, Rows[object]] = {}
    if job.roll is not None:
        found["roll"] = job.roll  # type: ignore[assignment]
    if job.scores is not None:
        found["cet4_scores"] = job.scores  # type: ignore[assignment]
    return found


if __name__ == "__main__":
    sys.exit(main())
