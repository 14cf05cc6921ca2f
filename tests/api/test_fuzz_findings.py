"""Regressions for what schemathesis found against the local stack (one test per finding)."""

from __future__ import annotations

import json


def test_logs_from_a_date_before_1970_is_an_empty_range_not_a_500(client, accounts):
    user = accounts.user()
    r = client.http.get("/api/logs?from=0236-11-16T04%3A54%3A12-10%3A45", headers=user.headers)
    assert r.status_code == 200, r.body
    assert isinstance(json.loads(r.body)["items"], list)
    r = client.http.get("/api/logs?to=0236-11-16T04%3A54%3A12Z", headers=user.headers)
    assert r.status_code == 200 and json.loads(r.body)["items"] == []
