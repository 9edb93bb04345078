"""Subjects (R-WRIT, R-ORAL), dates (R-DATE-1), payment deadlines (R-PAY-1, R-PAY-3) and seats.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import reset_services
from chalicelib.storage import catalog_items
from chalicelib.storage.models import CatalogPartItem
from chalicelib.storage.transactions import MAX_ATTEMPTS
from devstack.ddb_requests import count_requests
from tests import factories
from tests.ddb_faults import INTERNAL, THROTTLED, conflict, database_answers
from tests.e2e.contract import (
    DAY,
    LI,
    NJU_STAFF,
    NOT_ON_ROLL,
    PASSPORT,
    QIAN,
    REMOVE,
    SUBJECT_OPTION_KEYS,
    SUN,
    UPCOMING,
    WANG,
    ZHANG,
    ZHAO,
    advance,
    assert_registration,
    choose,
    chosen,
    codes,
    colour,
    covers,
    expect,
    look_up,
    mark_paid,
    ok,
    oral_campuses,
    parse_time,
    remove,
    save,
    server_now,
    subject_options,
)
from tests.e2e.http import (
    agreed_student,
    call,
    identity,
    log_in,
    new_login,
    registered,
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


def test_r_writ_1_subject_list_shows_qualification(client: Client) -> None:
    """R-WRIT-1: the province's subjects, each with whether this candidate may take it and why not."""
    token = registered(client, ZHANG)
    options = ok(call(client, "GET", "/subjects", token=token), "GET /subjects")
    assert all(set(o) == SUBJECT_OPTION_KEYS for o in options)
    by_code = {o["code"]: o for o in options}
    assert set(by_code) == {"CET4", "CET6", "CJT4", "CJT6", "CET-SET4", "CET-SET6"}
    assert by_code["CET4"] == {
        "code": "CET4",
        "name": "英语四级",
        "kind": "written",
        "level": 4,
        "fee": 3000,
        "qualified": True,
        "reason": None,
        "exam_at": "2099-12-19T09:00:00+08:00",
        "needs_written": None,
    }
    assert (by_code["CET-SET4"]["qualified"], by_code["CET-SET4"]["fee"]) == (True, 5000)
    for code in ("CET6", "CJT6", "CET-SET6"):
        assert by_code[code]["qualified"] is False, by_code[code]
        assert by_code[code]["reason"], by_code[code]


def test_r_date_1_subjects_carry_their_exam_time_in_beijing_time_or_null(client: Client) -> None:
    """R-DATE-1: every subject of GET /subjects carries `exam_at` (ISO 8601, +08:00) from the
    province's exam schedule, or null where the province gave none."""
    token = registered(client, ZHANG)
    by_code = subject_options(client, token)
    for code, moment in factories.EXAM_AT.items():
        assert by_code[code]["exam_at"] is not None, by_code[code]
        assert parse_time(by_code[code]["exam_at"]) == moment, by_code[code]
    assert by_code["CET-SET6"]["exam_at"] == "2099-11-22T09:00:00+08:00"
    assert (by_code["CJT4"]["exam_at"], by_code["CJT6"]["exam_at"]) == (None, None)


def window_of(client: Client, token: str) -> Any:
    return ok(call(client, "GET", "/me", token=token), "GET /me")["window"]


