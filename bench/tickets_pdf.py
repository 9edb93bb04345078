"""How many admission ticket PDFs one core makes a second (R-TICKET-2, issue 20).

    .venv/bin/python -m bench.tickets_pdf [--seconds 20]

Each ticket is a different candidate (name, masked ID, school, campus, room, seat, ticket number,
some with a separate room and extra minutes), signed with an Ed25519 key and rendered with its QR
code on the receipts' font: what `GET /tickets/{subject}/pdf` does besides reading two items. The
process is pinned to one CPU where the system allows it. Prints `tickets: <n> PDFs/s on one core`
and what that means for a province's first hour of printing (docs/decisions/0029).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time
from collections.abc import Iterator
from datetime import datetime

from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.ticket_document import TicketDocument
from chalicelib.tickets.keys import throwaway_ring
from chalicelib.tickets.pdf import render_ticket

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗欧阳司马诸葛"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英晓燕子涵浩然"
SCHOOLS = ("南京大学", "东南大学", "南京航空航天大学", "苏州大学", "江南大学", "中国矿业大学（徐州）")
CAMPUSES = ("鼓楼校区", "仙林校区", "九龙湖校区", "将军路校区", "天赐庄校区", "南湖校区")
SUBJECTS = (("CET4", "英语四级笔试", 1), ("CET6", "英语六级笔试", 2))
EXAM_AT = {
    "CET4": datetime(2026, 12, 19, 9, 0, tzinfo=SHANGHAI),
    "CET6": datetime(2026, 12, 19, 15, 0, tzinfo=SHANGHAI),
}


def realistic_ticket(index: int, rng: random.Random) -> TicketDocument:
    subject, subject_name, code = SUBJECTS[index % 2]
    site = 320001 + index % 40
    room, seat = 1 + (index // 30) % 300, 1 + index % 30
    separate = index % 97 == 0
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 3))))
    return TicketDocument(
        ticket_number=f"{site}262{code}{room:03d}{seat:02d}",
        name=name,
        masked_id=f"{rng.randint(110000, 659999)}{rng.randint(1995, 2008)}{rng.randint(10**7, 10**8 - 1)}",
        school=SCHOOLS[index % len(SCHOOLS)],
        subject=subject,
        subject_name=subject_name,
        exam_at=EXAM_AT[subject],
        exam_minutes=125 if subject == "CET4" else 130,
        site_code=str(site),
        campus_name=CAMPUSES[index % len(CAMPUSES)],
        room=f"{room:03d}",
        seat=f"{seat:02d}",
        room_name=f"教学楼{'ABCD'[index % 4]}{100 + room}" if index % 3 else None,
        separate_room=separate,
        extra_minutes=40 if separate else 0,
    )


@contextlib.contextmanager
def one_core() -> Iterator[None]:
    """The process on one CPU while measuring, as it was after (a caller may run more)."""
    try:
        before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(before)})
    except (AttributeError, OSError):
        yield
        return
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def pdfs_per_second(seconds: float) -> float:
    """Tickets signed and rendered per second, in this thread, for about `seconds`."""
    with one_core():
        return _measured(seconds)


def _measured(seconds: float) -> float:
    signer = throwaway_ring().signer
    rng = random.Random(20)
    render_ticket(realistic_ticket(0, rng), signer.sign(realistic_ticket(0, rng)))  # imports, first font read
    made = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        document = realistic_ticket(made, rng)
        assert render_ticket(document, signer.sign(document)).startswith(b"%PDF-")
        made += 1
    return made / (time.perf_counter() - started)


def spike(rate: float, tickets: int = 1_000_000, first_hour_share: float = 0.2) -> list[str]:
    """What the first hour of printing asks of the API at `rate` PDFs per second per core."""
    lambda_share = 512 / 1769  # the API's 512 MB: 0.29 of a vCPU (decision 0018)
    per_second = tickets * first_hour_share / 3600
    peak = per_second * 3  # the first minutes of the hour, taken at three times its mean
    busy = per_second / (rate * lambda_share)
    return [
        f"spike: {tickets * first_hour_share:,.0f} PDFs in the first hour = {per_second:.0f}/s mean, {peak:.0f}/s peak",
        f"on request: {busy:.0f} API instances busy on PDFs at the mean, {busy * 3:.0f} at the peak "
        f"(reserved concurrency 400); {1 / (rate * lambda_share) * 1000:.0f} ms per PDF at 512 MB",
        f"beforehand: {tickets / rate / 3600:,.1f} core-hours for {tickets:,} PDFs, stored and re-made on any change",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    rate = pdfs_per_second(args.seconds)
    print(f"tickets: {rate:.1f} PDFs/s on one core")
    for line in spike(rate):
        print(line)


if __name__ == "__main__":
    main()
