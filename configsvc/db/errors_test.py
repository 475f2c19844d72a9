import psycopg2
import pytest

from configsvc.db.errors import translate
from configsvc.errors import Conflict, ConstraintViolated, DatabaseUnavailable

APP = "01JD8X7Q5V9T0M3K2R6W4Y1Z8N"
OTHER = "01JD8X7Q5V9T0M3K2R6W4Y1Z8A"


@pytest.fixture
def cursor(database_url):
    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("INSERT INTO applications (id, name) VALUES (%s, 'taken')", (APP,))
        yield cur
    conn.close()


def raised(cursor, statement: str, params: tuple = ()) -> psycopg2.Error:
    with pytest.raises(psycopg2.Error) as error:
        cursor.execute(statement, params)
    return error.value


@pytest.mark.parametrize(
    ("statement", "params", "constraint", "kind"),
    [
        ("INSERT INTO applications (id, name) VALUES (%s, 'taken')", (OTHER,), "applications_name_key", "unique"),
        (
            "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, 'c')",
            (OTHER, "01JD8X7Q5V9T0M3K2R6W4Y1Z8B"),
            "configurations_application_id_fkey",
            "foreign_key",
        ),
        ("INSERT INTO applications (id, name) VALUES (%s, '')", (OTHER,), "applications_name_check", "check"),
        ("INSERT INTO applications (id, name) VALUES (%s, NULL)", (OTHER,), None, "not_null"),
    ],
)
def test_constraint_violations_keep_only_the_constraint_and_its_kind(cursor, statement, params, constraint, kind):
    error = translate(raised(cursor, statement, params))

    assert isinstance(error, ConstraintViolated)
    assert isinstance(error, Conflict)  # unnamed by a repository, it is a generic 409
    assert (error.constraint, error.kind) == (constraint, kind)
    assert "taken" not in str(error)
    assert "applications" not in error.message


def test_timeouts_collisions_and_lost_connections_are_unavailable_with_their_own_words(cursor):
    cursor.execute("SET statement_timeout = 10")
    timeout = translate(raised(cursor, "SELECT pg_sleep(1)"))
    collision = translate(psycopg2.extensions.TransactionRollbackError())
    lost = translate(psycopg2.OperationalError("server closed the connection unexpectedly"))

    assert isinstance(timeout, DatabaseUnavailable)
    assert "took too long" in timeout.message
    assert "retry" in collision.message
    assert lost.message == "the database connection failed"


def test_a_programming_error_is_not_dressed_up_as_a_domain_error(cursor):
    error = raised(cursor, "SELECT * FROM no_such_table")

    assert translate(error) is error