def test_r_date_1_me_window_is_null_until_a_candidate_is_looked_up_then_its_schools(client: Client) -> None:
    """R-DATE-1: GET /me carries the school's registration window once a candidate is looked up
    (and after binding), null before; a later lookup of another school's candidate shows that one."""
    token = agreed_student(client)
    assert window_of(client, token) is None
    reply = call(client, "POST", "/qualification", {**identity(ZHANG), "id_number": NOT_ON_ROLL}, token)
    expect(reply, "POST /qualification", 404, "CANDIDATE_NOT_FOUND")
    assert window_of(client, token) is None, "a miss names no school"
    look_up(client, token, ZHANG)
    nju = {"opens_at": "2024-01-01T00:00:00+08:00", "closes_at": "2099-12-31T00:00:00+08:00"}
    assert window_of(client, token) == nju
    for moment in window_of(client, token).values():
        parse_time(moment)
    look_up(client, token, ZHAO)  # OLD's window closed long ago: the last one is shown, dates and all
    assert window_of(client, token) == {
        "opens_at": "2024-01-01T00:00:00+08:00",
        "closes_at": "2024-01-31T00:00:00+08:00",
    }
    ok(save(client, token, ZHANG), "POST /registration", 201)
    assert window_of(client, token) == nju
    other = registered(client, WANG)  # bound, never looked up by this account before saving: its own school
    assert window_of(client, other) == nju  # SEU's window has the same dates in the test province
    assert ok(call(client, "GET", "/me", token=staff(client, NJU_STAFF)), "GET /me")["window"] is None


def upcoming(client: Client, token: str, subject: str = "CET-SET4") -> list[dict[str, Any]]:
    reply = call(client, "GET", f"/oral-campuses/upcoming?subject={subject}", token=token)
    return ok(reply, "GET /oral-campuses/upcoming")


def move_oral_opening(campus_id: str, subject: str, opens_at: datetime) -> None:
    """The province moves a campus's oral opening (as R-OPS-2 allows), and the stage reads it again."""
    campus = factories.catalog(capacity=3).campuses[campus_id]
    oral = tuple(replace(o, opens_at=opens_at) if o.subject == subject else o for o in campus.oral)
    body = json.dumps(catalog_items.campus_to_json(replace(campus, oral=oral)), ensure_ascii=False)
    CatalogPartItem("CATALOG", f"CAMPUS#{campus_id}", body=body).save()
    reset_services()  # no cached catalog of the old opening


def test_r_date_1_upcoming_oral_campuses_until_they_open(client: Client) -> None:
    """R-DATE-1, R-ORAL-1: a campus that opens later is not in the oral list but is listed as
    upcoming with its opening time; once the clock passes it, it moves to the oral list."""
    token = registered(client, ZHANG)
    listed = upcoming(client, token)
    assert listed == [
        {
            "campus_id": "NJU-XL",
            "name": "仙林校区",
            "school_id": "NJU",
            "school": "南京大学",
            "opens_at": "2099-12-30T00:00:00+08:00",
        }
    ]
    assert upcoming(client, token, "CET-SET6") == []  # NJU-XL offers no CET-SET6
    opens_at = (server_now(client) + timedelta(hours=1)).replace(microsecond=0)
    move_oral_opening("NJU-XL", "CET-SET4", opens_at)
    assert [(c["campus_id"], parse_time(c["opens_at"])) for c in upcoming(client, token)] == [("NJU-XL", opens_at)]
    assert "NJU-XL" not in {c["campus_id"] for c in oral_campuses(client, token)}
    advance(client, 3600)
    assert upcoming(client, token) == []
    assert "NJU-XL" in {c["campus_id"] for c in oral_campuses(client, token)}


def test_r_date_1_upcoming_campuses_keep_the_external_rule(client: Client) -> None:
    """R-DATE-1, R-ORAL-2: upcoming campuses are those the student could choose once open: a student
    whose school allows no external oral candidates sees no other school's campus."""
    assert upcoming(client, registered(client, WANG)) == []  # SEU: only its own campus, which is open


def test_r_date_1_upcoming_oral_campuses_errors_as_for_the_oral_list(client: Client) -> None:
    """R-DATE-1: GET /oral-campuses/upcoming answers like GET /oral-campuses: 400 for a bad subject,
    401 without a token, 403 for staff, 404 before the registration is saved."""
    token = registered(client, ZHANG)
    for query in ("", "?subject=", "?subject=CET4", "?subject=NOPE", "?other=CET-SET4"):
        reply = call(client, "GET", f"/oral-campuses/upcoming{query}", token=token)
        expect(reply, UPCOMING, 400, "INVALID_REQUEST", "subject")
    for t in (None, "not-a-token"):
        expect(
            call(client, "GET", "/oral-campuses/upcoming?subject=CET-SET4", token=t), UPCOMING, 401, "UNAUTHENTICATED"
        )
    nju = staff(client, NJU_STAFF)
    expect(call(client, "GET", "/oral-campuses/upcoming?subject=CET-SET4", token=nju), UPCOMING, 403, "FORBIDDEN")
    fresh = agreed_student(client)
    expect(call(client, "GET", "/oral-campuses/upcoming?subject=CET-SET4", token=fresh), UPCOMING, 404, "NOT_FOUND")


