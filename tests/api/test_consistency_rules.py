"""One answer for each rule issue 16 found inconsistent: inclusive date ranges on /api/logs, an
unknown log type, `rpm: 0`, limits left out of a new quota. (An invalid plan: test_plans_and_codes_routes;
upper-case usernames: test_bad_input; a raised limit: test_proxy_remembered_keys.)"""

from __future__ import annotations

import json
from datetime import timedelta

from chalicelib.kernel.clock import iso


def _call(client, method, path, who, body=None):
    r = getattr(client.http, method.lower())(path, headers={**who.headers, "Content-Type": "application/json"},
                                             body=None if body is None else json.dumps(body))
    return r.status_code, (json.loads(r.body) if r.body else None)


def test_logs_to_is_an_inclusive_day_like_statistics_and_csv(client, container, clock, accounts):
    user = accounts.user()
    container.audit.record(user_id=user.user_id, type="billing", action="marker")
    day = iso(clock.now())[:10]
    before = (clock.now() - timedelta(days=1)).date().isoformat()

    def actions(query):
        status, body = _call(client, "GET", f"/api/logs?type=billing&{query}", user)
        assert status == 200, body
        return [i["action"] for i in body["items"]]

    assert actions(f"to={day}") == ["marker"]
    assert actions(f"from={day}&to={day}") == ["marker"]
    assert actions(f"to={before}") == []
    assert actions(f"from={(clock.now() + timedelta(days=1)).date().isoformat()}") == []


def test_an_unknown_log_type_is_a_400(client, accounts):
    user = accounts.user()
    status, body = _call(client, "GET", "/api/logs?type=bogus", user)
    assert status == 400 and body["error"]["code"] == "validation_error"
    assert _call(client, "GET", "/api/logs?type=auth", user)[0] == 200


def _group(client, admin):
    status, body = _call(client, "POST", "/api/admin/groups", admin,
                         {"name": "basic", "models": [], "default_quota": {"period": "day", "limit_cost": "5",
                                                                           "rpm": 30, "warn_at": ["0.8"]}})
    assert status == 201, body


def test_rpm_zero_means_no_limit_on_create_and_update(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    _group(client, admin)
    status, quota = _call(client, "POST", "/api/admin/quotas", admin,
                          {"user_id": user.user_id, "group": "basic", "rpm": 0})
    assert status == 201, quota
    assert quota["rpm"] is None
    status, _ = _call(client, "PUT", f"/api/admin/quotas/{quota['quota_id']}", admin, {"rpm": 10})
    status, updated = _call(client, "PUT", f"/api/admin/quotas/{quota['quota_id']}", admin, {"rpm": 0})
    assert status == 200 and updated["rpm"] is None
    assert _call(client, "PUT", f"/api/admin/quotas/{quota['quota_id']}", admin, {"rpm": -1})[0] == 400


def test_a_new_quota_says_which_limits_came_from_the_group_defaults(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    _group(client, admin)
    status, quota = _call(client, "POST", "/api/admin/quotas", admin,
                          {"user_id": user.user_id, "group": "basic", "limit_cost": "2"})
    assert status == 201, quota
    assert quota["defaults_applied"] == ["period", "limit_tokens", "rpm", "warn_at", "auto_renew",
                                         "allow_own_providers"]
    assert (quota["period"], quota["limit_cost"], quota["rpm"]) == ("day", "2.000000", 30)
