from configsvc.views import tags


def test_each_notification_names_the_tags_it_changes():
    assert tags.of_notification("a:APP") == ("APP", "APP/row", "application names")
    assert tags.of_notification("a:APP:seq") == ("APP",)  # its row's tag stays, and the pages that do not show it
    assert tags.of_notification("a:APP:new") == ("APP", "APP/row", "applications", "application names")
    assert tags.of_notification("a:APP:gone") == ("APP", "APP/row", "applications", "application names")
    assert tags.of_notification("c:CFG:APP") == ("CFG", "APP")
    assert tags.of_notification("t:TOK") == ("token/TOK",)
    assert tags.of_notification("x") == ("access control",)


def test_a_schema_change_names_the_schema_alone_so_the_configuration_s_watchers_sleep_on():
    assert tags.of_notification("s:CFG") == ("CFG/schema",)
    assert tags.resource("CFG") not in tags.of_notification("s:CFG")


def test_a_truncate_or_an_unknown_notification_means_anything_may_have_changed():
    assert tags.of_notification("*") is None
    assert tags.of_notification("x:anything") is None
    assert tags.of_notification("a:") is None
    assert tags.of_notification("s:") is None
