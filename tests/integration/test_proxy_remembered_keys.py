"""A key remembered by a warm container is never used beyond what the key item says now.

Each test admits one request so the key is remembered, changes the key through the keys
service (or through another container, as another Lambda would), and checks the next request
sees the change at once: the reservation's condition on `status` and `rev` refuses the
remembered copy and the proxy reads the key again.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from chalicelib.bootstrap import Container
from chalicelib.kernel.errors import Forbidden, QuotaExceeded, Unauthorized
from chalicelib.ledger import store as ledger

from tests.support.metering import assert_ledger_consistent
from tests.support.real_proxy import build_real_proxy


@pytest.fixture
def proxy(container, openai_upstream):
    p = build_real_proxy(container, openai_upstream)
    p.chat()  # admitted: the key is now remembered
    return p


def _no_holds_and_whole(user_id: str) -> None:
    assert ledger.get_balance(user_id).held == 0
    assert_ledger_consistent(user_id)


def test_a_key_disabled_after_it_was_remembered_is_refused(proxy):
    balance = ledger.get_balance(proxy.user_id).available
    proxy.container.keys.disable_user_keys(proxy.user_id)
    with pytest.raises(Unauthorized):
        proxy.chat()
    assert ledger.get_balance(proxy.user_id).available == balance  # nothing charged
    _no_holds_and_whole(proxy.user_id)


def test_a_key_reset_after_it_was_remembered_is_refused_and_the_new_key_works(proxy):
    issued = proxy.container.keys.reset_key(proxy.quota_id, actor_id=proxy.user_id, meta=None)
    with pytest.raises(Unauthorized):
        proxy.chat()
    proxy.key = issued.key
    assert proxy.chat().headers["x-keyledger-cost"] != "0"
    _no_holds_and_whole(proxy.user_id)


def test_a_quota_deleted_after_its_key_was_remembered_refuses_the_key(proxy):
    proxy.container.keys.delete_quota(proxy.quota_id, actor_id=proxy.user_id, meta=None)
    with pytest.raises(Unauthorized):
        proxy.chat()
    _no_holds_and_whole(proxy.user_id)


def test_a_limit_lowered_after_the_key_was_remembered_applies_to_the_next_request(proxy):
    proxy.container.keys.update_quota(proxy.quota_id, {"limit_cost": Decimal("0.0000001")},
                                      actor_id=proxy.user_id, meta=None)
    with pytest.raises(QuotaExceeded):
        proxy.chat()
    _no_holds_and_whole(proxy.user_id)


def test_an_ip_allow_list_set_after_the_key_was_remembered_applies_at_once(proxy):
    proxy.container.keys.update_quota(proxy.quota_id, {"ip_allow": ["192.0.2.0/24"]}, actor_id=proxy.user_id,
                                      meta=None)
    with pytest.raises(Forbidden):
        proxy.chat()  # the request comes from 10.0.0.1
    _no_holds_and_whole(proxy.user_id)


def test_an_unrelated_change_costs_one_more_read_and_the_request_goes_through(proxy):
    proxy.container.keys.update_quota(proxy.quota_id, {"limit_tokens": 1_000_000}, actor_id=proxy.user_id,
                                      meta=None)
    assert proxy.chat().body["usage"]["total_tokens"] > 0
    _no_holds_and_whole(proxy.user_id)


def test_a_change_made_by_another_container_is_seen_by_the_one_that_remembers_the_key(proxy, settings):
    other = Container(settings, clock=proxy.container.clock)  # another warm Lambda, same tables
    other.keys.disable_user_keys(proxy.user_id)
    with pytest.raises(Unauthorized):
        proxy.chat()
    _no_holds_and_whole(proxy.user_id)


def test_a_key_that_expires_while_remembered_is_refused_by_the_clock(proxy):
    at = proxy.container.clock.now()
    proxy.container.keys.update_quota(proxy.quota_id, {"expires_at": at.replace(year=at.year + 1)},
                                      actor_id=proxy.user_id, meta=None)
    proxy.chat()  # remembered again, now with an expiry
    proxy.container.clock.advance(days=366)
    with pytest.raises(Unauthorized):
        proxy.chat()


def test_a_limit_raised_after_the_key_was_remembered_applies_to_the_next_request(proxy):
    proxy.container.keys.update_quota(proxy.quota_id, {"limit_cost": Decimal("0.0000001")},
                                      actor_id=proxy.user_id, meta=None)
    with pytest.raises(QuotaExceeded):
        proxy.chat()  # the key is remembered again, now with the tiny limit
    proxy.container.keys.update_quota(proxy.quota_id, {"limit_cost": Decimal("100")},
                                      actor_id=proxy.user_id, meta=None)
    assert proxy.chat().headers["x-keyledger-cost"] != "0"  # at once, not after KEY_CACHE_SECONDS
    _no_holds_and_whole(proxy.user_id)
