import pytest

from configsvc import errors


@pytest.mark.parametrize("error", [errors.PoolExhausted, errors.DatabaseUnavailable])
def test_database_capacity_errors_share_the_retryable_base(error):
    # The HTTP layer maps ServiceUnavailable (and only it) to 503 with Retry-After.
    assert issubclass(error, errors.ServiceUnavailable)


@pytest.mark.parametrize("error", [errors.NotFound, errors.Conflict, errors.UnknownReference, errors.InvalidChange])
def test_client_errors_are_not_retryable(error):
    assert issubclass(error, errors.DomainError)
    assert not issubclass(error, errors.ServiceUnavailable)
