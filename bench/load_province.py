"""The province's loader at full scale (R-OPS-3) against a bare parallel BatchWriteItem.

    .venv/bin/python -m bench.load_province --rows 100000 [--scores 50000] [--xlsx]

It starts a DynamoDB Local of its own for each measurement unless DYNAMODB_LOCAL_ENDPOINT names
one (DynamoDB Local slows down as it fills, so a shared one favours whoever goes first). It writes the demo
province's catalog and `--rows` roll rows + `--scores` CET4 score records as CSV (and XLSX with
`--xlsx`), loads them with `python -m province load` in a process of its own (validation pass,
protection of every ID number, writes, load record: the whole run is timed), then writes the same
items into a fresh table with plain boto3 `batch_write_item` calls of 25 from as many threads as
the loader's writer uses, retrying what DynamoDB leaves unprocessed, and nothing else (built
beforehand, only the writes timed): a baseline that is not the loader's own writer. It prints
rows/s of each, `ratio load/batch-write <x>` and the loader process's peak memory (ru_maxrss).
Targets: ratio >= 0.7, peak memory < 200 MB. Not covered: real DynamoDB's per-partition limits
and latencies; one machine for the loader and the database.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from pathlib import Path
from typing import Any

import boto3

from chalicelib.domain.identity import IdType
from chalicelib.domain.roll import RollRow, ScoreRow
from chalicelib.storage.batch import WRITERS, Request, put_requests
from chalicelib.storage.models import TableItem
from devstack import ddb_local
from province.synth_roll import resident_id

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "devstack" / "demo_province.json"
CHUNK = 10_000


def catalog_file(path: Path) -> Path:
    """The demo province's catalog: the dataset JSON without roll, scores and staff."""
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    for section in ("roll", "cet4_scores", "staff"):
        data.pop(section, None)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def roll_rows(count: int) -> Iterator[RollRow]:
    campuses = [("nyit", "nyit-main"), ("dcu", "dcu-beihu"), ("jlnu", "jlnu-main")]
    for n in range(count):
        school, campus = campuses[n % len(campuses)]
        subjects = ("CET4", "CET-SET4") if n % 2 else ("CET4", "CET6", "CET-SET6")
        yield RollRow(IdType.RESIDENT_ID, resident_id(n), f"考生{n}", school, campus, f"S{n:07d}", subjects)


def score_rows(count: int) -> Iterator[ScoreRow]:
    for n in range(count):
        yield ScoreRow(f"39011025{n:07d}", resident_id(n), f"考生{n}", 300 + n % 400, 2015 + n % 10)


def write_files(folder: Path, rows: int, scores: int, xlsx: bool) -> dict[str, Path]:
    from province.export import HEADERS, roll_cells, score_cells, write_csv, write_xlsx

    write = write_xlsx if xlsx else write_csv
    suffix = "xlsx" if xlsx else "csv"
    roll, records = folder / f"roll.{suffix}", folder / f"scores.{suffix}"
    write(roll, HEADERS["roll"], (roll_cells(r) for r in roll_rows(rows)))
    write(records, HEADERS["cet4_scores"], (score_cells(r) for r in score_rows(scores)))
    return {"roll": roll, "scores": records}


def run_loader(catalog: Path, files: dict[str, Path], table: str) -> tuple[float, int, str]:
    """The loader in a process of its own: seconds, its peak RSS (KiB), what it printed."""
    code = (
        "import resource, sys\n"
        "from province.__main__ import main\n"
        "rc = main(sys.argv[1:])\n"
        "print(f'peak_rss_kib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    command = [sys.executable, "-c", code, "load", "--catalog", str(catalog), "--create-table"]
    command += ["--roll", str(files["roll"]), "--scores", str(files["scores"])]
    started = time.perf_counter()
    done = subprocess.run(
        command, env={**os.environ, "TABLE_NAME": table}, capture_output=True, text=True, check=False, cwd=ROOT
    )
    spent = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the loader failed:\n{done.stdout}\n{done.stderr}")
    peak = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("peak_rss_kib"))
    return spent, peak, done.stdout


