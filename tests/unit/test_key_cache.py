"""The warm container's memory of key items: time-limited and bounded."""

from __future__ import annotations

from chalicelib.keys.cache import KeyCache


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_remembered_key_is_returned_until_its_time_is_up():
    ticks = Ticks()
    cache: KeyCache[str] = KeyCache(30, monotonic=ticks)
    cache.put("h1", "key one")
    ticks.now += 29.9
    assert cache.get("h1") == "key one"
    ticks.now += 0.1
    assert cache.get("h1") is None


def test_a_zero_time_limit_remembers_nothing():
    cache: KeyCache[str] = KeyCache(0)
    cache.put("h1", "key one")
    assert cache.get("h1") is None


def test_forget_drops_one_key_only():
    cache: KeyCache[str] = KeyCache(30)
    cache.put("h1", "one")
    cache.put("h2", "two")
    cache.forget("h1")
    cache.forget("never-seen")
    assert (cache.get("h1"), cache.get("h2")) == (None, "two")


def test_the_cache_never_holds_more_than_its_bound_dropping_the_oldest():
    cache: KeyCache[int] = KeyCache(30, max_entries=3)
    for i in range(5):
        cache.put(f"h{i}", i)
    assert [cache.get(f"h{i}") for i in range(5)] == [None, None, 2, 3, 4]
    cache.put("h4", 44)  # replacing an entry does not evict another
    assert [cache.get(f"h{i}") for i in range(2, 5)] == [2, 3, 44]
