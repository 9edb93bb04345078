"""What qualification, registration and the waitlist work with: the stores they read and write,
the key ring the roll is searched under, the clock and this Lambda's campuses known full."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.domain.clock import Clock
from chalicelib.services.accounts_ports import AccountStore
from chalicelib.services.registration_ports import CatalogStore, IdentityKeys, RegistrationStore, ReviewStore, RollStore
from chalicelib.services.seats import FullSeats
from chalicelib.services.waiting_room import WaitingRoomStore


@dataclass(frozen=True)
class RegistrationContext:
    catalogs: CatalogStore
    roll: RollStore
    reviews: ReviewStore
    registrations: RegistrationStore
    identities: IdentityKeys
    clock: Clock
    accounts: AccountStore  # the last lookup of each account, for the review's identity check
    waiting_room: WaitingRoomStore  # admissions of the waiting room (R-QUEUE-1/5)
    full_seats: FullSeats = field(default_factory=FullSeats)  # per Lambda: campuses known full
