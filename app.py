from chalice.app import Chalice

from chalicelib.api import (
    access_log,
    accounts,
    admin,
    headers,
    health,
    payments,
    recovery,
    staff,
    students,
    tickets,
    waiting_room,
    waitlist,
)
from chalicelib.jobs import expiry, messages
from chalicelib.jobs import payments as payment_jobs
from chalicelib.jobs import room_plan as room_plan_jobs
from chalicelib.jobs import waiting_room as waiting_room_jobs
from chalicelib.jobs import waitlist as waitlist_jobs

# Powertools logs for the service (chalicelib/logs.py); Chalice adding its own handler to the same
# logger would print every line twice.
app = Chalice(app_name="cet-registration", configure_logs=False)
app.api.binary_types.append("application/pdf")  # R-PAY-6 receipts
# The access log first: it wraps every other middleware and sees the status the client gets.
for blueprint in (
    access_log.bp,
    headers.bp,  # outside the contract shaping below: the reshaped 405/415 carry the headers too
    health.bp,
    accounts.bp,
    recovery.bp,
    students.bp,
    waitlist.bp,
    staff.bp,
    admin.bp,
    payments.bp,
    waiting_room.bp,
    tickets.bp,
    expiry.bp,
    payment_jobs.bp,
    messages.bp,
    waiting_room_jobs.bp,
    waitlist_jobs.bp,
    room_plan_jobs.bp,  # the room plan's three functions, called by its state machine (decision 0030)
):
    app.register_blueprint(blueprint)
