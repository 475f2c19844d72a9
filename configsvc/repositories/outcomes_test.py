import pytest

from configsvc.errors import Conflict, ConstraintViolated, UnknownReference
from configsvc.repositories.outcomes import constraint_outcomes


def test_a_named_constraint_becomes_its_outcome():
    taken = Conflict("name is taken")

    with pytest.raises(Conflict) as raised, constraint_outcomes(applications_name_key=taken):
        raise ConstraintViolated("applications_name_key", "unique")

    assert raised.value is taken


def test_the_outcome_can_be_any_domain_error():
    unknown = UnknownReference("no such application", field="application_id")

    with pytest.raises(UnknownReference) as raised, constraint_outcomes(configurations_application_id_fkey=unknown):
        raise ConstraintViolated("configurations_application_id_fkey", "foreign_key")

    assert raised.value.field == "application_id"


def test_a_constraint_not_named_stays_a_generic_conflict():
    with pytest.raises(ConstraintViolated) as raised, constraint_outcomes(applications_name_key=Conflict("x")):
        raise ConstraintViolated("applications_name_check", "check")

    assert raised.value.message == "the change violates a data constraint"