def test_r_pay_1_a_chosen_subject_is_201_and_due_24_hours_later(client: Client) -> None:
    """R-PAY-1: every chosen subject must be paid within 24 hours of being chosen: pay_by = chosen + 24 h."""
    token = registered(client, ZHANG)
    advance(client, 3600)  # chosen an hour after saving
    before = server_now(client)
    body = chosen(client, token, "CET4")
    after = server_now(client)
    assert_registration(body, ZHANG)
    [subject] = body["subjects"]
    assert {k: v for k, v in subject.items() if k != "pay_by"} == {
        "code": "CET4",
        "name": "英语四级",
        "kind": "written",
        "level": 4,
        "campus_id": None,
        "campus": None,
        "fee": 3000,
        "status": "unpaid",
        "offered": False,  # R-WAIT-2: chosen, not held from a waiting list
    }
    pay_by = parse_time(subject["pay_by"])
    assert before <= pay_by - timedelta(hours=24) <= after, (before, subject["pay_by"], after)
    assert (body["amount_due"], parse_time(body["expires_at"])) == (3000, pay_by)
    oral = chosen(client, token, "CET-SET4", "NJU-GL")
    assert codes(oral) == ["CET4", "CET-SET4"]
    assert {k: oral["subjects"][1][k] for k in ("kind", "level", "campus_id", "campus", "fee", "status")} == {
        "kind": "oral",
        "level": 4,
        "campus_id": "NJU-GL",
        "campus": "鼓楼校区",
        "fee": 5000,
        "status": "unpaid",
    }
    assert oral["amount_due"] == 8000
    assert ok(call(client, "GET", "/registration", token=token), "GET /registration") == oral


def test_r_pay_1_unpaid_subject_past_pay_by_disappears_at_once(client: Client) -> None:
    """R-PAY-1: an unpaid subject past pay_by is gone from GET /registration at once, no job needed."""
    login = new_login()
    token = registered(client, LI, agreed_student(client, login))
    cet4 = chosen(client, token, "CET4")["subjects"][0]
    advance(client, 12 * 3600)
    token = log_in(client, login)
    both = chosen(client, token, "CET6")
    assert (codes(both), both["amount_due"]) == (["CET4", "CET6"], 6000)
    advance(client, (parse_time(cet4["pay_by"]) - server_now(client)).total_seconds() + 1)
    token = log_in(client, login)
    left = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    assert (codes(left), left["amount_due"]) == (["CET6"], 3000), left
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["registration"] == left
    expect(remove(client, token, "CET4"), REMOVE, 404, "NOT_FOUND")
    again = chosen(client, token, "CET4")  # the level is free again, with a new deadline
    assert codes(again) == ["CET4", "CET6"]
    assert parse_time(again["subjects"][0]["pay_by"]) > parse_time(cet4["pay_by"])


def test_r_writ_1_unqualified_subject_is_403_not_qualified(client: Client) -> None:
    """R-WRIT-1: subjects are picked from the candidate's qualified subjects (an oral one needs its written one's)."""
    token = registered(client, ZHANG)
    for subject, campus in (("CET6", None), ("CJT6", None), ("CET-SET6", "NJU-GL")):
        expect(choose(client, token, subject, campus), "POST /registration/subjects", 403, "NOT_QUALIFIED")


