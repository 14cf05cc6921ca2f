"""KeyLedger's Chalice app: creates the app and registers each domain's blueprints (routes and
scheduled jobs), handing each the providers of the services it calls; nothing else.

A provider (`lazy(...)`) builds nothing until a request or a job calls it, so importing this
module imports no service, store or client: a cold start pays for them on first use."""

from __future__ import annotations

from chalice import Chalice
from chalicelib.accounts import admin_routes as accounts_admin
from chalicelib.accounts import auth_routes, security_routes
from chalicelib.accounts import routes as accounts
from chalicelib.audit import admin_routes as audit_admin
from chalicelib.bootstrap import lazy, web_edge
from chalicelib.catalog import admin_routes as catalog_admin
from chalicelib.catalog import jobs as catalog_jobs
from chalicelib.catalog import own_routes
from chalicelib.health import routes as health
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
app = Chalice(app_name="keyledger")
app.api.binary_types = []  # every answer is text (JSON, CSV, event streams)

settings = lazy(lambda c: c.settings)
now = lazy(lambda c: c.clock.now())
account_service = lazy(lambda c: c.accounts)
recovery_service = lazy(lambda c: c.recovery)
audit_service = lazy(lambda c: c.audit)
keys_service = lazy(lambda c: c.keys)
ledger_service = lazy(lambda c: c.ledger)
code_service = lazy(lambda c: c.codes)
membership_service = lazy(lambda c: c.membership)
usage_views = lazy(lambda c: c.usage_views)
notification_service = lazy(lambda c: c.notifications)
provider_balances = lazy(lambda c: c.provider_balances)

for blueprint in (
    health.blueprint(settings),
    auth_routes.blueprint(accounts=account_service, recovery=recovery_service),
    accounts.blueprint(accounts=account_service, security=lazy(lambda c: c.account_security),
                       recovery=recovery_service),
    security_routes.blueprint(audit=audit_service),
    accounts_admin.blueprint(admin_users=lazy(lambda c: c.admin_users), recovery=recovery_service),
    ledger.blueprint(ledger=ledger_service, codes=code_service, membership=membership_service),
    usage.blueprint(usage=usage_views),
    ledger_admin.blueprint(ledger=ledger_service, codes=code_service, membership=membership_service,
                           keys=keys_service, usage=usage_views),
    metering_jobs.blueprint(metering=lazy(lambda c: c.metering), now=now),
    keys.blueprint(keys=keys_service),
    catalog_admin.blueprint(catalog_admin=lazy(lambda c: c.catalog_admin)),
    keys_admin.blueprint(keys=keys_service),
    ledger_jobs.blueprint(codes=code_service, membership=membership_service,
                          retention=lazy(lambda c: c.ledger_retention), settings=settings, now=now),
    notifications_jobs.blueprint(quota_warnings=lazy(lambda c: c.quota_warnings), notices=notification_service,
                                 now=now),
    usage_admin.blueprint(admin_usage=lazy(lambda c: c.admin_usage)),
    usage_jobs.blueprint(rollups=lazy(lambda c: c.usage_rollups)),
    audit_admin.blueprint(audit=audit_service),
    catalog_jobs.blueprint(health_checks=lazy(lambda c: c.provider_health), balances=provider_balances, now=now),
    notifications.blueprint(notices=notification_service),
    own_routes.blueprint(own=lazy(lambda c: c.own_providers), balances=provider_balances),
):
    app.register_blueprint(blueprint)
