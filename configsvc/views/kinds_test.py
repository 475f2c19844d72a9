import gc

from configsvc.representations import Page, Representation
from configsvc.views import kinds
from configsvc.views.applications import Outline
from configsvc.views.keys import ApplicationsPage, ByName, ConfigurationsPage, RevisionOf, RevisionsPage


def test_the_kinds_a_request_can_be_held_on_know_how_to_read_their_current_etags():
    watchable = {kind for kind in kinds.ALL if kind.current_etags is not None}
    assert watchable == {kinds.CONFIGURATION, kinds.BY_NAME, kinds.APPLICATION, kinds.CONFIGURATIONS_OF}


def test_a_key_that_is_an_id_tells_the_tags_before_any_read_and_names_do_not():
    assert kinds.CONFIGURATION.tags_before_read("CFG") == ("CFG",)
    assert kinds.APPLICATION.tags_before_read("APP") == ("APP",)
    assert kinds.CONFIGURATIONS_OF.tags_before_read(ConfigurationsPage("APP", 10, None)) == ("APP",)
    assert kinds.BY_NAME.tags_before_read(ByName("app", "c")) is None
    assert kinds.SCHEMA.tags_before_read("CFG") == ("CFG/schema",)


def test_each_kind_is_one_object_with_a_name_of_its_own():
    assert len({kind.name for kind in kinds.ALL}) == len(kinds.ALL)
    assert len(set(kinds.ALL)) == len(kinds.ALL)
    assert kinds.CONFIGURATION != kinds.APPLICATION


# A key of each kind, and a value as its view answers it.
SAMPLES = {
    kinds.CONFIGURATION: ("CFG", Representation(b'{"id":"CFG"}', '"3"', "APP")),
    kinds.BY_NAME: (ByName("app", "c"), Representation(b"{}", '"3"', "APP")),
    kinds.REVISIONS: (RevisionsPage("CFG", 100, None), Page(b"[]", None, None, "APP")),
    kinds.REVISION: (RevisionOf("CFG", 2), Representation(b"{}", None, "APP")),
    kinds.APPLICATION: ("APP", Representation(b"{}", '"1"', "APP")),
    kinds.APPLICATION_SUMMARY: ("APP", Representation(b"{}", None, "APP")),
    kinds.APPLICATIONS: (ApplicationsPage(100, None, None), Outline(("A", "B"), "B")),
    kinds.CONFIGURATIONS_OF: (ConfigurationsPage("APP", 10, "CFG"), Page(b"[]", "CFG", '"c1"', "APP")),
    kinds.SCHEMA: ("CFG", Representation(b"{}", '"1"', "APP")),
}


def test_what_the_cache_holds_of_a_key_and_a_value_gives_them_back():
    assert set(SAMPLES) | {kinds.TOKEN, kinds.ACCESS_CONTROL} == set(kinds.ALL)
    for kind, (key, value) in SAMPLES.items():
        cached = kind.cached_as(key)
        assert kinds.of_cached(cached) == (kind, key), kind
        assert type(kinds.of_cached(cached)[1]) is type(key), kind
        assert kind.restored(kind.kept(value)) == value, kind


def test_what_the_cache_holds_is_untracked_by_the_garbage_collector():
    """Tuples of plain values: the collector stops tracking them at its next collection, so the
    cache's entries do not lengthen its full collections."""
    held = [(kind.cached_as(key), kind.kept(value)) for kind, (key, value) in SAMPLES.items()]
    held += [
        (kinds.CONFIGURATION.cached_as(f"CFG{n}"), kinds.CONFIGURATION.kept(SAMPLES[kinds.CONFIGURATION][1]))
        for n in range(3)
    ]
    gc.collect()
    gc.collect()
    assert [(kinds.of_cached(key)[0].name, gc.is_tracked(key), gc.is_tracked(value)) for key, value in held] == [
        (kinds.of_cached(key)[0].name, False, False) for key, _ in held
    ]