def test_r_writ_2_one_subject_per_level_409_level_taken_and_subject_taken(client: Client) -> None:
    """R-WRIT-2: at most one subject per level (CET4 and CJT4 not both), and a subject only once."""
    token = registered(client, ZHANG)
    chosen(client, token, "CJT4")
    expect(choose(client, token, "CET4"), "POST /registration/subjects", 409, "LEVEL_TAKEN")
    expect(choose(client, token, "CJT4"), "POST /registration/subjects", 409, "SUBJECT_TAKEN")
    assert codes(ok(remove(client, token, "CJT4"), REMOVE)) == []
    chosen(client, token, "CET4")
    chosen(client, token, "CET-SET4", "NJU-GL")
    expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 409, "SUBJECT_TAKEN")
    expect(choose(client, token, "CET4"), "POST /registration/subjects", 409, "SUBJECT_TAKEN")
    expect(choose(client, token, "CJT4"), "POST /registration/subjects", 409, "LEVEL_TAKEN")


def test_r_oral_1_bad_subject_or_campus_is_400_invalid_request(client: Client) -> None:
    """R-ORAL-1 / api.md: a subject of the province; an oral subject at a campus that offers it."""
    token = registered(client, LI)
    chosen(client, token, "CET4")
    chosen(client, token, "CET6")
    cases: list[tuple[Any, str]] = [
        ({}, "subject"),
        ({"subject": 4}, "subject"),
        ({"subject": "XYZ9"}, "subject"),
        ({"subject": "cet4"}, "subject"),
        ({"subject": "CET-SET4"}, "campus_id"),
        ({"subject": "CET-SET4", "campus_id": 7}, "campus_id"),
        ({"subject": "CET-SET4", "campus_id": "NOWHERE"}, "campus_id"),
        ({"subject": "CET-SET6", "campus_id": "SEU-SP"}, "campus_id"),
        (["CET4"], "body"),
    ]
    for body, field in cases:
        reply = call(client, "POST", "/registration/subjects", body, token)
        expect(reply, "POST /registration/subjects", 400, "INVALID_REQUEST", field)


def test_r_oral_1_campus_list_shows_open_campuses_for_an_oral_subject(client: Client) -> None:
    """R-ORAL-1/3: open campuses only, with school, notice and remaining capacity; `subject` is an oral subject."""
    token = registered(client, ZHANG)
    campuses = oral_campuses(client, token)
    assert all(set(c) == {"campus_id", "name", "school_id", "school", "remaining", "notice"} for c in campuses)
    by_id = {c["campus_id"]: c for c in campuses}
    assert "NJU-XL" not in by_id, "NJU-XL opens in 2099 (R-ORAL-1)"
    assert by_id["NJU-GL"] == {
        "campus_id": "NJU-GL",
        "name": "鼓楼校区",
        "school_id": "NJU",
        "school": "南京大学",
        "remaining": "green",
        "notice": "南京大学口试须知：请携带身份证。",
    }
    assert oral_campuses(client, token, "CET-SET6") == [by_id["NJU-GL"]]
    for query in ("", "?subject=", "?subject=CET4", "?subject=NOPE", "?other=CET-SET4"):
        reply = call(client, "GET", f"/oral-campuses{query}", token=token)
        expect(reply, "GET /oral-campuses", 400, "INVALID_REQUEST", "subject")


