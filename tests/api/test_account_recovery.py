"""Issue 16: account recovery through the API (API.md: Account recovery, Admin)."""

from __future__ import annotations

import json

from tests.support.api_calls import JSON, call

NEW_PASSWORD = "a brand new password"


def post(client, path, body):
    r = client.http.post(path, headers=JSON, body=json.dumps(body))
    return r.status_code, json.loads(r.body) if r.body else None


def login(client, accounts, username, password, secret):
    return post(client, "/api/login", {"username": username, "password": password,
                                       "totp_code": accounts.code(secret)})


def audit_actions(container, user_id):
    entries, _ = container.audit.logs(user_id, limit=100)
    return [e.action for e in entries]


def test_a_password_change_ends_every_other_session_and_keeps_this_one(client, accounts):
    user = accounts.user()
    other = accounts.login(user)
    status, _ = call(client, "POST", "/api/password/change", user,
                     {"current_password": user.password, "new_password": NEW_PASSWORD,
                      "code": accounts.code(user.totp_secret)})
    assert status == 204
    assert call(client, "GET", "/api/me", other)[0] == 401
    assert call(client, "GET", "/api/me", user)[0] == 200
    assert login(client, accounts, user.username, user.password, user.totp_secret)[0] == 401
    assert login(client, accounts, user.username, NEW_PASSWORD, user.totp_secret)[0] == 200


def test_a_password_change_needs_the_current_password_and_a_code(client, accounts):
    user = accounts.user()
    assert call(client, "POST", "/api/password/change", user,
                {"current_password": "not my password", "new_password": NEW_PASSWORD,
                 "code": accounts.code(user.totp_secret)})[0] == 401
    assert call(client, "POST", "/api/password/change", user,
                {"current_password": user.password, "new_password": NEW_PASSWORD, "code": "000000"})[0] == 401


def test_admin_unlock_ends_the_lock_at_once(client, accounts):
    admin, user = accounts.admin(), accounts.user()
    for _ in range(6):
        post(client, "/api/login", {"username": user.username, "password": "guessed password", "totp_code": "000000"})
    assert post(client, "/api/login", {"username": user.username, "password": "guessed password",
                                       "totp_code": "000000"})[0] == 423
    assert call(client, "POST", f"/api/admin/users/{user.user_id}/unlock", admin)[0] == 204
    assert post(client, "/api/login", {"username": user.username, "password": "guessed password",
                                       "totp_code": "000000"})[0] == 401
    assert call(client, "POST", "/api/admin/users/nobody/unlock", admin)[0] == 404
    assert call(client, "POST", f"/api/admin/users/{user.user_id}/unlock", user)[0] == 403


def test_after_an_admin_totp_reset_the_user_enrols_again_and_signs_in(client, accounts, container):
    admin, user = accounts.admin(), accounts.user()
    assert call(client, "POST", f"/api/admin/users/{user.user_id}/reset-totp", admin)[0] == 204
    assert call(client, "GET", "/api/me", user)[0] == 401  # sessions ended
    assert login(client, accounts, user.username, user.password, user.totp_secret)[0] == 403  # old secret gone
    status, body = post(client, "/api/login", {"username": user.username, "password": user.password,
                                               "totp_code": "000000"})
    assert status == 403 and body["error"]["code"] == "totp_enrollment_required"
    secret = body["error"]["details"]["totp"]["secret"]
    assert secret != user.totp_secret
    status, verified = post(client, "/api/register/verify", {"username": user.username, "password": user.password,
                                                             "code": accounts.code(secret)})
    assert status == 200 and len(verified["recovery_codes"]) == 10 and "api_key" not in verified
    assert login(client, accounts, user.username, user.password, secret)[0] == 200
    assert "totp_reset_by_admin" in audit_actions(container, user.user_id)


def test_a_reset_token_works_once(client, accounts, container):
    admin, user = accounts.admin(), accounts.user()
    status, issued = call(client, "POST", f"/api/admin/users/{user.user_id}/password-reset-token", admin)
    assert status == 201 and issued["reset_token"] and issued["expires_at"]
    assert issued["reset_token"] not in json.dumps(container.users_store.all_items())  # stored hashed
    body = {"username": user.username, "reset_token": issued["reset_token"], "new_password": NEW_PASSWORD}
    assert post(client, "/api/password/reset", {**body, "code": accounts.code(user.totp_secret)})[0] == 204
    assert call(client, "GET", "/api/me", user)[0] == 401  # every session ended
    assert login(client, accounts, user.username, NEW_PASSWORD, user.totp_secret)[0] == 200
    again = {**body, "new_password": "yet another password", "code": accounts.code(user.totp_secret)}
    assert post(client, "/api/password/reset", again)[0] == 401
    assert "password_reset" in audit_actions(container, user.user_id)


def test_a_reset_token_expires_and_needs_the_users_code(client, accounts, settings):
    admin, user = accounts.admin(), accounts.user()
    _, issued = call(client, "POST", f"/api/admin/users/{user.user_id}/password-reset-token", admin)
    body = {"username": user.username, "reset_token": issued["reset_token"], "new_password": NEW_PASSWORD}
    assert post(client, "/api/password/reset", {**body, "code": "000000"})[0] == 401
    accounts.clock.advance(seconds=settings.password_reset_token_seconds + 1)
    assert post(client, "/api/password/reset", {**body, "code": accounts.code(user.totp_secret)})[0] == 401
