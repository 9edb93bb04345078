"""The waiting room's store in memory (chalicelib/storage/waiting_room.py's semantics), on a FakeDatabase."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from chalicelib.domain.messages import Message
from chalicelib.domain.waiting_room import OpeningProgress, QueueClaim, QueueEntry

if TYPE_CHECKING:
    from tests.fakes import FakeDatabase


class FakeWaitingRoom:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def entry(self, account_id: str, opening_id: str) -> QueueEntry | None:
        with self.db.lock:
            return self.db.entries.get((account_id, opening_id))

    def claim(self, candidate: str, opening_id: str) -> QueueClaim | None:
        with self.db.lock:
            return self.db.claims.get((candidate, opening_id))

    def join(self, entry: QueueEntry, replacing: QueueEntry | None, claimed: QueueClaim | None) -> bool:
        if entry.candidate is None:
            raise ValueError("an entry names its candidate (R-QUEUE-2)")
        with self.db.lock:
            held = self.db.entries.get((entry.account_id, entry.opening_id))
            if (held is None) != (replacing is None) or (held and replacing and held.round != replacing.round):
                return False
            if self.db.claims.get((entry.candidate, entry.opening_id)) != claimed:
                return False
            if held is not None and (held.position != (replacing.position if replacing else None)):
                return False
            if held is not None and held.position is not None:  # R-QUEUE-6: the order keeps its place
                self.db.kept_places[(held.opening_id, held.position)] = held.account_id
            self.db.entries[(entry.account_id, entry.opening_id)] = entry
            self.db.claims[(entry.candidate, entry.opening_id)] = QueueClaim(entry.account_id, entry.round)
            return True

    def progress(self, opening_id: str, with_seed: bool) -> OpeningProgress | None:
        return self.progress_now(opening_id, with_seed)

    def progress_now(self, opening_id: str, with_seed: bool = False) -> OpeningProgress | None:
        with self.db.lock:
            found = self.db.progress.get(opening_id)
            if found is not None and with_seed and found.seed is None:
                found = replace(found, seed=self.db.seeds.get(opening_id))
            return found

    def seed(self, opening_id: str) -> str | None:
        with self.db.lock:
            return self.db.seeds.get(opening_id)

    def save_progress(self, opening_id: str, progress: OpeningProgress) -> None:
        with self.db.lock:
            held = self.db.progress.get(opening_id)
            if held is None or held.admitted > progress.admitted or held.positioned > progress.positioned:
                return
            self.db.progress[opening_id] = replace(
                progress,
                seed_sha256=held.seed_sha256,
                ordered=progress.ordered if progress.ordered is not None else held.ordered,
                seed=progress.seed or held.seed,
            )

    def _of(self, opening_id: str) -> list[QueueEntry]:
        with self.db.lock:
            return [e for (_, o), e in self.db.entries.items() if o == opening_id]

    def arrivals(self, opening_id: str) -> list[QueueEntry]:
        return sorted(
            (e for e in self._of(opening_id) if e.position is None), key=lambda e: (e.joined_at, e.account_id)
        )

    def waiting_count(self, opening_id: str) -> int:
        return len(self.arrivals(opening_id))

    def placed_between(self, opening_id: str, first: int, last: int) -> list[QueueEntry]:
        placed = [e for e in self._of(opening_id) if e.position is not None and first <= e.position <= last]
        return sorted(placed, key=lambda e: e.position or 0)

    def pre_opening_page(self, opening_id: str, first: int, last: int) -> dict[int, str]:
        with self.db.lock:
            kept = {p: a for (o, p), a in self.db.kept_places.items() if o == opening_id and first <= p <= last}
        placed = {e.position: e.account_id for e in self.placed_between(opening_id, first, last) if e.position}
        return {**kept, **placed}

    def kept_places(self, opening_id: str, first: int, last: int) -> set[int]:
        with self.db.lock:
            return {p for (o, p) in self.db.kept_places if o == opening_id and first <= p <= last}

    def last_position(self, opening_id: str) -> int:
        with self.db.lock:
            kept = [p for (o, p) in self.db.kept_places if o == opening_id]
        return max([*(e.position or 0 for e in self._of(opening_id)), *kept], default=0)

    def place(self, entry: QueueEntry, position: int) -> bool:
        with self.db.lock:
            key = (entry.account_id, entry.opening_id)
            held = self.db.entries.get(key)
            if held is None or held.round != entry.round or held.position not in (None, position):
                return False
            self.db.entries[key] = replace(held, position=position)
            return True

    def place_many(self, places: list[tuple[QueueEntry, int]]) -> int:
        return sum(self.place(entry, position) for entry, position in places)

    def admit(self, entry: QueueEntry, at: datetime, until: datetime, notice: Message | None = None) -> bool:
        with self.db.lock:
            key = (entry.account_id, entry.opening_id)
            held = self.db.entries.get(key)
            if held is None or held.round != entry.round or held.position != entry.position or held.admitted_at:
                return False
            if notice is not None:
                if notice.event_id in self.db.outbox:
                    return False  # the transaction's outbox condition: nothing written
                self.db.outbox[notice.event_id] = notice
            self.db.entries[key] = replace(held, admitted_at=at, admitted_until=until)
            return True

    def admit_many(self, admissions: list[tuple[QueueEntry, Message | None]], at: datetime, until: datetime) -> int:
        return sum(self.admit(entry, at, until, notice) for entry, notice in admissions)

    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        with self.db.lock:
            held = self.db.leases.get(name)
            if held is not None and held[1] >= now:
                return False
            self.db.leases[name] = (holder, until)
            return True

    def release_lease(self, name: str, holder: str) -> None:
        with self.db.lock:
            if self.db.leases.get(name, ("", None))[0] == holder:
                del self.db.leases[name]
