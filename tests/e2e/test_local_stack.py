"""`make run` as a newcomer uses it: the local stack over real HTTP, on moto and on DynamoDB Local."""

from __future__ import annotations

import json
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from devstack.walkthrough import Api, walk
from tests import factories
from tests.at_rest import no_whole_id_number_at_rest
from tests.stack import DEMO_STAFF_PASSWORD, ROOT, activate_staff, start_stack, stop


@pytest.fixture(params=["embedded", "dynamodb_local"])
def stack(request: pytest.FixtureRequest) -> Iterator[str]:
    extra = {"AWS_ENDPOINT_URL_DYNAMODB": ""}
    if request.param == "dynamodb_local":
        endpoint = request.getfixturevalue("dynamodb_local_endpoint")
        extra = {"AWS_ENDPOINT_URL_DYNAMODB": endpoint}
    stack = start_stack(extra)
    yield stack.base
    output = stop(stack)
    assert "Traceback" not in output, output


def test_the_student_flow_through_written_and_oral_subjects(stack: str) -> None:
    """R-BIND-1, R-WRIT-1, R-ORAL-3/4 end to end: the demo student holds CET4 and an oral seat."""
    registration = walk(stack + "/api", pay=True)
    assert [(s["code"], s["status"]) for s in registration["subjects"]] == [("CET4", "unpaid"), ("CET-SET4", "unpaid")]
    # then paid through the sandbox's page (walk raises unless the order ends paid): R-PAY-2
    assert registration["amount_due"] == sum(s["fee"] for s in registration["subjects"])
    assert "**" in registration["candidate"]["id_number"]


def test_an_id_no_key_could_hold_is_404_not_500(stack: str) -> None:
    """api.md conventions: no input yields a 500. DynamoDB (Local here, unlike moto) refuses keys
    over 2 KB: such an id must never reach a lookup."""
    request = urllib.request.Request(f"{stack}/api/_test/gateway/{'a' * 3000}/pay", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(request, timeout=5)
    assert missing.value.code == 404
    assert json.loads(missing.value.read())["code"] == "NOT_FOUND"


def test_the_page_and_the_api_share_one_origin(stack: str) -> None:
    with urllib.request.urlopen(stack + "/", timeout=5) as page:
        assert page.status == 200
        assert "CET" in page.read().decode()
    for path in ("/api/no-such-route", "/api/registration/subjects/CET4/extra"):
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(stack + path, timeout=5)
        assert missing.value.code == 404
        assert json.loads(missing.value.read())["code"] == "NOT_FOUND"


def test_concurrent_requests_each_get_their_own_answer(stack: str) -> None:
    """A Lambda container serves one request at a time; the local stack's threaded server must not
    let one student's request run with another's body (Chalice keeps the request being served in
    one attribute of the app). Each student looks up a different candidate, all at once."""
    roll = json.loads((ROOT / "devstack" / "demo_province.json").read_text(encoding="utf-8"))["roll"]
    people = [e for e in roll if e["id_type"] == "resident_id"][20:26]
    students = []
    for person in people:
        api = Api(stack + "/api")
        login = {"login": f"parallel-{secrets.token_hex(4)}@example.cn", "password": "Cet2026demo"}
        api.expect(201, "POST", "/accounts", {**login, **api.captcha()})
        api.token = api.expect(201, "POST", "/sessions", {**login, **api.captcha()})["token"]
        api.expect(204, "POST", "/me/agreement", {"accepted": True})
        students.append((api, person))
    barrier = threading.Barrier(len(students))

    def look_up(student: tuple[Api, dict[str, str]]) -> list[bool]:
        api, person = student
        body = {k: person[k] for k in ("id_type", "id_number", "name")}
        answers = []
        for _ in range(10):
            barrier.wait()
            status, found = api.call("POST", "/qualification", body)
            answers.append(status == 200 and found["candidate"]["name"] == person["name"])
        return answers

    with ThreadPoolExecutor(len(students)) as pool:
        results = [ok for answers in pool.map(look_up, students) for ok in answers]
    assert all(results), f"{results.count(False)} of {len(results)} answers were for someone else"


def test_no_whole_id_number_at_rest_after_the_whole_flow_on_dynamodb_local(dynamodb_local_endpoint: str) -> None:
    """Decision 0013, on DynamoDB Local: the demo province loaded, a student registered, bound, with
    written and oral subjects, paid; a CET6 review pending and one approved; the school's staff
    screen read. Then every item of every table is read: no whole ID number of the dataset in any
    key or attribute, and the ID numbers are still found, bound and shown masked."""
    table = f"cet-at-rest-{secrets.token_hex(4)}"  # its own table: the demo student binds once per table
    stack = start_stack({"AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint, "TABLE_NAME": table})
    client = boto3.client("dynamodb", endpoint_url=dynamodb_local_endpoint)
    try:
        registration = walk(stack.base + "/api", pay=True)
        assert "**" in registration["candidate"]["id_number"]
        reviews = {
            "39020320050419435X": ("梁博睿", "390310242102424"),
            "390203200401032104": ("许玲", "390110252116822"),
        }
        for number, (name, ticket) in reviews.items():
            api = new_student(stack.base + "/api")
            person = {"id_type": "resident_id", "id_number": number, "name": name}
            api.expect(201, "POST", "/cet6-reviews", {**person, "ticket_number": ticket, "confirm": True})
        staff = Api(stack.base + "/api")
        activate_staff(stack.base + "/api", "staff@nyit.edu.cn")  # R-OPS-3: no password in the demo files
        login = {"login": "staff@nyit.edu.cn", "password": DEMO_STAFF_PASSWORD}
        staff.token = staff.expect(201, "POST", "/sessions", {**login, **staff.captcha()})["token"]
        pending = staff.expect(200, "GET", "/staff/cet6-reviews")
        assert [r["candidate"]["name"] for r in pending] == ["梁博睿"]
        output = stop(stack)
        assert "Traceback" not in output, output
        dataset = json.loads((ROOT / "devstack" / "demo_province.json").read_text(encoding="utf-8"))
        numbers = {e["id_number"] for e in dataset["roll"]} | {s["id_number"] for s in dataset["cet4_scores"]}
        read = no_whole_id_number_at_rest(numbers, dynamodb_local_endpoint, [table])
        assert read["roll"] == len(dataset["roll"])  # the scan read this table's whole roll
        # and every other table the suite has left on this DynamoDB Local, with the test province's numbers
        no_whole_id_number_at_rest(numbers | factories.WHOLE_ID_NUMBERS, dynamodb_local_endpoint)
        # one order: its item, and its lean copy in the account's partition (R-PAY-6, data model 26)
        assert (read["cet4"], read["review"], read["binding"], read["order"]) == (len(dataset["cet4_scores"]), 2, 1, 2)
    finally:
        if stack.process.poll() is None:
            stop(stack)
        client.delete_table(TableName=table)


def new_student(base: str) -> Api:
    api = Api(base)
    login = {"login": f"rest-{secrets.token_hex(4)}@example.cn", "password": "Cet2026demo"}
    api.expect(201, "POST", "/accounts", {**login, **api.captcha()})
    api.token = api.expect(201, "POST", "/sessions", {**login, **api.captcha()})["token"]
    api.expect(204, "POST", "/me/agreement", {"accepted": True})
    return api
