from chalice.app import Chalice

from chalicelib.api import accounts, health, staff, students

app = Chalice(app_name="cet-registration")
for blueprint in (health.bp, accounts.bp, students.bp, staff.bp):
    app.register_blueprint(blueprint)
