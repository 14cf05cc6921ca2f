"""Superadmin user management: list, create, update; everyone else gets 403."""

from __future__ import annotations

import json

import pyotp

from tests.support.api_calls import JSON, call


def test_ordinary_users_get_403_on_admin_routes(client, accounts):
    user = accounts.user()
    for method, path, body in (("GET", "/api/admin/users", None),
                               ("POST", "/api/admin/users", {"username": "x" * 5, "password": "p" * 12}),
                               ("PUT", f"/api/admin/users/{user.user_id}", {"role": "superadmin"})):
        status, err = call(client, method, path, user, body)
        assert status == 403, (method, path)
        assert err["error"]["code"] == "admin_required"


def test_admin_created_user_enrols_their_own_totp_at_first_login(client, accounts, clock):
    admin = accounts.admin()
    status, created = call(client, "POST", "/api/admin/users", admin,
                           {"username": "bob", "email": "bob@example.test", "password": "bob password 1"})
    assert status == 201, created
    assert created["status"] == "pending_totp" and created["username"] == "bob" and created["role"] == "user"
    assert "totp" not in created and "recovery_codes" not in created  # the admin never gets a second factor
    r = client.http.post("/api/login", body=json.dumps({"username": "bob", "password": "bob password 1",
                                                        "totp_code": "000000"}), headers=JSON)
    assert r.status_code == 403
    error = json.loads(r.body)["error"]
    assert error["code"] == "totp_enrollment_required"
    secret = error["details"]["totp"]["secret"]
    r = client.http.post("/api/register/verify", headers=JSON, body=json.dumps(
        {"username": "bob", "password": "bob password 1", "code": pyotp.TOTP(secret).at(clock.now())}))
    assert r.status_code == 200 and len(json.loads(r.body)["recovery_codes"]) == 10
    clock.advance(seconds=30)
    r = client.http.post("/api/login", body=json.dumps({"username": "bob", "password": "bob password 1",
                                                        "totp_code": pyotp.TOTP(secret).at(clock.now())}), headers=JSON)
    assert r.status_code == 200


def test_admin_create_refuses_a_taken_username(client, accounts):
    admin = accounts.admin()
    user = accounts.user()
    status, err = call(client, "POST", "/api/admin/users", admin, {"username": user.username,
                                                                   "password": "another password"})
    assert status == 409


def test_admin_lists_and_filters_users_with_paging(client, accounts):
    admin = accounts.admin("root")
    for name in ("anna", "annabel", "bert", "carla"):
        accounts.user(name)
    status, everyone = call(client, "GET", "/api/admin/users", admin)
    assert status == 200 and len(everyone["items"]) == 5
    _, annas = call(client, "GET", "/api/admin/users?q=ANNA", admin)
    assert sorted(u["username"] for u in annas["items"]) == ["anna", "annabel"]
    _, admins = call(client, "GET", "/api/admin/users?role=superadmin", admin)
    assert [u["username"] for u in admins["items"]] == ["root"]
    seen, cursor = [], None
    for _ in range(10):
        _, page = call(client, "GET", "/api/admin/users?limit=2" + (f"&cursor={cursor}" if cursor else ""), admin)
        seen += [u["user_id"] for u in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [u["user_id"] for u in everyone["items"]]
    assert call(client, "GET", "/api/admin/users?cursor=bogus", admin)[0] == 400
    assert call(client, "GET", "/api/admin/users?status=weird", admin)[0] == 400


def test_admin_updates_role_and_email(client, accounts, container):
    admin = accounts.admin()
    user = accounts.user()
    status, body = call(client, "PUT", f"/api/admin/users/{user.user_id}", admin,
                        {"role": "superadmin", "email": "New@Example.test"})
    assert status == 200, body
    assert body["role"] == "superadmin" and body["email"] == "new@example.test"
    # the old email is free again, the new one is taken
    assert container.users_store.count_items() > 0
    other = accounts.user()
    assert call(client, "PUT", f"/api/admin/users/{other.user_id}", admin, {"email": "new@example.test"})[0] == 409
    assert call(client, "PUT", f"/api/admin/users/{other.user_id}", admin,
                {"email": f"{user.username}@example.test"})[0] == 200


def test_disabling_calls_the_hook_and_is_audited_for_both(client, accounts, container):
    admin = accounts.admin()
    user = accounts.user()
    disabled: list[str] = []
    container.on_user_disabled = lambda uid, meta: disabled.append(uid)  # type: ignore[method-assign]
    status, body = call(client, "PUT", f"/api/admin/users/{user.user_id}", admin, {"status": "disabled"})
    assert status == 200 and body["status"] == "disabled"
    assert disabled == [user.user_id]
    _, admin_log = call(client, "GET", "/api/logs?type=admin", admin)
    assert admin_log["items"][0]["detail"]["target"] == user.user_id
    entries = container.audit.logs(user.user_id, type="account")[0]
    assert entries[0].action == "updated_by_admin" and entries[0].actor_id == admin.user_id


def test_admin_cannot_disable_themselves_or_an_unknown_user(client, accounts):
    admin = accounts.admin()
    assert call(client, "PUT", f"/api/admin/users/{admin.user_id}", admin, {"status": "disabled"})[0] == 409
    assert call(client, "PUT", "/api/admin/users/01NOSUCHUSER0000000000000", admin, {"role": "user"})[0] == 404


def test_a_disabled_user_cannot_sign_in_and_can_be_reenabled(client, accounts, clock):
    admin = accounts.admin()
    user = accounts.user()
    call(client, "PUT", f"/api/admin/users/{user.user_id}", admin, {"status": "disabled"})
    clock.advance(seconds=30)
    body = {"username": user.username, "password": user.password,
            "totp_code": pyotp.TOTP(user.totp_secret).at(clock.now())}
    r = client.http.post("/api/login", body=json.dumps(body), headers=JSON)
    assert r.status_code == 403 and json.loads(r.body)["error"]["code"] == "account_disabled"
    assert call(client, "PUT", f"/api/admin/users/{user.user_id}", admin, {"status": "active"})[0] == 200
    clock.advance(seconds=30)
    body["totp_code"] = pyotp.TOTP(user.totp_secret).at(clock.now())
    assert client.http.post("/api/login", body=json.dumps(body), headers=JSON).status_code == 200
    # tokens from before the disable stay dead
    assert client.http.get("/api/me", headers=user.headers).status_code == 401
