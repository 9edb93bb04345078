"""Every key of the table, byte for byte as docs/data-model.md documents it (existing items must
still be found), built only in the key modules (chalicelib/storage/keys.py, keys_ops.py,
keys_room_plan.py), and read back by their parsers."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.identity import IdType, ProtectedId, candidate_key
from chalicelib.domain.orders import OrderStatus
from chalicelib.domain.recovery import CodePurpose
from chalicelib.domain.registration import ChosenSubject, SubjectStatus, slot_of
from chalicelib.domain.reviews import ReviewStatus
from chalicelib.domain.sitting import ExamSitting, SittingOfYear
from chalicelib.storage import keys, keys_ops, keys_room_plan

ROOT = Path(__file__).resolve().parents[2]
DATA_MODEL = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
KEY_MODULES = (keys, keys_ops, keys_room_plan)

AT = datetime(2026, 3, 1, 1, 2, 3, 456789, tzinfo=UTC)  # 09:02:03.456789 in Beijing
AT_ISO = "2026-03-01T09:02:03+08:00"
AT_PRECISE = "2026-03-01T09:02:03.456789+08:00"
DIGEST = "v1:0f3a9c"  # `<key version>:<HMAC>` (decision 0013)


def documented(template: str, **values: str) -> str:
    """A key format of docs/data-model.md with its placeholders (whole `#`-separated parts) filled;
    in a snippet of the page (`PK` / `SK`), the key that has the placeholders."""
    named = [part for part in template.split("`") if set(part.split("#")) & set(values)]
    return "#".join(values.get(part, part) for part in (named or [template])[0].split("#"))


SITTING = ExamSitting(2026, SittingOfYear.JUNE, AT, AT)


def hold(shard: int | None) -> ChosenSubject:
    return ChosenSubject("CJT4", SubjectKind.ORAL, 4, 2000, SubjectStatus.UNPAID, AT, AT, "h1", "NJU-XL", False, shard)


# (the format as docs/data-model.md writes it, its placeholders filled, the builder, its arguments)
FORMATS: list[tuple[str, dict[str, str], Callable[..., Any], tuple[Any, ...]]] = [
    # 1, 47: the catalog
    ("SUBJECT#code", {"code": "CET4"}, keys.subject_part_sk, ("CET4",)),
    ("SCHOOL#id", {"id": "NJU"}, keys.school_part_sk, ("NJU",)),
    ("CAMPUS#id", {"id": "NJU-XL"}, keys.campus_part_sk, ("NJU-XL",)),
    ("WINDOW#school#n", {"school": "NJU", "n": "2"}, keys.window_part_sk, ("NJU", 2)),
    ("WINDOW#school#", {"school": "NJU"}, keys.window_parts_prefix, ("NJU",)),
    ("CATALOG` / `OPENING#id", {"id": "Q1"}, keys.opening_part_sk, ("Q1",)),
    # 2: the seat counters
    ("SEATS#campus#subject#n", {"campus": "NJU-XL", "subject": "CJT4", "n": "3"}, keys.seats_pk, ("NJU-XL", "CJT4", 3)),
    ("SEATS#campus#subject", {"campus": "NJU-XL", "subject": "CJT4"}, keys.unsharded_seats_pk, ("NJU-XL", "CJT4")),
    # 3, 4: the roll and the score records
    ("ROLL#id_type#digest", {"id_type": "resident_id", "digest": DIGEST}, keys.roll_pk, (IdType.RESIDENT_ID, DIGEST)),
    ("TICKET#ticket", {"ticket": "241320012345"}, keys.ticket_pk, ("241320012345",)),
    # 5-8, 30
    ("LOGIN#login", {"login": "13800000000"}, keys.login_pk, ("13800000000",)),
    ("ACCOUNT#id", {"id": "acc-0"}, keys.account_pk, ("acc-0",)),
    ("SESSION#sha256(token)", {"sha256(token)": "9b1e"}, keys.session_pk, ("9b1e",)),
    ("CAPTCHA#id", {"id": "c1"}, keys.captcha_pk, ("c1",)),
    ("THROTTLE#key#window_end", {"key": "codes-to", "window_end": "1772326923"}, keys.throttle_pk, ("codes-to", AT)),
    # 9, 10: reviews
    ("REVIEWS#school#status", {"school": "NJU", "status": "pending"}, keys.reviews_pk, ("NJU", ReviewStatus.PENDING)),
    ("submitted_at#id", {"submitted_at": AT_ISO, "id": "acc-0"}, keys.review_order_sk, (AT, "acc-0")),
    # 11, 34, 43: the candidate's partition
    ("CANDIDATE#id_type#digest", {"id_type": "passport", "digest": DIGEST}, keys.candidate_pk, (f"passport#{DIGEST}",)),
    # 13, 16: subjects and holds
    ("SUBJECT#kind#level", {"kind": "oral", "level": "4"}, keys.subject_sk, (slot_of(SubjectKind.ORAL, 4),)),
    ("HOLDS#campus#subject", {"campus": "NJU-XL", "subject": "CJT4"}, keys.holds_pk, ("NJU-XL", "CJT4")),
    ("pay_by#hold_id", {"pay_by": AT_ISO, "hold_id": "h1"}, keys.hold_order_sk, (AT, "h1")),
    ("pay_by#hold_id", {"pay_by": "None", "hold_id": "h1"}, keys.hold_order_sk, (None, "h1")),
    # 15: releases
    ("RELEASE#hold_id", {"hold_id": "h1"}, keys.release_pk, ("h1",)),
    # 18: the expiry queue
    ("DUE#<shard of the account>", {"<shard of the account>": "7"}, keys.due_pk, (7,)),
    ("due#account#what", {"due": AT_ISO, "account": "acc-0", "what": "oral#4"}, keys.due_sk, (AT, "acc-0", "oral#4")),
    # 20-24, 26, 27: orders
    ("ORDER#id", {"id": "o1"}, keys.order_pk, ("o1",)),
    ("OPENORDERS#<shard>", {"<shard>": "9"}, keys.open_orders_pk, (9,)),
    ("REFUNDS#<shard>", {"<shard>": "9"}, keys.refunds_pk, (9,)),
    ("LATE#school", {"school": "NJU"}, keys.late_pk, ("NJU",)),
    ("LATE#school` / `ORDER#order", {"order": "o1"}, keys.late_sk, ("o1",)),
    (
        "ORDER#<created_at>#<order_id>",
        {"<created_at>": AT_PRECISE, "<order_id>": "o1"},
        keys.order_entry_sk,
        (AT, "o1"),
    ),
    ("ORDERNO#<number>", {"<number>": "2026030112345678"}, keys.order_number_pk, ("2026030112345678",)),
    # 25, 42: the province's records
    ("DATAKEY#id", {"id": "dk1"}, keys_ops.data_key_pk, ("dk1",)),
    ("LOAD#<load id>", {"<load id>": "l1"}, keys_ops.load_pk, ("l1",)),
    # 29: one-time codes, and the decoy of a reset for no account
    ("CODE#reset", {}, keys.code_sk, (CodePurpose.PASSWORD_RESET,)),
    ("CODE#login", {}, keys.code_sk, (CodePurpose.LOGIN_CHANGE,)),
    ("CODE#activation", {}, keys.code_sk, (CodePurpose.ACTIVATION,)),
    ("DECOY#<code digest>", {"<code digest>": DIGEST}, keys.decoy_pk, (DIGEST,)),
    # 31: the outbox
    ("OUTBOX#<event id>", {"<event id>": "seat_offered"}, keys.outbox_pk, ("seat_offered",)),
    ("OUTBOX#<0-3>", {"<0-3>": "3"}, keys.outbox_due_pk, (3,)),
    # 33-36: openings and their queue
    ("OPENING#id` / `SEED", {"id": "Q1"}, keys.opening_pk, ("Q1",)),
    ("QUEUE#opening", {"opening": "Q1"}, keys.queue_sk, ("Q1",)),
    ("QUEUE#opening#<0…31>", {"opening": "Q1", "<0…31>": "23"}, keys.queue_shard_pk, ("Q1", 23)),
    ("QUEUE#opening#PLACE#<place>", {"opening": "Q1", "<place>": "42"}, keys.queue_place_sk, ("Q1", 42)),
    ("J#joined_at#account", {"joined_at": AT_PRECISE, "account": "acc-0"}, keys.arrival_sk, (AT, "acc-0")),
    ("P#<place, 10 digits>", {"<place, 10 digits>": "0000000042"}, keys.place_sk, (42,)),
    ("LEASE#ADMIT#opening", {"opening": "Q1"}, keys.lease_pk, ("ADMIT#Q1",)),
    # 37-39: the waiting list and pending seats
    ("WAIT#<level>", {"<level>": "6"}, keys.waitlist_entry_sk, (6,)),
    ("WAITLIST#campus#subject", {"campus": "NJU-XL", "subject": "CJT4"}, keys.waitlist_pk, ("NJU-XL", "CJT4")),
    (
        "joined_at (µs)#account",
        {"joined_at (µs)": AT_PRECISE, "account": "acc-0"},
        keys.waitlist_order_sk,
        (AT, "acc-0"),
    ),
    ("PENDING#<released hold_id>", {"<released hold_id>": "h1"}, keys.pending_seat_pk, ("h1",)),
    ("PENDING#raise-…", {"raise-…": "raise-5c0d"}, keys.pending_seat_pk, ("raise-5c0d",)),
    ("released_at#offer_id", {"released_at": AT_ISO, "offer_id": "h1"}, keys.pending_order_sk, (AT, "h1")),
    # 45, 51: the overview's counters
    ("FIGURES#<crc32(account) % 16>", {"<crc32(account) % 16>": "7"}, keys_ops.figure_pk, (7,)),
    ("SAVED#<Beijing hour>", {"<Beijing hour>": "2026-03-01T09:00:00+08:00"}, keys_ops.saved_sk, (AT,)),
    ("ORDERS#<status>", {"<status>": "paid"}, keys_ops.orders_sk, (OrderStatus.PAID,)),
    ("PAID#<campus>#<subject>", {"<campus>": "NJU-XL", "<subject>": "CJT4"}, keys_ops.paid_sk, ("NJU-XL", "CJT4")),
    ("REVIEWS#<school>", {"<school>": "NJU"}, keys_ops.reviews_sk, ("NJU",)),
    # 49: the change log
    (
        "<at to the µs>#<random>",
        {"<at to the µs>": AT_PRECISE, "<random>": "a1b2c3d4"},
        keys_ops.change_sk,
        (AT, "a1b2c3d4"),
    ),
    # 52-55: the sitting's seed, the room plan, the ticket on the student's written subject
    ("SITTING#<year>-<sitting>", {"<year>-<sitting>": "2026-1"}, keys_room_plan.sitting_pk, (SITTING,)),
    (
        "ROOMPLAN#<campus>#<subject>",
        {"<campus>": "NJU-XL", "<subject>": "CET4"},
        keys_room_plan.plan_group_pk,
        ("NJU-XL", "CET4"),
    ),
    ("SITTER#<account>", {"<account>": "acc-0"}, keys_room_plan.sitter_sk, ("acc-0",)),
    ("SEAT#<room>#<seat>", {"<room>": "007", "<seat>": "03"}, keys_room_plan.plan_seat_sk, (7, 3)),
    ("SEAT#<room>#", {"<room>": "007"}, keys_room_plan.plan_room_prefix, (7,)),
    ("SUBJECT#written#<level>", {"<level>": "6"}, keys.written_subject_sk, (6,)),
    (
        "in `gsi1` `ROOMPLAN`, sorted by `campus#subject`",
        {"campus": "NJU-XL", "subject": "CET4"},
        keys_room_plan.plan_group_order_sk,
        ("NJU-XL", "CET4"),
    ),
]

# The keys that are one word, as docs/data-model.md writes them (`CATALOG` / `PROVINCE`, …)
CONSTANTS = {
    "CATALOG": keys.CATALOG_PK,
    "PROVINCE": keys.PROVINCE_SK,
    "IDENTITY": keys.IDENTITY_SK,
    "IDENTITY-PENDING": keys.IDENTITY_PENDING_SK,
    "EXAM": keys.EXAM_SK,
    "ROLL": keys.ROLL_SK,
    "CET4": keys.CET4_SK,
    "LOGIN": keys.LOGIN_SK,
    "SESSION": keys.SESSION_SK,
    "CAPTCHA": keys.CAPTCHA_SK,
    "THROTTLE": keys.THROTTLE_SK,
    "ACCOUNT": keys.ACCOUNT_SK,
    "REVIEW": keys.REVIEW_SK,
    "REGISTRATION": keys.REGISTRATION_SK,
    "OPENORDER": keys.OPENORDER_SK,
    "BINDING": keys.BINDING_SK,
    "SEATS": keys.SEATS_SK,
    "RELEASE": keys.RELEASE_SK,
    "PENDING": keys.PENDING_SK,
    "HEAD": keys.HEAD_SK,
    "ORDER": keys.ORDER_SK,
    "ORDERNO": keys.ORDERNO_SK,
    "SEED": keys.SEED_SK,
    "PROGRESS": keys.PROGRESS_SK,
    "LEASE": keys.LEASE_SK,
    "MESSAGE": keys.MESSAGE_SK,
    "LATE": keys_ops.LATE_SK,
    "LOAD": keys_ops.LOAD_SK,
    "DATAKEY": keys_ops.DATAKEY_SK,
    "CHANGES": keys_ops.CHANGES_PK,
    "CHANGES-SETTLED": keys_ops.CHANGES_SETTLED_PK,
    "MARK": keys_ops.MARK_SK,
    "ROOMPLAN": keys_room_plan.PLAN_RUN_PK,
    "RUN": keys_room_plan.RUN_SK,
    "GROUP": keys_room_plan.GROUP_SK,
}

# The prefixes of `begins_with` queries and one-word index keys, as the page writes them
PREFIXES = [
    ('`ACCOUNT#id`, `begins_with(sk, "{}")`', keys.WAITLIST_ENTRIES_PREFIX),
    ('one query `begins_with(sk, "{}")`', keys.ORDER_ENTRIES_PREFIX),
    ("`begins_with({})` (arrivals)", keys.ARRIVALS_PREFIX),
    ("the highest `{}`", keys.PLACES_PREFIX),
    ("in `gsi1` `{}` by release time", keys.PENDING_SEATS),
    ('the sitters `begins_with(sk, "{}")`', keys_room_plan.SITTERS_PREFIX),
    ('the seats `begins_with(sk, "{}")`', keys_room_plan.PLAN_SEATS_PREFIX),
    ("in `gsi1` `{}`, sorted by", keys_room_plan.PLAN_GROUPS),
]

# Shards are part of a key: a hash or a count that changed would lose every item written before.
SHARDS: list[tuple[Callable[[str], int], str, int]] = [
    (keys_ops.figure_shard, "acc-0", 7),
    (keys.queue_shard_of, "acc-0", 23),
    (keys.outbox_shard, "event-0", 3),
]

# (parser, what it reads, what it gives back)
PARSERS: list[tuple[Callable[..., Any], tuple[Any, ...], Any]] = [
    (keys.value_of, (keys.account_pk("acc-0"), keys.account_pk), "acc-0"),
    (keys.value_of, (keys.candidate_pk(f"passport#{DIGEST}"), keys.candidate_pk), f"passport#{DIGEST}"),
    (
        keys.candidate_of_roll,
        (keys.roll_pk(IdType.PASSPORT, DIGEST),),
        candidate_key(IdType.PASSPORT, ProtectedId(DIGEST, "", "")),
    ),
    (keys.value_of, (keys.pending_seat_pk("raise-5c0d"), keys.pending_seat_pk), "raise-5c0d"),
    (keys.value_of, (keys.outbox_pk("seat_offered#acc-0#h1"), keys.outbox_pk), "seat_offered#acc-0#h1"),
    (keys.seat_shard_of, (keys.seats_pk("NJU-XL", "CJT4", 11), "NJU-XL", "CJT4"), 11),
    (keys.part_of, (keys.subject_part_sk("CET4"),), keys.CatalogPart.SUBJECT),
    (keys.part_of, (keys.school_part_sk("NJU"),), keys.CatalogPart.SCHOOL),
    (keys.part_of, (keys.campus_part_sk("NJU-XL"),), keys.CatalogPart.CAMPUS),
    (keys.part_of, (keys.window_part_sk("NJU", 0),), keys.CatalogPart.WINDOW),
    (keys.part_of, (keys.opening_part_sk("Q1"),), keys.CatalogPart.OPENING),
    (keys.part_of, (keys.PROVINCE_SK,), keys.PROVINCE_SK),
    (keys.part_of, (keys.EXAM_SK,), keys.EXAM_SK),
    (keys_ops.figure_of, (keys_ops.saved_sk(AT),), (keys_ops.Figure.SAVED, "2026-03-01T09:00:00+08:00")),
    (keys_ops.figure_of, (keys_ops.orders_sk(OrderStatus.OPEN),), (keys_ops.Figure.ORDERS, "open")),
    (keys_ops.figure_of, (keys_ops.paid_sk("NJU-XL", "CJT4"),), (keys_ops.Figure.PAID, "NJU-XL#CJT4")),
    (keys_ops.figure_of, (keys_ops.reviews_sk("NJU"),), (keys_ops.Figure.REVIEWS, "NJU")),
    (keys_ops.figure_of, (keys_ops.LATE_SK,), (keys_ops.Figure.LATE, "")),
    (keys_ops.campus_subject_of, (keys_ops.figure_of(keys_ops.paid_sk("NJU-XL", "CJT4"))[1],), ("NJU-XL", "CJT4")),
]


@pytest.mark.parametrize(
    ("template", "values", "builder", "args"), FORMATS, ids=[f"{b.__name__}:{t}" for t, _, b, _ in FORMATS]
)
def test_data_model_each_key_is_built_byte_for_byte_as_documented(
    template: str, values: dict[str, str], builder: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    assert template in DATA_MODEL, f"{template} is not a format of docs/data-model.md"
    assert builder(*args) == documented(template, **values)


@pytest.mark.parametrize(("written", "constant"), CONSTANTS.items())
def test_data_model_each_one_word_key_is_documented(written: str, constant: str) -> None:
    assert f"`{written}`" in DATA_MODEL
    assert constant == written


@pytest.mark.parametrize(("written", "prefix"), PREFIXES)
def test_data_model_each_query_prefix_is_the_documented_one(written: str, prefix: str) -> None:
    assert written.format(prefix) in DATA_MODEL


@pytest.mark.parametrize(("shard_of", "name", "shard"), SHARDS, ids=[f.__name__ for f, _, _ in SHARDS])
def test_data_model_shards_stay_where_existing_items_were_written(
    shard_of: Callable[[str], int], name: str, shard: int
) -> None:
    assert shard_of(name) == shard


@pytest.mark.parametrize(("parser", "args", "read"), PARSERS, ids=[p.__name__ for p, _, _ in PARSERS])
def test_data_model_each_parser_reads_back_what_its_builder_wrote(
    parser: Callable[..., Any], args: tuple[Any, ...], read: Any
) -> None:
    assert parser(*args) == read


def test_r_wait_2_a_counter_of_another_campus_or_subject_is_no_shard_of_this_one() -> None:
    for counter in (keys.seats_pk("NJU-GL", "CJT4", 1), keys.seats_pk("NJU-XL", "CJT6", 1)):
        with pytest.raises(ValueError, match="is not a seat counter shard"):
            keys.seat_shard_of(counter, "NJU-XL", "CJT4")
    with pytest.raises(ValueError, match="is not a seat counter shard"):
        keys.seat_shard_of(keys.unsharded_seats_pk("NJU-XL", "CJT4"), "NJU-XL", "CJT4")


def test_decision_0019_a_hold_counts_on_its_own_shard_and_one_stored_without_a_shard_on_shard_0() -> None:
    assert keys.counter_key(hold(5)) == "SEATS#NJU-XL#CJT4#5"
    assert keys.counter_key(hold(None)) == "SEATS#NJU-XL#CJT4#0"
    assert keys.counters_of("NJU-XL", "CJT4", 3) == [f"SEATS#NJU-XL#CJT4#{n}" for n in range(3)]
    assert keys.counters_of("NJU-XL", "CJT4", 0) == ["SEATS#NJU-XL#CJT4#0"]  # a catalog before shards


def test_data_model_24_open_orders_and_refunds_queue_by_order_shard_and_creation_time() -> None:
    assert "`gsi1sk = created_at#order_id`" in DATA_MODEL
    assert keys.order_queue_keys(keys.open_orders_pk, AT, "order-0") == ("OPENORDERS#9", f"{AT_ISO}#order-0")
    assert keys.order_queue_keys(keys.refunds_pk, AT, "order-0") == ("REFUNDS#9", f"{AT_ISO}#order-0")


def test_data_model_18_only_what_falls_due_is_in_the_expiry_queue() -> None:
    assert keys.due_keys("acc-0", None, "oral#4") == (None, None)
    assert keys.due_keys("acc-0", AT, keys.REGISTRATION_SK) == ("DUE#7", f"{AT_ISO}#acc-0#REGISTRATION")


def test_data_model_45_a_registration_counts_in_the_beijing_hour_it_was_saved_in() -> None:
    assert keys_ops.hour_of(AT) == datetime(2026, 3, 1, 9, tzinfo=timezone(timedelta(hours=8)))


def test_data_model_every_function_of_the_key_modules_is_pinned_here() -> None:
    """A key added without its documented format here fails: the page and the modules stay one."""
    pinned = {(builder.__module__, builder.__name__) for _, _, builder, _ in FORMATS}
    pinned |= {(parser.__module__, parser.__name__) for parser, _, _ in PARSERS}
    pinned |= {(shard_of.__module__, shard_of.__name__) for shard_of, _, _ in SHARDS}
    pinned |= {(keys.__name__, name) for name in ("counter_key", "counters_of", "due_keys", "order_queue_keys")}
    pinned |= {(keys_ops.__name__, "hour_of")}
    defined = {
        (module.__name__, name)
        for module in KEY_MODULES
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
    }
    assert defined - pinned == set()
    one_word = {
        value
        for module in KEY_MODULES
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str)
    }
    assert one_word - {*CONSTANTS.values(), *(prefix for _, prefix in PREFIXES)} == set()


# An f-string or a literal that starts like a key: `f"ORDER#{…}"`, `"OUTBOX#"`.
KEY_LIKE = re.compile(r"^[A-Z][A-Z0-9_-]*#")
# The admission job's lease name (`LEASE#ADMIT#<opening>`, pattern 35): the service names its lease
# through its port and never imports storage; storage/keys.py adds `LEASE#`. Nothing else: a key
# built anywhere but the key modules fails the scan.
NOT_KEYS = {("services/waiting_room_admission.py", "ADMIT#")}


def key_literals(source: str) -> list[str]:
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            match = KEY_LIKE.match(node.value)
            if match:
                found.append(match.group(0))
    return found


def test_data_model_no_module_but_the_key_modules_builds_or_reads_a_key() -> None:
    """Only the key modules build keys (design/style.md): an `f"X#…"` elsewhere is a second data model."""
    allowed = {Path(str(module.__file__)).resolve() for module in KEY_MODULES}
    assert allowed == {
        ROOT / "chalicelib" / "storage" / name for name in ("keys.py", "keys_ops.py", "keys_room_plan.py")
    }
    twins = [
        (str(path.relative_to(ROOT / "chalicelib")), literal)
        for path in sorted((ROOT / "chalicelib").rglob("*.py"))
        if path.resolve() not in allowed
        for literal in key_literals(path.read_text(encoding="utf-8"))
        if (str(path.relative_to(ROOT / "chalicelib")), literal) not in NOT_KEYS
    ]
    assert twins == []


def test_data_model_the_scan_sees_a_key_built_or_read_in_any_form() -> None:
    source = 'a = f"ORDER#{x}"\nb = y.removeprefix("OUTBOX#")\nc = f"{z}#CAMPUS"\n'
    assert key_literals(source) == ["ORDER#", "OUTBOX#"]
    assert key_literals('"""ACCOUNT#<id> / CODE#<purpose>: documented, not built."""\n') == []
