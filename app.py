from chalice.app import Chalice

from chalicelib.api import accounts, health, staff, students
from chalicelib.jobs import expiry

app = Chalice(app_name="cet-registration")
for blueprint in (health.bp, accounts.bp, students.bp, staff.bp, expiry.bp):
    app.register_blueprint(blueprint)
