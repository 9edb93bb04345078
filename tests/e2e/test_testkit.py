"""The province's test kit (testkit/, docs/testing.md) drives the real service: each of its
fixtures is used here on a rule it lets a province's QA team check, so the kit stays true."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from cet_testkit import (
    STEPS,
    Outbox,
    Payments,
    ProvinceBuilder,
    Reply,
    Service,
    ServiceClock,
    Student,
    Students,
    assert_error,
)

STUDENT_PASSWORD_AFTER_RESET = "Chongzhi2026mima"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "testkit" / "examples" / "test_my_province.py"
DOC = ROOT / "docs" / "testing.md"  # shows the example as it is


@pytest.fixture
def cet_province() -> ProvinceBuilder:
    return province()


def province() -> ProvinceBuilder:
    """Two seats of CET-SET4 at 鼓楼, a second school whose students sit the oral at home only,
    the December 2099 sitting."""
    return (
        ProvinceBuilder()
        .school("NJU", "南京大学")
        .campus("NJU-GL", "鼓楼校区", oral={"CET-SET4": 2})
        .students(4)
        .school("SEU", "东南大学", external_oral=False)
        .campus("SEU-SP", "四牌楼校区", written=("CET4",))
        .students(1)
        .sitting()
    )


def statuses(student: object) -> list[tuple[str, str]]:
    registration = student.call("GET", "/registration").body  # type: ignore[attr-defined]
    return [(s["code"], s["status"]) for s in registration["subjects"]]


def test_r_pay_3_a_notification_delivered_eight_times_pays_once(cet_student: Students, cet_payments: Payments) -> None:
    student = cet_student(at="ordered", oral="NJU-GL")
    assert cet_payments.duplicated(student, times=8).answers == ("success",) * 8
    assert statuses(student) == [("CET4", "paid"), ("CET-SET4", "paid")]
    assert student.call("GET", f"/orders/{student.order_id}").body["status"] == "paid"


def test_r_pay_3_a_forged_notification_changes_nothing(cet_student: Students, cet_payments: Payments) -> None:
    for provider, refused in (("alipay", "fail"), ("bank", "error")):
        student = cet_student(at="ordered", provider=provider, bank="ICBC" if provider == "bank" else None)
        assert cet_payments.forged(student).answers == (refused,)
        assert statuses(student) == [("CET4", "unpaid")]
        assert student.call("GET", f"/orders/{student.order_id}").body["status"] == "open"


def test_r_pay_3_a_lost_notification_is_found_by_the_reconcile_job(
    cet_service: Service, cet_student: Students, cet_payments: Payments, cet_clock: ServiceClock
) -> None:
    student = cet_student(at="ordered")
    assert cet_payments.lost(student).answers == ()
    assert statuses(student) == [("CET4", "unpaid")]
    cet_clock.advance(timedelta(minutes=10))
    assert cet_service.job("reconcile")["paid"] == 1
    assert statuses(student) == [("CET4", "paid")]


def test_r_pay_5_a_late_notification_takes_its_free_seats_again(cet_student: Students, cet_payments: Payments) -> None:
    student = cet_student(at="ordered", oral="NJU-GL")
    assert cet_payments.late(student).answers == ("success",)
    student.again()  # the clock passed the session's end
    assert statuses(student) == [("CET4", "paid"), ("CET-SET4", "paid")]
    assert student.call("GET", f"/orders/{student.order_id}").body["late"] == "re_reserved"


def test_r_reg_the_oral_seats_run_out_at_the_campus_capacity(cet_student: Students) -> None:
    cet_student(at="paid", oral="NJU-GL")
    cet_student(at="chosen", oral="NJU-GL")
    third = cet_student(at="chosen")
    reply = third.call("POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "NJU-GL"})
    assert_error(reply, 409, "CAMPUS_FULL")


def test_r_note_1_a_password_reset_code_goes_to_the_login(
    cet_service: Service, cet_student: Students, cet_outbox: Outbox
) -> None:
    student = cet_student(at="registered")
    captcha = cet_service.call("POST", "/captchas").body
    body = {"login": student.login, "captcha_id": captcha["captcha_id"], "captcha_answer": captcha["answer"]}
    assert cet_service.call("POST", "/password-resets", body).status == 202
    code = cet_outbox.code(student.login)
    confirm = {"login": student.login, "code": code, "new_password": STUDENT_PASSWORD_AFTER_RESET}
    assert cet_service.call("POST", "/password-resets/confirm", confirm).status == 204
    student.password = STUDENT_PASSWORD_AFTER_RESET
    assert student.again()


def test_r_ticket_1_a_student_at_every_step_of_the_flow(cet_student: Students) -> None:
    """Each step is where the service says the student is; at the last, the ticket's number."""
    assert cet_student(at="agreed").call("GET", "/registration").status == 404
    assert statuses(cet_student(at="bound")) == []
    assert statuses(cet_student(at="chosen")) == [("CET4", "unpaid")]
    ticket = cet_student(at=STEPS[-1])
    (cet4,) = ticket.tickets
    site = next(c for c in ticket.service.province.catalog.campuses.values() if c.id == ticket.row.campus_id)
    # R-TICKET-1: the site's code, the year's two digits, the sitting, the subject's code, room, seat
    assert cet4["ticket_number"].startswith(f"{site.site_code}992{1}")
    assert len(cet4["ticket_number"]) == 15


