from configsvc.views.keys import ByName, ConfigurationsPage


def test_keys_are_tuples_that_name_their_fields():
    key = ByName("payments", "production")
    assert key == ("payments", "production")
    assert hash(key) == hash(("payments", "production"))  # as cheap to look up as the tuple
    assert (key.application, key.name) == ("payments", "production")
    assert ConfigurationsPage("APP", 10, None).application_id == "APP"
