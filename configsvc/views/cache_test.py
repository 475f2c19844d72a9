import gc

from configsvc.representations import Representation
from configsvc.views.cache import ENTRY_OVERHEAD_BYTES, ReadCache


def rep(body: str) -> tuple:
    """A representation as the cache keeps it (`ReadKind.kept`)."""
    return Representation(body.encode(), '"1"').kept()


def test_an_entry_is_kept_until_one_of_its_tags_changes():
    cache = ReadCache(10_000)
    with cache.fetching() as fetch:
        assert fetch.keep("k", rep("a"), ("app", "cfg"), 1)

    assert cache.get("k") == rep("a")
    cache.invalidate(("other",))
    assert cache.get("k") == rep("a")
    cache.invalidate(("cfg",))
    assert cache.get("k") is None


def test_a_fetch_that_began_before_a_change_to_its_tags_is_not_kept():
    cache = ReadCache(10_000)
    with cache.fetching() as fetch:
        cache.invalidate(("cfg",))  # announced while the statement was on its way: it may be stale

        assert not fetch.keep("k", rep("a"), ("cfg",), 1)
        assert fetch.keep("j", rep("b"), ("unrelated",), 1)
    with cache.fetching() as later:
        assert later.keep("k", rep("a2"), ("cfg",), 2)  # began after the change: fresh


def test_a_fetch_that_began_before_a_clear_is_not_kept():
    """A clear is what every listener reconnect does: a fetch in flight across it may have missed
    a change announced while nobody listened, so it is not kept (the read side's one guard)."""
    cache = ReadCache(10_000)
    with cache.fetching() as fetch:
        cache.clear()

        assert not fetch.keep("k", rep("a"), ("cfg",), 1)
    assert len(cache) == 0


def test_changes_are_remembered_only_while_a_fetch_that_began_before_them_is_open():
    cache = ReadCache(10_000)
    with cache.fetching() as old:
        cache.invalidate(("a",))
        with cache.fetching():
            cache.invalidate(("b",))
            assert not old.keep("k", rep("x"), ("a",), 1)
        assert cache.remembered_changes == 2
    # "a" changed before every fetch still open... and none is open now.
    assert cache.remembered_changes == 0
    with cache.fetching() as fetch:
        cache.invalidate(("a",))
        with cache.fetching():
            pass
        assert cache.remembered_changes == 1  # the open fetch still needs it
        assert not fetch.keep("k", rep("x"), ("a",), 1)


def test_the_least_recently_used_entries_go_first_when_full():
    size = len(b"aaaa") + ENTRY_OVERHEAD_BYTES
    cache = ReadCache(2 * size)
    with cache.fetching() as fetch:
        fetch.keep("one", rep("aaaa"), ("1",), 4)
        fetch.keep("two", rep("bbbb"), ("2",), 4)
        cache.entry("one", 1.0)  # used: "two" is now the oldest
        fetch.keep("three", rep("cccc"), ("3",), 4)

    assert (cache.get("one"), cache.get("two")) == (rep("aaaa"), None)
    assert cache.get("three") == rep("cccc")
    assert cache.bytes == 2 * size
    cache.invalidate(("1", "3"))
    assert (len(cache), cache.bytes) == (0, 0)


def test_an_invalidation_names_the_evicted_entries_that_were_read_and_when_they_last_were():
    cache = ReadCache(10_000)
    with cache.fetching() as fetch:
        fetch.keep("read", rep("a"), ("t",), 1)
        fetch.keep("unread", rep("b"), ("t",), 1)
        fetch.keep("fetched by a read", rep("c"), ("t",), 1)
    cache.entry("read", 5.0)
    cache.entry("read", 7.0)
    cache.get("unread")  # a look, not a read
    cache.read_at("fetched by a read", 6.0)
    cache.read_at("not held", 6.0)

    assert sorted(cache.invalidate(("t",))) == [("fetched by a read", 6.0), ("read", 7.0)]
    with cache.fetching() as fetch:
        fetch.keep("read", rep("a2"), ("t",), 2)  # stored again, by a fetch that was not reading it again
    assert cache.invalidate(("t",)) == []
    cache.read_at("not held", 8.0)
    assert "not held" not in cache


def test_what_a_refresh_stores_keeps_when_it_was_last_read():
    """So that a change after the refresh reads it again too, while it is in use, though nobody read
    the refreshed entry in between."""
    cache = ReadCache(10_000)
    with cache.reading_again({"k": 7.0, "not kept": 7.0}), cache.fetching() as fetch:
        fetch.keep("k", rep("a"), ("t",), 1)
        fetch.keep("other", rep("b"), ("t",), 1)

    assert sorted(cache.invalidate(("t",))) == [("k", 7.0)]
    with cache.fetching() as fetch:
        fetch.keep("not kept", rep("c"), ("t",), 1)  # after the refresh ended: nothing carried over
    assert cache.invalidate(("t",)) == []


def test_a_cache_of_zero_bytes_keeps_nothing():
    cache = ReadCache(0)

    with cache.fetching() as fetch:
        assert not fetch.keep("k", rep("a"), ("t",), 1)


def test_values_are_all_of_the_keys_or_none():
    cache = ReadCache(10_000)
    with cache.fetching() as fetch:
        fetch.keep("a", rep("1"), ("t",), 1)
        fetch.keep("b", rep("2"), ("u",), 1)

    assert cache.values(["b", "a"], 3.0) == [rep("2"), rep("1")]
    assert cache.values(["a", "c"], 4.0) is None
    assert sorted(cache.invalidate(("t", "u"))) == [("a", 4.0), ("b", 3.0)]  # each read when looked up


def test_what_it_holds_is_out_of_the_collectors_sight():
    """Keys and values of plain tuples, and the tag index, stop being tracked by the garbage
    collector: a full collection's pause does not grow with the entries held (20,000 of them,
    each five objects when kinds and Representations were kept, paused a process 40-90 ms)."""
    cache = ReadCache(10_000_000)
    gc.collect()
    before = len(gc.get_objects())
    with cache.fetching() as fetch:
        for n in range(2000):
            key = ("configuration by name", f"app-{n % 10}", f"config-{n}")
            assert fetch.keep(
                key, Representation(b"{}", f'"{n}"', f"app-{n % 10}").kept(), (f"c:{n}", f"a:{n % 10}"), 2
            )
            cache.entry(key, 1.0)

    gc.collect()
    gc.collect()
    assert len(gc.get_objects()) - before < 50  # its few dicts, not one object per entry
