"""The keys of the exam sitting and the room plan (R-ROOM, R-TICKET; docs/data-model.md, patterns
52-55). The sitting's part of the catalog (`EXAM`) and the ticket written onto the student's
subject (`SUBJECT#written#<level>`) are keys of the catalog's and the account's partitions: they
are in storage/keys.py, as `SEED` is (an opening's seed and a sitting's share it). What the key
modules share is in storage/keys.py's docstring.
"""

from __future__ import annotations

from chalicelib.domain.sitting import ExamSitting

# The room plan's seed (pattern 52): `SITTING#<year>-<sitting>` / `SEED` (storage/keys.py's SEED_SK)


def sitting_pk(exam: ExamSitting) -> str:  # one seed per year and sitting, never drawn again
    return f"SITTING#{exam.key}"


# A site and subject's partition (53, 55): its sitters, its seats, its summary
SITTERS_PREFIX = "SITTER#"  # `begins_with` of the sitters
PLAN_SEATS_PREFIX = "SEAT#"  # `begins_with` of the seats given
GROUP_SK = "GROUP"


def plan_group_pk(campus_id: str, subject: str) -> str:
    return f"ROOMPLAN#{campus_id}#{subject}"


def sitter_sk(account_id: str) -> str:  # a paid written subject waiting for, or holding, its seat
    return f"{SITTERS_PREFIX}{account_id}"


def plan_seat_sk(room: int, seat: int) -> str:  # three digits, then two: seats sort by room, then seat
    return f"{PLAN_SEATS_PREFIX}{room:03d}#{seat:02d}"


def plan_room_prefix(room: int) -> str:  # `begins_with` of one room's seats (a sign-in sheet)
    return f"{PLAN_SEATS_PREFIX}{room:03d}#"


# The run (54), and every summary in one GSI1 partition (55)
PLAN_RUN_PK = "ROOMPLAN"
RUN_SK = "RUN"
PLAN_GROUPS = "ROOMPLAN"  # GSI1 pk of every site and subject's summary (`GROUP`)


def plan_group_order_sk(campus_id: str, subject: str) -> str:  # GSI1, under PLAN_GROUPS
    return f"{campus_id}#{subject}"
