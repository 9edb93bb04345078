"""The room plan's items (R-ROOM-1..3): who sits a written subject where, and how far the plan is.

`ROOMPLAN#<campus>#<subject>` is one site and subject's partition: its sitters (`SITTER#<account>`,
written with the payment), its seats (`SEAT#<room>#<seat>`, each written once, naming its
account) and its summary (`GROUP`, in GSI1 under `ROOMPLAN` for the overviews). `ROOMPLAN` /
`RUN` is the run in progress or last done.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.storage.models import TableItem


class SitterItem(TableItem, discriminator="sitter"):
    """A paid written subject waiting for, or holding, its seat (domain/room_plan.Sitter)."""

    account_id = UnicodeAttribute()
    campus_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    level = NumberAttribute()
    settled_at = UnicodeAttribute()
    name = UnicodeAttribute()
    id_masked = UnicodeAttribute()
    school_id = UnicodeAttribute()
    separate_room = BooleanAttribute(default=False)
    extra_minutes = NumberAttribute(default=0)


class PlanSeatItem(TableItem, discriminator="plan_seat"):
    """One seat given (R-ROOM-1): put once, on the condition that it is free or already this
    account's, so no two runners ever give one seat to two candidates."""

    account_id = UnicodeAttribute()
    campus_id = UnicodeAttribute()
    site_code = UnicodeAttribute()
    subject = UnicodeAttribute()
    room = NumberAttribute()
    seat = NumberAttribute()
    separate_room = BooleanAttribute(default=False)
    run = NumberAttribute()
    ticket_number = UnicodeAttribute()
    name = UnicodeAttribute()
    id_masked = UnicodeAttribute()
    level = NumberAttribute()
    extra_minutes = NumberAttribute(default=0)


class PlanGroupItem(TableItem, discriminator="plan_group"):
    """A site and subject's summary after the last run that seated it: seats per room (JSON)."""

    campus_id = UnicodeAttribute()
    site_code = UnicodeAttribute()
    school_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    run = NumberAttribute()
    seated = NumberAttribute(default=0)
    rooms = UnicodeAttribute(default="{}")  # {"001": {"seated": 30, "separate": false}, …}


class PlanRunItem(TableItem, discriminator="plan_run"):
    """The plan's run in progress or last done (domain/room_plan.PlanRun)."""

    number = NumberAttribute()
    cutoff = UnicodeAttribute()
    state = UnicodeAttribute()
    began_at = UnicodeAttribute()
    done_at = UnicodeAttribute(null=True)
    seated = NumberAttribute(default=0)  # the plan's figures as the last finished run left them
    rooms = NumberAttribute(default=0)
