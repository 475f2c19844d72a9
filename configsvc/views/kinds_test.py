from configsvc.views import kinds
from configsvc.views.keys import ByName, ConfigurationsPage


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
