"""Loading a province (R-OPS-3) on the fakes: staff without passwords, activation codes once per
load, the load record, --prune."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.domain.accounts import Account, Role
from chalicelib.domain.catalog import Catalog
from chalicelib.domain.messages import MessageKind
from chalicelib.domain.province import StaffMember, in_memory
from chalicelib.domain.reload import ChangesRead
from chalicelib.services.province import ProvinceLoading, load
from chalicelib.services.staff_activation import staff_account_id
from tests import factories
from tests.fakes import FakeAccounts, FakeActivations, FakeDatabase, FakeProvince

NOW = factories.NOW
ADMIN = StaffMember("admin@js.edu.cn", Role.PROVINCE)


def loading(db: FakeDatabase) -> ProvinceLoading:
    return ProvinceLoading(FakeProvince(db), FakeAccounts(db), FakeActivations(db), factories.protection)


def codes_to(db: FakeDatabase, login: str) -> int:
    return sum(1 for m in db.outbox.values() if m.to == login and m.kind is MessageKind.STAFF_ACTIVATION)


def test_r_ops_3_staff_get_one_activation_code_per_load_and_none_once_activated() -> None:
    """R-OPS-3, R-ACC-3: new staff (a province administrator too) are created without a usable
    password and sent a code; the same load run again sends none; a new load sends one only to
    those who have not activated; a staff member left out of a later file keeps the account."""
    db = FakeDatabase()
    data = replace(factories.province(), staff=(*factories.province().staff, ADMIN))
    outcome = load(loading(db), in_memory(data, "load-1"), NOW)
    assert (outcome.staff.created, outcome.staff.codes_sent) == (3, 3)
    admin = db.accounts[staff_account_id("admin@js.edu.cn")]
    assert (admin.role, admin.school_id, admin.activated) == (Role.PROVINCE, None, False)
    again = load(loading(db), in_memory(data, "load-1"), NOW)
    assert (again.staff.created, again.staff.codes_sent) == (0, 0)
    nju = db.accounts[staff_account_id("staff@nju.edu.cn")]
    db.accounts[nju.account_id] = replace(nju, password_hash="argon2-hash")  # activated meanwhile
    later = load(loading(db), in_memory(replace(data, staff=data.staff[:2]), "load-2"), NOW + timedelta(days=1))
    assert (later.staff.codes_sent, later.staff.active) == (1, 1)
    assert codes_to(db, "staff@nju.edu.cn") == 1
    assert codes_to(db, "staff@seu.edu.cn") == 2
    assert staff_account_id("admin@js.edu.cn") in db.accounts  # left out of the file: not deleted


def test_r_ops_3_a_login_held_by_a_student_is_not_made_staff() -> None:
    """R-OPS-3: a staff login that a student registered is refused, never turned into staff."""
    db = FakeDatabase()
    FakeAccounts(db).create(Account("student1", "staff@nju.edu.cn", "hash", created_at=NOW))
    outcome = load(loading(db), in_memory(factories.province(), "load-1"), NOW)
    assert outcome.staff.refused == ("staff@nju.edu.cn",)
    assert db.accounts["student1"].role is Role.STUDENT
    assert codes_to(db, "staff@nju.edu.cn") == 0


def test_r_ops_3_the_load_record_is_complete_once_every_row_is_written() -> None:
    """R-OPS-3: the load record says which rows were written; a stopped load is resumed."""
    db = FakeDatabase()
    job = in_memory(factories.province(), "load-1")
    FakeProvince(db).save_load_record(replace(load(loading(db), job, NOW).record, completed_at=None))
    outcome = load(loading(db), job, NOW + timedelta(minutes=5))
    assert outcome.resumed
    assert outcome.record.started_at == NOW
    assert outcome.record.complete
    assert outcome.written == {"roll": len(factories.province().roll), "cet4_scores": len(factories.scores())}


def test_r_ops_3_prune_removes_entries_not_in_the_file_unless_bound() -> None:
    """R-OPS-3: --prune removes students who left the roll, except one a registration is bound to."""
    db = FakeDatabase()
    load(loading(db), in_memory(factories.province(), "load-1"), NOW)
    zhang, li = (row.protected(factories.protection().protect) for row in (factories.ZHANG, factories.LI))
    db.bindings[li.key] = "acc-li"
    fewer = replace(factories.province(), roll=factories.province().roll[2:])
    outcome = load(loading(db), replace(in_memory(fewer, "load-2"), prune=True), NOW)
    assert outcome.pruned == 1
    assert (zhang.id_type, zhang.identity.digest) not in db.roll
    assert (li.id_type, li.identity.digest) in db.roll


class ChangedWhileWritten(FakeProvince):
    """A change log of sort keys; the administrator changes a capacity while the catalog is written."""

    def __init__(self, db: FakeDatabase) -> None:
        super().__init__(db)
        self.log = [("2098-09-01T09:00:00#a", "notice/province")]
        self.settled: str | None = None

    def settled_through(self) -> str | None:
        return self.settled

    def changes_after(self, through: str | None) -> ChangesRead:
        after = [(sk, what) for sk, what in self.log if through is None or sk > through]
        return ChangesRead(frozenset(what for _, what in after), after[-1][0] if after else None)

    def settle_changes(self, through: str | None, load_id: str, at: datetime) -> None:
        self.settled = through

    def write_catalog(self, catalog: Catalog) -> None:
        super().write_catalog(catalog)
        self.log.append(("2098-09-01T09:30:00#b", "seats/NJU-GL/CET-SET4"))


def test_r_ops_2_a_change_made_while_the_catalog_is_written_is_told_and_left_unsettled() -> None:
    """R-OPS-2: the load may have written over a change committed during its own write: it says so;
    --file-wins settles the change log only up to what it read, so that change still counts."""
    db = FakeDatabase()
    store = ChangedWhileWritten(db)
    ctx = replace(loading(db), store=store)
    job = replace(in_memory(factories.province(), "load-1"), file_wins=True)
    outcome = load(ctx, job, NOW)
    assert outcome.changed_meanwhile == frozenset({"seats/NJU-GL/CET-SET4"})
    assert store.settled == "2098-09-01T09:00:00#a"
