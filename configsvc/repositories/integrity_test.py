import psycopg2
import pytest

from configsvc.errors import Conflict, UnknownReference
from configsvc.repositories.integrity import GENERIC_CONFLICT, constraint_errors

APP = "01JD8X7Q5V9T0M3K2R6W4Y1Z8N"


@pytest.fixture
def cursor(database_url):
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("INSERT INTO applications (id, name) VALUES (%s, 'taken')", (APP,))
        yield cur
    conn.close()


def test_unique_violation_becomes_the_named_conflict(cursor):
    with pytest.raises(Conflict, match="name is taken"), constraint_errors(conflict="name is taken"):
        cursor.execute("INSERT INTO applications (id, name) VALUES (%s, 'taken')", ("01JD8X7Q5V9T0M3K2R6W4Y1Z8A",))


def test_foreign_key_violation_becomes_the_given_unknown_reference(cursor):
    reference = UnknownReference("no such application", loc=("body", "application_id"))

    with pytest.raises(UnknownReference) as raised, constraint_errors(conflict="x", unknown_reference=reference):
        cursor.execute(
            "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, 'c')",
            ("01JD8X7Q5V9T0M3K2R6W4Y1Z8A", "01JD8X7Q5V9T0M3K2R6W4Y1Z8B"),
        )

    assert raised.value is reference


def test_other_violations_become_a_generic_conflict_without_driver_text(cursor):
    with pytest.raises(Conflict) as raised, constraint_errors(conflict="name is taken"):
        cursor.execute("INSERT INTO applications (id, name) VALUES (%s, '')", ("01JD8X7Q5V9T0M3K2R6W4Y1Z8A",))

    assert raised.value.message == GENERIC_CONFLICT
    assert "applications" not in str(raised.value)
