"""KeyLedger's Chalice app: creates the app and registers the blueprints; nothing else."""

from __future__ import annotations

from chalice import Chalice
from chalicelib.jobs import holds, register_jobs
from chalicelib.routes import (
    account,
    admin_catalog,
    admin_ledger,
    admin_quotas,
    admin_users,
    auth,
    balance,
    health,
    quotas,
    security,
    usage,
)

app = Chalice(app_name="keyledger")
app.api.binary_types = []  # every answer is text (JSON, CSV, event streams)

for blueprint in (
    health.bp,
    auth.bp,
    account.bp,
    security.bp,
    admin_users.bp,
    balance.bp,
    usage.bp,
    admin_ledger.bp,
    holds.bp,
    quotas.bp,
    admin_catalog.bp,
    admin_quotas.bp,
):
    app.register_blueprint(blueprint)

register_jobs(app)