def with_opening(admit_per_minute: int = 100) -> ProvinceBuilder:
    """The province above with an opening on 鼓楼: its queue opens 10 minutes after the load, the
    opening itself 20 minutes after that (R-QUEUE-1)."""
    return province().opening("GL", ("NJU-GL",), admit_per_minute=admit_per_minute)


def queue_open(service: Service, clock: ServiceClock) -> datetime:
    """The clock moved to the opening's `queue_opens_at` (its seed is drawn at the load, before)."""
    return clock.move_to(service.province.catalog.openings["GL"].queue_opens_at)


def choose_oral(student: Student) -> Reply:
    """CET4 (no admission needed), then CET-SET4 at 鼓楼: the oral's answer."""
    assert student.call("POST", "/registration/subjects", {"subject": "CET4"}).status == 201
    return student.call("POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "NJU-GL"})


@pytest.mark.parametrize("cet_province", [with_opening()], ids=["queueing"])
def test_r_queue_2_a_student_queued_before_the_opening_waits_without_a_place(
    cet_service: Service, cet_student: Students, cet_clock: ServiceClock
) -> None:
    """R-QUEUE-2/3: joined before `opens_at`, no place yet (arriving early gains nothing), and no
    oral choice at 鼓楼 without an admission (R-QUEUE-1)."""
    queue_open(cet_service, cet_clock)
    student = cet_student(at="queued")
    assert list(student.entries) == ["GL"]
    entry = student.entries["GL"]
    assert (entry["state"], entry["position"], entry["admitted_at"]) == ("waiting", None, None)
    assert_error(choose_oral(student), 403, "NOT_ADMITTED")


@pytest.mark.parametrize("cet_province", [with_opening(admit_per_minute=1)], ids=["one-a-minute"])
def test_r_queue_4_students_are_admitted_at_the_rate_and_then_choose_the_oral(
    cet_service: Service, cet_student: Students, cet_clock: ServiceClock
) -> None:
    """R-QUEUE-4: `admitted` moves the clock to the opening and runs the admission job until the
    student's place is admitted; one a minute here, so a student queued after the first waits
    at place 2 and the next one is admitted a minute later."""
    opening = cet_service.province.catalog.openings["GL"]
    queue_open(cet_service, cet_clock)
    first = cet_student(at="admitted")
    assert cet_clock.now() >= opening.opens_at
    assert (first.entries["GL"]["state"], first.entries["GL"]["position"]) == ("admitted", 1)
    assert choose_oral(first).status == 201
    second = cet_student(at="queued")
    entry = second.entries["GL"]
    assert (entry["state"], entry["position"]) == ("waiting", 2)
    assert entry["estimated_wait_seconds"] > 0
    assert_error(choose_oral(second), 403, "NOT_ADMITTED")
    third = cet_student(at="admitted")
    assert (third.entries["GL"]["state"], third.entries["GL"]["position"]) == ("admitted", 3)
    assert cet_clock.now() > opening.opens_at + timedelta(minutes=1)  # the rate reached place 3
    assert choose_oral(third).status == 201


@pytest.mark.parametrize("cet_province", [with_opening()], ids=["queueing"])
def test_r_queue_5_a_student_pays_for_the_oral_at_a_campus_of_an_opening(
    cet_service: Service, cet_student: Students, cet_clock: ServiceClock
) -> None:
    """R-QUEUE-5: `chosen` and later take the queue as a student would; the admission lets the
    oral be chosen, and the flow goes on to the payment."""
    queue_open(cet_service, cet_clock)
    student = cet_student(at="paid", oral="NJU-GL")
    assert student.entries["GL"]["state"] == "admitted"
    assert statuses(student) == [("CET4", "paid"), ("CET-SET4", "paid")]


@pytest.mark.parametrize("cet_province", [with_opening()], ids=["queueing"])
def test_r_queue_1_a_written_subject_needs_no_admission_so_the_kit_joins_no_queue_for_it(
    cet_service: Service, cet_student: Students, cet_clock: ServiceClock
) -> None:
    """R-QUEUE-1: only the oral at an opening's campus needs an admission; a student taken to
    `paid` with the written subject alone joins no queue and the clock stays where it is."""
    at = queue_open(cet_service, cet_clock)
    student = cet_student(at="paid")
    assert student.entries == {}
    assert cet_clock.now() - at < timedelta(minutes=1)  # the service clock runs on in real time, no more
    assert statuses(student) == [("CET4", "paid")]


@pytest.mark.parametrize(
    "cet_province", [province(), province().opening("GL", ("NJU-GL",))], ids=["no-opening", "upcoming"]
)
def test_r_queue_5_without_an_open_queue_the_queue_steps_do_nothing(
    cet_student: Students, cet_clock: ServiceClock
) -> None:
    """R-QUEUE-5: no opening, or none whose queue has opened: nothing joined, the clock not moved,
    the oral chosen without an admission."""
    before = cet_clock.now()
    student = cet_student(at="chosen", oral="NJU-GL")
    assert student.entries == {}
    assert cet_clock.now() - before < timedelta(minutes=1)
    assert statuses(student) == [("CET4", "unpaid"), ("CET-SET4", "unpaid")]


def test_the_example_of_docs_testing_passes_outside_the_repository_after_the_documented_install(
    tmp_path: Path,
) -> None:
    """docs/testing.md: a virtualenv with the pinned libraries, `pip install -e <clone> -e
    <clone>/testkit`, the example copied into a directory of one's own, `pytest` there: the kit's
    plugin comes from its entry point, the service from the clone. Here the virtualenv borrows the
    libraries of the project's own (what `pip install -r requirements-dev.txt` gave) and pip
    installs the two projects offline."""
    assert ROOT not in tmp_path.parents
    example = EXAMPLE.read_text(encoding="utf-8")
    assert example.split("from __future__ import annotations\n", 1)[1].strip() in DOC.read_text(encoding="utf-8")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    purelib = [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    site_packages = Path(subprocess.run(purelib, capture_output=True, text=True, check=True).stdout.strip())
    libraries = sysconfig.get_paths()["purelib"]
    (site_packages / "_pinned_libraries.pth").write_text(f"import site; site.addsitedir({libraries!r})\n")
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH" and not name.startswith("PYTEST")}
    install = ["-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index"]
    subprocess.run([python, *install, "-e", str(ROOT), "-e", str(ROOT / "testkit")], check=True, cwd=tmp_path, env=env)
    own = tmp_path / "my-province-tests"
    own.mkdir()
    shutil.copy(EXAMPLE, own / EXAMPLE.name)

    run = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=own,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    tests = len(re.findall(r"^def test_", example, re.MULTILINE))
    assert re.search(rf"\b{tests} passed\b", run.stdout), run.stdout[-2000:]
