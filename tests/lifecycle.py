"""The registration lifecycle as a state machine (decision 0032): students save registrations, choose
written subjects, grab and remove oral seats, wait for full campuses, place orders and pay them (in
time, twice, or found late); the clock moves, the expiry job, TTL's stream handler, the offer step
and the reconcile job run; the administrator changes capacities. Each step calls the real services
(chalicelib/bootstrap.py) on a fresh DynamoDB Local table; after each step the invariants are read
from the table, never from the model:

- every seat counter shard counts its holds and the pending seats naming it, never past its capacity
  (decisions 0019, 0020);
- one subject per kind and level for an account (R-WRIT-2);
- a candidate bound to one account at most (R-BIND-2);
- the money the provider took for orders the service settled (or was told of) is the fees of the
  paid subjects plus the refunds (R-PAY-3);
- a payment the service was told of is paid for its subjects, or, late, re-reserved or refunded
  (R-PAY-5).

The model holds only what the table cannot say: the accounts and roll rows in play, the orders
placed, which of them the provider took money for and which payments the service acknowledged.
A refusal (any DomainError: the 4xx answers, and BUSY) is a valid outcome of a step; anything else
raised is a failure.

tests/integration/test_lifecycle.py runs it under a short budget; `make soak` (tests/soak.py) for
10,000 steps.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import CampusFull, DomainError
from chalicelib.domain.orders import LateOutcome, Order, OrderStatus
from chalicelib.domain.registration import SubjectStatus
from chalicelib.domain.roll import RollRow
from chalicelib.payments.base import GatewayRefused
from chalicelib.services import administration, expiry, payments
from chalicelib.services import registration as reg
from chalicelib.services import waitlist as wl
from chalicelib.services.province import load_province
from chalicelib.storage.keys import candidate_pk
from chalicelib.storage.models import (
    BindingItem,
    LatePaymentItem,
    OrderItem,
    RegistrationItem,
    SeatCounterItem,
    SubjectItem,
    TableItem,
)
from chalicelib.storage.orders import order_from_item
from chalicelib.storage.tables import create_table, drop_table
from devstack.payments_local import SandboxDriver
from tests import factories
from tests.seat_counts import held_by_counter

T = TypeVar("T")
NOW = factories.NOW
ROWS: tuple[RollRow, ...] = (factories.ZHANG, factories.LI, factories.WANG, factories.QIAN, *factories.many_students(2))
ACCOUNTS = tuple(factories.student_account(n) for n in range(5))
ADMIN = factories.province_admin("-")
SAVED = 4  # accounts whose registration is saved before the first step
WRITTEN = ("CET4", "CET6", "CJT4")
ORAL = ("CET-SET4", "CET-SET6")
CAMPUSES = ("NJU-GL", "SEU-SP")
OFFERINGS = (("CET-SET4", "NJU-GL"), ("CET-SET4", "SEU-SP"), ("CET-SET6", "NJU-GL"))  # factories.catalog's
# Seconds the clock moves: within pay_by, or past it (R-PAY-1: unpaid holds live 24 hours).
WAITS = (10 * 60, 3600, 3 * 3600, 12 * 3600, 25 * 3600, 25 * 3600)
JOBS = ("expiry", "ttl", "offers", "reconcile")
REFUNDS = (LateOutcome.REFUNDED, LateOutcome.REFUND_PENDING)


class MovableClock(FixedClock):
    """The service clock of one run: set back to NOW for each example, moved by the `wait` step."""

    def reset(self, moment: datetime) -> None:
        self._now = moment


@dataclass
class Lab:
    """What every example shares: DynamoDB Local's endpoint, the payment sandbox plugged in
    (devstack.payments_local.install_sandbox; its settings in the environment) and its clock.
    `steps` counts the steps run over every example, `outcomes` how each kind of step ended."""

    driver: SandboxDriver
    clock: MovableClock
    steps: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "<step>: ok" or "<step>: <refusal>"


@dataclass
class Money:
    """What only the provider knows: the orders it took money for, and the payments the service
    acknowledged (a notification answered success, or an "更新" that came back)."""

    paid: dict[str, int] = field(default_factory=dict)
    told: set[str] = field(default_factory=set)
    unannounced: list[str] = field(default_factory=list)


class Lifecycle(RuleBasedStateMachine):
    lab: ClassVar[Lab]

    def __init__(self) -> None:
        super().__init__()
        self.built: Services | None = None
        self.orders: list[Order] = []
        self.money = Money()
        self._scan: tuple[int, list[TableItem]] = (-1, [])

    # --- the world ------------------------------------------------------------------------------

    @initialize(capacity=st.sampled_from([1, 2, 5]))
    def open_registration(self, capacity: int) -> None:
        """A fresh table, the test province loaded with `capacity` seats per oral offering (5 spans
        two shards of factories.SEAT_SHARD_SIZE), the five students' accounts created, the first
        four registrations saved with CET4 chosen."""
        self.lab.clock.reset(NOW)
        config = replace(settings(), table_name=f"cet-lifecycle-{uuid.uuid4().hex[:12]}")
        create_table(config, ttl=False, stream=False)  # TTL and the stream are played by the steps
        self.config = config
        self.built = build_services(config, self.lab.clock)
        load_province(self.built.loading, factories.province(capacity=capacity, extra_students=2), NOW)
        for account in ACCOUNTS:
            self.built.accounts.accounts.create(account)
        ctx = self.built.registration
        for account, row in zip(ACCOUNTS[:SAVED], ROWS, strict=False):  # the others save in a step
            reg.save_registration(ctx, account, row.id_type.value, row.id_number, row.name)
            reg.choose_subject(ctx, account, "CET4", None)  # R-ORAL-4: what an oral grab needs first

    def teardown(self) -> None:
        if self.built is not None:
            drop_table(self.config)

    @property
    def services(self) -> Services:
        assert self.built is not None
        return self.built

    def _step(self, name: str, action: Callable[[], T]) -> T | None:
        """One step: its refusals are answers (4xx, BUSY), anything else raised fails the run."""
        lab = type(self).lab
        lab.steps += 1
        try:
            done = action()
        except DomainError as refused:
            lab.outcomes[f"{name}: {type(refused).__name__}"] += 1
            return None
        lab.outcomes[f"{name}: ok"] += 1
        return done

    def _student(self, a: int, saved: bool = True) -> Account:
        """The `a`th account (modulo) of those with a registration stored (`saved`) or without,
        as the table read after the last step shows; any account if there is none."""
        stored = {i.account_id for i in self._items() if isinstance(i, RegistrationItem)}
        some = [account for account in ACCOUNTS if (account.account_id in stored) is saved] or list(ACCOUNTS)
        return some[a % len(some)]

    def _now(self) -> datetime:
        return self.lab.clock.now()

    # --- students -------------------------------------------------------------------------------

    @rule(a=st.integers(0, len(ACCOUNTS) - 1), r=st.integers(0, len(ROWS) - 1))
    def save_registration(self, a: int, r: int) -> None:
        row = ROWS[r]
        ctx = self.services.registration
        account = self._student(a, saved=False)
        self._step("save", lambda: reg.save_registration(ctx, account, row.id_type.value, row.id_number, row.name))

    @rule(a=st.integers(0, len(ACCOUNTS) - 1), code=st.sampled_from(WRITTEN))
    def choose_written(self, a: int, code: str) -> None:
        account = self._student(a)
        self._step("choose_written", lambda: reg.choose_subject(self.services.registration, account, code, None))

    @rule(a=st.integers(0, len(ACCOUNTS) - 1), pick=st.integers(0, 3), code=st.sampled_from(WRITTEN + ORAL))
    def remove(self, a: int, pick: int, code: str) -> None:
        """R-PAY-3, R-ORAL-5: one of the subjects the account holds (`code` when it holds none)."""
        stored = self.services.registration.registrations.get(ACCOUNTS[a].account_id)
        held = [s.code for s in stored.subjects] if stored else []
        code = held[pick % len(held)] if held else code
        self._step("remove", lambda: reg.remove_subject(self.services.registration, ACCOUNTS[a], code))

    @rule(a=st.integers(0, len(ACCOUNTS) - 1), offering=st.sampled_from(OFFERINGS))
    def grab_or_wait(self, a: int, offering: tuple[str, str]) -> None:
        """R-ORAL-1..4, R-WAIT-1: grab the seat, and join the list if the campus is full."""
        code, campus = offering
        account = self._student(a)

        def attempt() -> object:
            try:
                return reg.choose_subject(self.services.registration, account, code, campus)
            except CampusFull:
                return wl.join(self.services.waitlist, account, code, campus)

        self._step("grab_or_wait", attempt)

    @rule(a=st.integers(0, len(ACCOUNTS) - 1), code=st.sampled_from(ORAL))
    def leave_waitlist(self, a: int, code: str) -> None:
        """R-WAIT-1: a list the account is on (`code` when it is on none)."""
        entries = wl.my_entries(self.services.waitlist, ACCOUNTS[a])
        code = entries[0].entry.subject if entries else code
        self._step("leave_waitlist", lambda: wl.leave(self.services.waitlist, ACCOUNTS[a], code))

    # --- time and the jobs ----------------------------------------------------------------------

    @rule(seconds=st.sampled_from(WAITS), then=st.sampled_from(["nothing", *JOBS]))
    def wait(self, seconds: int, then: str) -> None:
        """The clock moves; then one job runs, or none yet."""
        self._step("wait", lambda: self.lab.clock.advance(seconds))
        if then != "nothing":
            self.job(then)

    @rule(job=st.sampled_from(JOBS))
    def job(self, job: str) -> None:
        """The scheduled jobs: the expiry job (R-PAY-1, R-BIND-4), TTL's stream handler, the waiting
        list's offer step (R-WAIT-2), the payments' reconcile (R-PAY-3/5)."""
        if job == "ttl":
            self._ttl_deletes_a_hold()
        elif job == "expiry":
            registrations = self.services.registration.registrations
            self._step("expiry job", lambda: expiry.expire(registrations, self._now()))
        elif job == "offers":
            self._step("offer job", lambda: wl.offer_pending(self.services.waitlist))
        else:
            self._step("reconcile job", lambda: payments.reconcile(self.services.payments))

    def _ttl_deletes_a_hold(self) -> None:
        """DynamoDB's TTL deletes the holds past their `expires` (pay_by + an hour), one by one in no
        order it promises (here, by key); for each, the stream hands the
        old image to the handler (jobs/expiry.py `release_ttl_deleted_holds` → `handle_removed`),
        which calls `expiry.release_removed_holds` (decision 0011: DynamoDB Local's own sweeper is
        too slow to wait for)."""
        now = self._now()
        registrations = self.services.registration.registrations
        due = [i for i in self._items() if isinstance(i, SubjectItem) and i.expires is not None and i.expires < now]
        for item in sorted(due, key=lambda i: (i.pk, i.sk)):
            image: dict[str, Any] = item.serialize()  # DynamoDB JSON, as the stream's old image
            item.delete()
            self._step("ttl", functools.partial(expiry.release_removed_holds, registrations, [image], now))
        if not due:
            self._step("ttl (none due)", lambda: None)

    @rule(offering=st.sampled_from(OFFERINGS), capacity=st.integers(0, 6))
    def change_capacity(self, offering: tuple[str, str], capacity: int) -> None:
        code, campus = offering
        ctx = self.services.administration
        self._step("change_capacity", lambda: administration.change_capacity(ctx, ADMIN, campus, code, capacity))

    # --- orders and money -----------------------------------------------------------------------

    @rule(a=st.integers(0, len(ACCOUNTS) - 1))
    def place_order(self, a: int) -> None:
        ctx = self.services.payments
        order = self._step("place_order", lambda: payments.place_order(ctx, self._student(a), "alipay", None))
        if order is not None:
            self.orders.append(order)

    def _unpaid(self) -> list[Order]:
        return [o for o in self.orders if o.order_id not in self.money.paid]

    @precondition(lambda self: bool(self._unpaid()))
    @rule(pick=st.integers(0, 7), deliveries=st.sampled_from([0, 0, 1, 2, 3]))
    def pay(self, pick: int, deliveries: int) -> None:
        """The student pays on the provider's page (the newest unpaid order, mostly); its
        notification comes `deliveries` times (R-PAY-3), or is lost (0), to be found later, perhaps
        late (R-PAY-5)."""
        unpaid = self._unpaid()
        order = unpaid[-1 - pick] if pick < len(unpaid) else unpaid[-1]
        if not self._provider_takes(order):
            return
        if deliveries == 0:
            self.money.unannounced.append(order.order_id)
        for _ in range(deliveries):
            self._announce(order)

    @precondition(lambda self: bool(self._unpaid()))
    @rule(pick=st.integers(0, 7), by_refresh=st.booleans(), job=st.sampled_from(["expiry", "ttl"]))
    def payment_found_a_day_later(self, pick: int, by_refresh: bool, job: str) -> None:
        """R-PAY-5 in one step: paid in time, the notification lost; a day passes and the expiry
        job (or TTL) takes the holds; then the notification comes, or the student presses "更新"."""
        unpaid = self._unpaid()
        order = unpaid[-1 - pick] if pick < len(unpaid) else unpaid[-1]
        if not self._provider_takes(order):
            return
        self.money.unannounced.append(order.order_id)
        self.wait(25 * 3600, job)
        self.payment_found(len(self.money.unannounced) - 1, by_refresh)

    @precondition(lambda self: bool(self.money.unannounced))
    @rule(pick=st.integers(0, 7), by_refresh=st.booleans())
    def payment_found(self, pick: int, by_refresh: bool) -> None:
        """The lost payment's notification comes after all, or the student presses "更新"."""
        order_id = self.money.unannounced.pop(pick % len(self.money.unannounced))
        order = next(o for o in self.orders if o.order_id == order_id)
        if not by_refresh:
            self._announce(order)
            return
        if self._step("payment_found", lambda: payments.refresh_order(self.services.payments, order)) is not None:
            self.money.told.add(order.order_id)

    def _provider_takes(self, order: Order) -> bool:
        try:
            self._step("provider", lambda: self.lab.driver.pay(order, 0, False))
        except GatewayRefused:  # closed, or past its time: the provider takes nothing
            self.lab.outcomes["provider: GatewayRefused"] += 1
            return False
        self.money.paid[order.order_id] = order.amount
        return True

    def _announce(self, order: Order) -> None:
        body, content_type = self.lab.driver.sandbox.notification(order.provider_order_no, self._now())
        ctx = self.services.payments
        answer = self._step(
            "notification", lambda: payments.handle_notification(ctx, order.provider, body, content_type)
        )
        if answer is not None and answer.body == "success":
            self.money.told.add(order.order_id)

    # --- invariants, read from the table --------------------------------------------------------

    def _items(self) -> list[TableItem]:
        """The whole table (a few hundred items at most), read once per step."""
        if self._scan[0] != self.lab.steps:
            self._scan = (self.lab.steps, list(TableItem.scan(consistent_read=True)))
        return self._scan[1]

    @invariant()
    def each_shard_counts_its_holds_and_pending_seats(self) -> None:
        """Decisions 0019/0020, R-ORAL-4: a shard's `taken` is its holds (an expired one until its
        seat is given back) plus the pending seats naming it, and never above its capacity."""
        if self.built is None:
            return
        items = self._items()
        shards = {i.pk: (int(i.taken), int(i.capacity)) for i in items if isinstance(i, SeatCounterItem)}
        held = held_by_counter(items)
        assert {pk: taken for pk, (taken, _) in shards.items()} == {pk: held[pk] for pk in shards}, "taken ≠ held"
        assert set(held) <= set(shards), f"holds on no counter: {set(held) - set(shards)}"
        over = {pk: seats for pk, seats in shards.items() if seats[0] > seats[1]}
        assert not over, f"shards past their capacity (taken, capacity): {over}"

    @invariant()
    def one_subject_per_level(self) -> None:
        """R-WRIT-2: never two subjects of one kind and level for one account."""
        if self.built is None:
            return
        slots = Counter(
            (i.account_id, i.subject_kind, int(i.level)) for i in self._items() if isinstance(i, SubjectItem)
        )
        assert not [slot for slot, n in slots.items() if n > 1], f"two subjects in one slot: {slots.most_common(3)}"

    @invariant()
    def a_candidate_is_bound_to_one_account(self) -> None:
        """R-BIND-2: one registration per candidate, its binding naming that account."""
        if self.built is None:
            return
        items = self._items()
        registrations = [i for i in items if isinstance(i, RegistrationItem)]
        by_candidate = Counter(i.candidate_key for i in registrations)
        assert not [c for c, n in by_candidate.items() if n > 1], "a candidate bound to two accounts"
        bindings = {i.pk: i.account_id for i in items if isinstance(i, BindingItem)}
        unbound = [i.account_id for i in registrations if bindings.get(candidate_pk(i.candidate_key)) != i.account_id]
        assert not unbound, f"registrations their candidate's binding does not name: {unbound}"

    def _stored_orders(self) -> dict[str, Order]:
        return {i.order_id: order_from_item(i) for i in self._items() if isinstance(i, OrderItem)}

    @invariant()
    def money_in_is_paid_fees_plus_refunds(self) -> None:
        """R-PAY-3/5: what the provider took, for orders the service settled or acknowledged, is
        the fees of the paid subjects plus the refunds; nothing settled the provider did not take."""
        if self.built is None:
            return
        stored = self._stored_orders()
        settled = {o for o, order in stored.items() if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED)}
        assert settled <= set(self.money.paid), f"settled without a payment: {settled - set(self.money.paid)}"
        money_in = sum(amount for o, amount in self.money.paid.items() if o in settled or o in self.money.told)
        fees = sum(
            int(i.fee) for i in self._items() if isinstance(i, SubjectItem) and i.status == SubjectStatus.PAID.value
        )
        refunds = sum(order.amount for order in stored.values() if order.late in REFUNDS)
        assert money_in == fees + refunds, f"money in {money_in} ≠ paid fees {fees} + refunds {refunds}"

    @invariant()
    def every_payment_told_is_paid_re_reserved_or_refunded(self) -> None:
        """R-PAY-5: a payment the service acknowledged left its order paid (its subjects paid, in
        time or re-reserved) or refunded (with the staff's record of the case)."""
        if self.built is None:
            return
        stored = self._stored_orders()
        recorded = {i.order_id for i in self._items() if isinstance(i, LatePaymentItem)}
        paid_codes: dict[str, set[str]] = defaultdict(set)
        for i in self._items():
            if isinstance(i, SubjectItem) and i.status == SubjectStatus.PAID.value:
                paid_codes[i.account_id].add(i.code)
        for order_id in sorted(self.money.told):
            order = stored[order_id]
            if order.status is OrderStatus.PAID and order.late in (None, LateOutcome.RE_RESERVED):
                codes = {s.code for s in order.subjects}
                assert codes <= paid_codes[order.account_id], f"order {order_id} paid, its subjects not"
                assert order.late is None or order_id in recorded, f"re-reserved {order_id} not recorded"
                continue
            assert order.status is OrderStatus.REFUNDED, f"payment told, order {order_id} {order.status}"
            assert order.late in REFUNDS, f"refunded {order_id} without a late outcome"
            assert order_id in recorded, f"refunded {order_id} without the staff's record"


def lifecycle_in(lab: Lab) -> type[Lifecycle]:
    """The machine bound to `lab` (class-level: Hypothesis makes a new instance per example)."""
    return type("Lifecycle", (Lifecycle,), {"lab": lab})