def bare_batch_write(rows: int, scores: int, table: str) -> float:
    """The same items, built beforehand chunk by chunk, written by plain boto3 BatchWriteItem calls
    from WRITERS threads (the loader's writer's parallelism), unprocessed items sent again: seconds."""
    from chalicelib.bootstrap import load_protection
    from chalicelib.config import settings
    from chalicelib.storage import codec
    from chalicelib.storage.tables import create_table

    os.environ["TABLE_NAME"] = table
    config = settings()
    create_table(config)
    protection = load_protection(config)
    items = (codec.roll_item(row.protected(protection.protect)) for row in roll_rows(rows))
    records = (codec.cet4_item(row.protected(protection.protect)) for row in score_rows(scores))
    client = boto3.client("dynamodb", region_name=config.region, endpoint_url=config.dynamodb_endpoint)

    def send(batch: list[Request]) -> None:
        pending: dict[str, Any] = {table: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    spent = 0.0
    for stream in (items, records):
        while chunk := _take(stream):
            batches = [chunk[n : n + 25] for n in range(0, len(chunk), 25)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=WRITERS) as pool:
                list(pool.map(send, batches))
            spent += time.perf_counter() - started
    return spent


def _take(stream: Iterator[TableItem]) -> list[Request]:
    return list(put_requests(islice(stream, CHUNK)))


@contextlib.contextmanager
def dynamodb(given: str | None) -> Iterator[str]:
    """The endpoint a measurement writes to: the one given, else a DynamoDB Local of its own.
    DynamoDB Local slows down as it holds more items, so each measurement gets a fresh one."""
    if given:
        yield given
        return
    with ddb_local.running() as started:
        yield started


def measure(args: argparse.Namespace, given: str | None) -> None:
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.update({"ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1", "IDENTITY_THROWAWAY_KEYS": "1"})
    total = args.rows + args.scores
    print(f"rows: {args.rows} roll + {args.scores} CET4 scores = {total} items")
    print(
        "DynamoDB Local: " + ("the one given (shared by every measurement)" if given else "a fresh one per measurement")
    )
    with tempfile.TemporaryDirectory() as folder:
        catalog = catalog_file(Path(folder) / "catalog.json")
        loads: list[tuple[str, float]] = []
        for xlsx in [False, True] if args.xlsx else [False]:
            kind = "xlsx" if xlsx else "csv"
            started = time.perf_counter()
            files = write_files(Path(folder), args.rows, args.scores, xlsx)
            size = sum(p.stat().st_size for p in files.values()) / 1e6
            print(f"{kind}: files written in {time.perf_counter() - started:.1f} s ({size:.1f} MB)")
            with dynamodb(given) as endpoint:
                os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
                seconds, peak_kib, said = run_loader(catalog, files, f"cet-bench-load-{uuid.uuid4().hex[:8]}")
            rate = total / seconds
            loads.append((kind, rate))
            print(f"{kind} load: {seconds:.1f} s, {rate:,.0f} rows/s, peak memory {peak_kib / 1024:.0f} MB")
            for line in said.splitlines():
                if "行/秒" in line:
                    print(f"  {line}")
        with dynamodb(given) as endpoint:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
            batch_seconds = bare_batch_write(args.rows, args.scores, f"cet-bench-bare-{uuid.uuid4().hex[:8]}")
        batch_rate = total / batch_seconds
        print(f"bare batch-write: {batch_seconds:.1f} s, {batch_rate:,.0f} rows/s")
        for kind, rate in loads:
            print(f"ratio load/batch-write {rate / batch_rate:.2f} ({kind})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--scores", type=int, help="CET4 score records (default: half the rows)")
    parser.add_argument("--xlsx", action="store_true", help="XLSX too, after CSV")
    args = parser.parse_args()
    args.scores = args.rows // 2 if args.scores is None else args.scores
    measure(args, os.environ.get("DYNAMODB_LOCAL_ENDPOINT"))


if __name__ == "__main__":
    main()
