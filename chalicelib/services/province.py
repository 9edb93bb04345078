"""Loading a province (R-OPS-3): catalog and seat counters, staff, roll, score records, a record.

ID numbers are protected before anything is written (decision 0013). A table that still holds
the old form (whole numbers) or digests of an older key version is converted first.

The writes are ordered so the province is never half usable: the catalog with its seat counters
and the staff accounts first, then the roll and the score records, then the identity mark (the
table is searchable from then on) and the load record marked complete. Every write is a put of
the same item or a conditional one, so a load stopped half way is completed by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.errors import IdentityKeyUnavailable
from chalicelib.domain.identity import Conversion, Protection
from chalicelib.domain.province import LoadRecord, Progress, ProvinceData, ProvinceLoad, Written, in_memory
from chalicelib.domain.reload import Reloaded, check_openings, check_sitting, reload_catalog
from chalicelib.domain.roll import RollEntry, RollRow
from chalicelib.services.accounts_ports import AccountStore
from chalicelib.services.province_ports import ProvinceStore, StaffActivations
from chalicelib.services.staff_activation import StaffOutcome, activate_staff


def check_keys(store: ProvinceStore, protection: Protection) -> bool:
    """Refuse a key that would make the table's digests unfindable; True if a conversion is due."""
    target = protection.mark
    held, pending = store.identity_mark(), store.pending_identity_mark()
    for mark in (held, pending):
        if mark is not None and mark.version == target.version and mark.check != target.check:
            raise IdentityKeyUnavailable(
                f"表中证件号码摘要用的是另一把版本 {mark.version} 的密钥：请使用原密钥，或以新版本号引入新密钥。"
            )
    if pending is not None:
        return True  # a conversion was interrupted: finish it
    if held is None:
        return store.province_loaded()  # loaded, yet no mark: the form before decision 0013
    return held.version != target.version


@dataclass(frozen=True)
class ProvinceLoading:
    store: ProvinceStore
    accounts: AccountStore
    activations: StaffActivations
    protection: Callable[[], Protection]  # a new data key for each load
    # Called once the mark is withdrawn, before converting: long enough for every API instance to
    # drop its cached mark and finish a request begun under it (the composition root decides).
    settle: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class LoadOutcome:
    conversion: Conversion | None
    written: dict[str, int]  # rows written, by file kind ("roll", "cet4_scores")
    staff: StaffOutcome
    pruned: int | None  # None: not asked for
    resumed: bool  # the same files' load had been stopped half way: this run completed it
    record: LoadRecord
    reloaded: Reloaded | None = None  # the administrator's changes kept, or overridden (file_wins)
    # Targets the administrator changed while the catalog was being written: the load may have
    # written over them, so they are told (R-OPS-2: nothing lost in silence).
    changed_meanwhile: frozenset[str] = frozenset()


def write_catalog(store: ProvinceStore, job: ProvinceLoad, now: datetime) -> tuple[Reloaded, frozenset[str]]:
    """R-OPS-2, R-OPS-3: the file's catalog, except that each target the administrator changed since
    a load last let the file win keeps the table's value, unless this load lets the file win
    (decision 0023). Returns what differed, and the targets changed while this was written."""
    settled = store.settled_through()
    seen = store.changes_after(settled)
    reloaded = reload_catalog(job.catalog, store.table_catalog(), seen.whats, job.file_wins)
    store.write_catalog(reloaded.catalog)
    through = seen.through or settled
    if job.file_wins:
        store.settle_changes(through, job.load_id, now)
    return reloaded, store.changes_after(through).whats


class _Keys:
    """The candidate keys written, kept compact (64-bit hashes) for `--prune`: a collision can only
    keep an entry that should have gone, never remove one that is in the file."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def add(self, key: str) -> None:
        self._seen.add(hash(key))

    def __contains__(self, key: object) -> bool:
        return hash(key) in self._seen


def _noting(entries: Iterable[RollEntry], keys: _Keys | None) -> Iterator[RollEntry]:
    for entry in entries:
        if keys is not None:
            keys.add(entry.key)
        yield entry


def _reporter(progress: Progress | None, what: str, total: int) -> Written | None:
    if progress is None:
        return None
    progress(what, 0, total)
    return lambda done: progress(what, done, total)


def load(ctx: ProvinceLoading, job: ProvinceLoad, now: datetime, progress: Progress | None = None) -> LoadOutcome:
    """Write the province's files (R-OPS-3); what was written, and the conversion if one was due."""
    store, protection = ctx.store, ctx.protection()
    due = check_keys(store, protection)
    table = store.table_catalog()
    check_sitting(job.catalog, table, now)  # R-ROOM-2: refused before any write
    check_openings(job.catalog, table, now)  # R-QUEUE-3: likewise
    earlier = store.load_record(job.load_id)
    resumed = earlier is not None and not earlier.complete
    started = LoadRecord(job.load_id, earlier.started_at if resumed and earlier else now, job.files)
    store.save_load_record(started)
    store.keep_data_key(protection.data_key, now)  # first: nothing is sealed under a key the table lacks
    conversion = None
    if due:
        store.withdraw_identity_mark(protection.mark)  # while digests change, lookups refuse, never miss
        report = progress or (lambda _what, _done, _total: None)
        report("settle", 0, 1)
        ctx.settle()
        report("settle", 1, 1)
        conversion = store.convert_identities(protection, progress)
    reloaded, meanwhile = write_catalog(store, job, now)
    staff = activate_staff(ctx.accounts, ctx.activations, job.staff, job.load_id, now, protection.code_keys)
    written: dict[str, int] = {}
    keys = _Keys() if job.prune and job.roll is not None else None
    if job.roll is not None:
        rows: Iterable[RollRow] = job.roll.read()
        entries = _noting((row.protected(protection.protect) for row in rows), keys)
        written["roll"] = store.write_roll(entries, _reporter(progress, "roll", job.roll.count))
    if job.scores is not None:
        records = (row.protected(protection.protect) for row in job.scores.read())
        written["cet4_scores"] = store.write_scores(records, _reporter(progress, "cet4_scores", job.scores.count))
    pruned = store.prune_roll(keys) if keys is not None else None
    store.mark_identity(protection.mark)
    record = LoadRecord(job.load_id, started.started_at, job.files, now, written, pruned or 0)
    store.save_load_record(record)
    return LoadOutcome(conversion, written, staff, pruned, resumed, record, reloaded, meanwhile)


def load_province(
    ctx: ProvinceLoading, data: ProvinceData, now: datetime, progress: Progress | None = None
) -> Conversion | None:
    """Write a whole dataset held in memory; the conversion of what the table held, if one was due."""
    return load(ctx, in_memory(data, f"dataset-{now.isoformat()}"), now, progress).conversion
