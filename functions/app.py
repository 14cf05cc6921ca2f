"""KeyLedger's Chalice app: creates the app and registers the blueprints; nothing else."""

from __future__ import annotations

from chalice import Chalice

from chalicelib.routes import account, admin_catalog, admin_quotas, admin_users, auth, health, quotas, security

app = Chalice(app_name="keyledger")
app.api.binary_types = []  # every answer is text (JSON, CSV, event streams)

for blueprint in (health.bp, auth.bp, account.bp, security.bp, admin_users.bp, quotas.bp, admin_catalog.bp,
                  admin_quotas.bp):
    app.register_blueprint(blueprint)
