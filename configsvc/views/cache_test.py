from configsvc.representations import Representation
from configsvc.views.cache import ENTRY_OVERHEAD_BYTES, ReadCache


def rep(body: str) -> Representation:
    return Representation(body.encode(), '"1"')


def test_an_entry_is_kept_until_one_of_its_tags_changes():
    cache = ReadCache(10_000)
    began = cache.begin()
    assert cache.put("k", rep("a"), ("app", "cfg"), began=began)
    cache.end(began)

    assert cache.get("k") == rep("a")
    cache.invalidate(("other",))
    assert cache.get("k") == rep("a")
    cache.invalidate(("cfg",))
    assert cache.get("k") is None


def test_a_fetch_that_began_before_a_change_to_its_tags_is_not_kept():
    cache = ReadCache(10_000)
    began = cache.begin()
    cache.invalidate(("cfg",))  # announced while the statement was on its way: it may be stale

    assert not cache.put("k", rep("a"), ("cfg",), began=began)
    assert cache.put("j", rep("b"), ("unrelated",), began=began)
    cache.end(began)
    later = cache.begin()
    assert cache.put("k", rep("a2"), ("cfg",), began=later)  # began after the change: fresh


def test_a_fetch_that_began_before_a_clear_is_not_kept():
    cache = ReadCache(10_000)
    began = cache.begin()
    cache.clear()

    assert not cache.put("k", rep("a"), ("cfg",), began=began)
    assert len(cache) == 0


def test_stamps_are_dropped_once_no_open_fetch_needs_them():
    cache = ReadCache(10_000)
    old = cache.begin()
    cache.invalidate(("a",))
    newer = cache.begin()
    cache.invalidate(("b",))
    cache.end(old)
    assert cache._stamps == {"b": cache.clock}  # "a" changed before every fetch still open
    assert not cache.put("k", rep("x"), ("b",), began=newer)
    cache.end(newer)
    assert cache._stamps == {}


def test_the_least_recently_used_entries_go_first_when_full():
    size = len(b"aaaa") + ENTRY_OVERHEAD_BYTES
    cache = ReadCache(2 * size)
    began = cache.begin()
    cache.put("one", rep("aaaa"), ("1",), began=began)
    cache.put("two", rep("bbbb"), ("2",), began=began)
    cache.get("one")  # used: "two" is now the oldest
    cache.put("three", rep("cccc"), ("3",), began=began)

    assert (cache.get("one"), cache.get("two")) == (rep("aaaa"), None)
    assert cache.get("three") == rep("cccc")
    assert cache.bytes == 2 * size
    cache.invalidate(("1", "3"))
    assert (len(cache), cache.bytes) == (0, 0)


def test_a_cache_of_zero_bytes_keeps_nothing():
    cache = ReadCache(0)

    assert not cache.put("k", rep("a"), ("t",), began=cache.begin())
