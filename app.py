from chalice.app import Chalice

from chalicelib.api import accounts, health, payments, staff, students
from chalicelib.jobs import expiry
from chalicelib.jobs import payments as payment_jobs

app = Chalice(app_name="cet-registration")
for blueprint in (health.bp, accounts.bp, students.bp, staff.bp, payments.bp, expiry.bp, payment_jobs.bp):
    app.register_blueprint(blueprint)
