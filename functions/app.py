"""KeyLedger's Chalice app: creates the app and registers each domain's blueprints (routes and
scheduled jobs); nothing else."""

from __future__ import annotations

from chalice import Chalice
from chalicelib.accounts import admin_routes as accounts_admin
from chalicelib.accounts import auth_routes, security_routes
from chalicelib.accounts import routes as accounts
from chalicelib.audit import admin_routes as audit_admin
from chalicelib.bootstrap import resolve, web_edge
from chalicelib.catalog import admin_routes as catalog_admin
from chalicelib.catalog import jobs as catalog_jobs
from chalicelib.health import routes as health
from chalicelib.kernel.locator import install_resolver
from chalicelib.keys import admin_routes as keys_admin
from chalicelib.keys import routes as keys
from chalicelib.ledger import admin_routes as ledger_admin
from chalicelib.ledger import jobs as ledger_jobs
from chalicelib.ledger import routes as ledger
from chalicelib.metering import jobs as metering_jobs
from chalicelib.notifications import jobs as notifications_jobs
from chalicelib.notifications import routes as notifications
from chalicelib.usage import admin_routes as usage_admin
from chalicelib.usage import jobs as usage_jobs
from chalicelib.usage import routes as usage
from chalicelib.web.http import install

install(web_edge())  # api_route reads settings and the caller through this
install_resolver(resolve)  # routes and jobs reach their services through this (kernel.locator.use)
app = Chalice(app_name="keyledger")
app.api.binary_types = []  # every answer is text (JSON, CSV, event streams)

for blueprint in (
    health.bp,
    auth_routes.bp,
    accounts.bp,
    security_routes.bp,
    accounts_admin.bp,
    ledger.bp,
    usage.bp,
    ledger_admin.bp,
    metering_jobs.bp,
    keys.bp,
    catalog_admin.bp,
    keys_admin.bp,
    ledger_jobs.bp,
    notifications_jobs.bp,
    usage_admin.bp,
    usage_jobs.bp,
    audit_admin.bp,
    catalog_jobs.bp,
    notifications.bp,
):
    app.register_blueprint(blueprint)