def test_r_oral_1_campus_not_open_yet_is_403_campus_not_open(client: Client) -> None:
    """R-ORAL-1: some campuses open later than others; choosing one before it opens is refused."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    expect(choose(client, token, "CET-SET4", "NJU-XL"), "POST /registration/subjects", 403, "CAMPUS_NOT_OPEN")


def test_r_oral_2_external_campus_is_403_external_not_allowed(client: Client) -> None:
    """R-ORAL-2: the written-exam campus does not allow external oral: only that campus is shown and taken."""
    token = registered(client, WANG)
    chosen(client, token, "CET4")
    campuses = oral_campuses(client, token)
    assert [c["campus_id"] for c in campuses] == ["SEU-SP"], campuses
    assert campuses[0]["notice"] == "东南大学考生只能在本校参加口试。"
    expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 403, "EXTERNAL_NOT_ALLOWED")
    assert chosen(client, token, "CET-SET4", "SEU-SP")["subjects"][1]["campus_id"] == "SEU-SP"


def test_r_oral_4_oral_without_its_written_subject_is_403_written_required(client: Client) -> None:
    """R-ORAL-4: CET-SET4 needs CET4 in the same registration; another level-4 written subject is not enough."""
    token = registered(client, ZHANG)
    expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 403, "WRITTEN_REQUIRED")
    chosen(client, token, "CJT4")
    expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 403, "WRITTEN_REQUIRED")


def test_api_overload_is_503_busy_with_retry_after_never_500(client: Client) -> None:
    """api.md conventions at the opening minute (R-ORAL-4): a transaction conflict past the bounded
    retry, a throttled table and an internal error of the database answer 503 BUSY with
    Retry-After, never a 500; the same grab goes through once the database answers again."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    with database_answers("TransactWriteItems", conflict(3)) as answered:
        reply = choose(client, token, "CET-SET4", "NJU-GL")
    expect(reply, "POST /registration/subjects", 503, "BUSY")
    assert reply.header("Retry-After") in {"1", "2", "3"}
    assert len(answered) == MAX_ATTEMPTS  # the conflict is tried again, a few times only
    with database_answers("Query", THROTTLED):
        reply = call(client, "GET", "/me", token=token)
    expect(reply, "GET /me", 503, "BUSY")
    assert reply.header("Retry-After")
    with database_answers("GetItem", INTERNAL):  # the session
        expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 503, "BUSY")
    assert "CET-SET4" in codes(chosen(client, token, "CET-SET4", "NJU-GL"))


def test_r_pay_4_get_me_reads_the_session_and_the_account_partition_only(client: Client) -> None:
    """R-PAY-4 at the opening minute: GET /me is two requests to DynamoDB (the session, one query of
    the account's partition: account, registration, subjects, review, open order); an oral grab is
    those two and one transaction."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    ok(call(client, "GET", "/me", token=token), "GET /me")  # the catalog is cached, as in a warm Lambda
    requests = count_requests()
    me = ok(call(client, "GET", "/me", token=token), "GET /me")
    assert requests.total <= 2, requests.by_operation
    assert codes(me["registration"]) == ["CET4"]
    requests.reset()
    chosen(client, token, "CET-SET4", "NJU-GL")
    assert dict(requests.by_operation) == {"GetItem": 1, "Query": 1, "TransactWriteItems": 1}


def emf_counts(output: str, metric: str) -> dict[str, float]:
    """The EMF metric lines of one name in what the service printed, summed by outcome."""
    found: dict[str, float] = {}
    for line in output.splitlines():
        if line.startswith('{"_aws"') and metric in (record := json.loads(line)):
            found[record.get("outcome", "")] = found.get(record.get("outcome", ""), 0) + record[metric][0]
    return found


def test_seat_grabs_are_counted_by_outcome(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    """Going live: the operator sees seat grabs held and refused (EMF, namespace CET/Registration)."""
    for entry in (ZHANG, LI, QIAN):
        token = registered(client, entry)
        chosen(client, token, "CET4")
        chosen(client, token, "CET-SET4", "NJU-GL")
    late = registered(client, PASSPORT)
    chosen(client, late, "CET4")
    expect(choose(client, late, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 409, "CAMPUS_FULL")
    output = capsys.readouterr().out
    assert emf_counts(output, "SeatGrabs") == {"held": 3, "CAMPUS_FULL": 1}
    assert emf_counts(output, "RegistrationsSaved") == {"": 4}


def test_r_oral_3_capacity_colours_and_campus_full_is_409_campus_full(client: Client) -> None:
    """R-ORAL-3/4: green above half left, yellow half or less, none when full; never beyond the capacity (3)."""
    observer = registered(client, SUN)
    seen = [colour(client, observer, "NJU-GL")]
    tokens = []
    for entry in (ZHANG, LI, QIAN):
        token = registered(client, entry)
        chosen(client, token, "CET4")
        chosen(client, token, "CET-SET4", "NJU-GL")
        tokens.append(token)
        seen.append(colour(client, observer, "NJU-GL"))
    assert seen == ["green", "green", "yellow", "none"], seen
    late = registered(client, PASSPORT)
    chosen(client, late, "CET4")
    expect(choose(client, late, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 409, "CAMPUS_FULL")
    assert codes(ok(remove(client, tokens[1], "CET-SET4"), REMOVE)) == ["CET4"]
    assert colour(client, observer, "NJU-GL") == "yellow"
    chosen(client, late, "CET-SET4", "NJU-GL")
    assert colour(client, observer, "NJU-GL") == "none"


def test_r_pay_1_expired_oral_holds_release_their_seats(client: Client) -> None:
    """R-PAY-1: an unpaid subject past pay_by is deleted and its oral seat released."""
    for entry in (ZHANG, LI, QIAN):
        token = registered(client, entry)
        chosen(client, token, "CET4")
        chosen(client, token, "CET-SET4", "NJU-GL")
    advance(client, DAY + 1)
    late = registered(client, PASSPORT)
    assert colour(client, late, "NJU-GL") == "green"
    chosen(client, late, "CET4")
    assert chosen(client, late, "CET-SET4", "NJU-GL")["amount_due"] == 8000


def test_r_oral_5_removing_a_written_subject_under_its_oral_is_409_oral_depends(client: Client) -> None:
    """R-ORAL-5: removing CET4 while CET-SET4 is held is refused until the oral subject is removed."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    chosen(client, token, "CET-SET4", "NJU-GL")
    expect(remove(client, token, "CET4"), REMOVE, 409, "ORAL_DEPENDS")
    left = ok(remove(client, token, "CET-SET4"), REMOVE)
    assert_registration(left, ZHANG)
    assert (codes(left), left["amount_due"]) == (["CET4"], 3000)
    left = ok(remove(client, token, "CET4"), REMOVE)
    assert (codes(left), left["amount_due"]) == ([], 0)


