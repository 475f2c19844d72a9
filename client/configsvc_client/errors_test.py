import pytest

from configsvc_client import errors
from configsvc_client.errors import ConfigsvcError, PreconditionFailed, Rejected


@pytest.mark.parametrize(
    "kind", ["NotFound", "Unavailable", "Unauthorized", "PreconditionFailed", "Conflict", "Rejected"]
)
def test_every_error_is_a_configsvc_error_a_caller_can_catch_at_once(kind):
    error = getattr(errors, kind)(
        "payments/production: no such configuration (404)", status=404, detail="no such configuration"
    )
    assert isinstance(error, ConfigsvcError)
    assert str(error) == "payments/production: no such configuration (404)"
    assert (error.status, error.detail) == (404, "no such configuration")


def test_not_found_and_unavailable_are_different_errors():
    # Nacos' getConfig returns null for both; a caller here can always tell them apart.
    assert not issubclass(errors.NotFound, errors.Unavailable)
    assert not issubclass(errors.Unavailable, errors.NotFound)


def test_precondition_failed_carries_the_current_etag_and_rejected_the_field_errors():
    assert PreconditionFailed("stale", current_etag='"4"').current_etag == '"4"'
    assert PreconditionFailed("gone").current_etag is None
    items = [{"loc": ["body", "config"], "msg": "too deep", "type": "value_error"}]
    assert Rejected("invalid", errors=items).errors == items
    assert Rejected("invalid").errors == []
