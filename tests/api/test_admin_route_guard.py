"""Every /api/admin route, read from the app's route table so a new one cannot be missed."""

from __future__ import annotations

import re

import pytest
from app import app

ADMIN_ROUTES = sorted(
    (path, method)
    for path, entry in app.routes.items() if path.startswith("/api/admin")
    for method in entry if method != "OPTIONS"
)


def _concrete(path: str) -> str:
    return re.sub(r"{\w+}", "x1", path)


def test_the_admin_route_table_is_not_empty():
    assert ("/api/admin/providers", "POST") in ADMIN_ROUTES


@pytest.mark.parametrize(("path", "method"), ADMIN_ROUTES)
def test_an_admin_route_refuses_a_normal_user(client, accounts, path, method):
    user = accounts.user()
    r = client.http.request(method, _concrete(path), headers=user.headers, body=b"{}")
    assert r.status_code == 403, r.body


@pytest.mark.parametrize(("path", "method"), ADMIN_ROUTES)
def test_an_admin_route_refuses_a_request_without_a_token(client, path, method):
    r = client.http.request(method, _concrete(path), headers={"Content-Type": "application/json"}, body=b"{}")
    assert r.status_code == 401, r.body