def test_r_pay_3_paid_subject_is_409_subject_paid(client: Client) -> None:
    """R-PAY-3: a paid subject can be neither changed nor cancelled; a paid registration no longer expires."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    mark_paid(str(ok(call(client, "GET", "/me", token=token), "GET /me")["account_id"]), "CET4")
    expect(remove(client, token, "CET4"), REMOVE, 409, "SUBJECT_PAID")
    body = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    assert [(s["code"], s["status"]) for s in body["subjects"]] == [("CET4", "paid")]
    assert (body["expires_at"], body["amount_due"]) == (None, 0)
    expect(choose(client, token, "CJT4"), "POST /registration/subjects", 409, "LEVEL_TAKEN")


def test_r_pay_3_removing_a_subject_not_chosen_is_404_not_found(client: Client) -> None:
    """R-PAY-3: only a chosen, unpaid subject can be removed; a province subject not chosen: 404 NOT_FOUND."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    expect(remove(client, token, "CJT4"), REMOVE, 404, "NOT_FOUND")
    expect(remove(client, token, "CET-SET4"), REMOVE, 404, "NOT_FOUND")


def test_api_removing_an_unknown_subject_code_is_400_invalid_request(client: Client) -> None:
    """api.md, Conventions ("an unknown field value: 400 INVALID_REQUEST naming the field") and openapi x-error-codes.

    docs/openapi.yaml documents 400 INVALID_REQUEST for DELETE /registration/subjects/{code} (its own description
    admits the implementation answers 404 for any code): chalicelib/domain/registration.py check_removal raises
    NotFound before anything checks that the code is a subject of the province.
    """
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    reply = remove(client, token, "NO-SUCH-SUBJECT")
    covers("DELETE", "/registration/subjects/{code}", 400, "INVALID_REQUEST")
    assert reply.status == 400, (
        "DELETE /registration/subjects/NO-SUCH-SUBJECT: docs/openapi.yaml documents 400 INVALID_REQUEST (field code) "
        f"for a code that is no subject of the province; got {reply.status} {reply.text}"
    )
    expect(reply, REMOVE, 400, "INVALID_REQUEST", "code")
