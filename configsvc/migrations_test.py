import threading
from pathlib import Path

import psycopg2
import pytest

from configsvc import migrations
from configsvc.migrations import MigrationError


def query(dsn: str, statement: str, params: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(dsn)
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall()
    finally:
        conn.close()


def tables(dsn: str) -> set[str]:
    rows = query(dsn, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {name for (name,) in rows}


def write(folder: Path, filename: str, text: str) -> None:
    (folder / filename).write_text(text, encoding="utf-8")


def test_applies_files_in_version_order_and_records_each(empty_database_url, migrations_dir):
    write(migrations_dir, "0002_add_b.sql", "CREATE TABLE b (a_id INT REFERENCES a (id));")
    write(migrations_dir, "0001_add_a.sql", "CREATE TABLE a (id INT PRIMARY KEY);")

    applied = migrations.apply(empty_database_url, migrations_dir)

    assert [file.filename for file in applied] == ["0001_add_a.sql", "0002_add_b.sql"]
    rows = query(
        empty_database_url,
        "SELECT version, name, checksum, applied_at, duration_ms FROM migrations ORDER BY version",
    )
    assert [(version, name) for version, name, *_ in rows] == [(1, "add_a"), (2, "add_b")]
    assert rows[0][2] == applied[0].checksum
    assert len(rows[0][2]) == 64
    assert rows[0][3].tzinfo is not None
    assert all(duration >= 0 for *_, duration in rows)
    column_type = query(
        empty_database_url,
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'migrations' AND column_name = 'applied_at'",
    )
    assert column_type == [("timestamp with time zone",)]


def test_a_gap_in_the_numbers_is_applied_when_its_file_arrives(empty_database_url, migrations_dir):
    # Two branches may take numbers in parallel (0006 landing before 0005): the runner applies what
    # it has in order, and the missing file when it comes, since it applies every unrecorded one.
    write(migrations_dir, "0001_add_a.sql", "CREATE TABLE a (id INT PRIMARY KEY);")
    write(migrations_dir, "0003_add_c.sql", "CREATE TABLE c (id INT);")
    first = migrations.apply(empty_database_url, migrations_dir)
    write(migrations_dir, "0002_add_b.sql", "CREATE TABLE b (a_id INT REFERENCES a (id));")

    second = migrations.apply(empty_database_url, migrations_dir)

    assert [file.version for file in first] == [1, 3]
    assert [file.version for file in second] == [2]
    assert {"a", "b", "c"} <= tables(empty_database_url)
    assert all(line.startswith("applied") for line in migrations.status(empty_database_url, migrations_dir))


def test_rerunning_applies_nothing(empty_database_url, migrations_dir):
    write(migrations_dir, "0001_add_a.sql", "CREATE TABLE a (id INT);")
    migrations.apply(empty_database_url, migrations_dir)

    assert migrations.apply(empty_database_url, migrations_dir) == []
    assert query(empty_database_url, "SELECT count(*) FROM migrations") == [(1,)]


def test_failing_file_is_rolled_back_whole_and_earlier_files_stay(empty_database_url, migrations_dir):
    write(migrations_dir, "0001_good.sql", "CREATE TABLE good (id INT);")
    write(migrations_dir, "0002_bad.sql", "CREATE TABLE half (id INT);\nSELECT * FROM no_such_table;")
    write(migrations_dir, "0003_later.sql", "CREATE TABLE later (id INT);")

    with pytest.raises(MigrationError) as raised:
        migrations.apply(empty_database_url, migrations_dir)

    message = str(raised.value)
    assert "0002_bad.sql" in message
    assert 'relation "no_such_table" does not exist' in message
    assert tables(empty_database_url) == {"migrations", "good"}
    assert query(empty_database_url, "SELECT version FROM migrations") == [(1,)]


def test_changed_applied_file_is_refused_before_anything_runs(empty_database_url, migrations_dir):
    write(migrations_dir, "0001_add_a.sql", "CREATE TABLE a (id INT);")
    migrations.apply(empty_database_url, migrations_dir)
    write(migrations_dir, "0001_add_a.sql", "CREATE TABLE a (id BIGINT);")
    write(migrations_dir, "0002_add_b.sql", "CREATE TABLE b (id INT);")

    with pytest.raises(MigrationError, match=r"0001_add_a\.sql: checksum mismatch"):
        migrations.apply(empty_database_url, migrations_dir)

    assert "b" not in tables(empty_database_url)


def test_concurrent_runners_apply_each_file_exactly_once(empty_database_url, migrations_dir):
    # The sleep keeps the first runner inside its transaction while the second one starts;
    # without the advisory lock both would see the file as pending and one would fail.
    write(migrations_dir, "0001_slow.sql", "SELECT pg_sleep(0.5);\nCREATE TABLE a (id INT);")
    write(migrations_dir, "0002_next.sql", "CREATE TABLE b (id INT);")
    results: list[object] = []
    barrier = threading.Barrier(2)

    def runner() -> None:
        barrier.wait()
        try:
            results.append([file.filename for file in migrations.apply(empty_database_url, migrations_dir)])
        except Exception as error:
            results.append(error)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results, key=len) == [[], ["0001_slow.sql", "0002_next.sql"]]
    assert query(empty_database_url, "SELECT version FROM migrations ORDER BY version") == [(1,), (2,)]


def test_status_lists_applied_pending_and_edited_files(empty_database_url, migrations_dir):
    write(migrations_dir, "0001_add_a.sql", "CREATE TABLE a (id INT);")
    assert migrations.status(empty_database_url, migrations_dir) == ["pending  0001_add_a.sql"]

    migrations.apply(empty_database_url, migrations_dir)
    write(migrations_dir, "0002_add_b.sql", "CREATE TABLE b (id INT);")
    lines = migrations.status(empty_database_url, migrations_dir)

    assert lines[0].startswith("applied  0001_add_a.sql (")
    assert lines[1] == "pending  0002_add_b.sql"

    write(migrations_dir, "0001_add_a.sql", "CREATE TABLE a (id BIGINT);")
    assert migrations.status(empty_database_url, migrations_dir)[0].startswith("CHANGED  0001_add_a.sql")


@pytest.mark.parametrize("filename", ["1_short.sql", "0001-dash.sql", "0001_Upper.sql"])
def test_misnamed_files_are_refused(migrations_dir, filename):
    write(migrations_dir, filename, "SELECT 1;")

    with pytest.raises(MigrationError, match=r"NNNN_description\.sql"):
        migrations.discover(migrations_dir)


def test_duplicate_versions_are_refused(migrations_dir):
    write(migrations_dir, "0001_a.sql", "SELECT 1;")
    write(migrations_dir, "0001_b.sql", "SELECT 2;")

    with pytest.raises(MigrationError, match="version 1 is used by"):
        migrations.discover(migrations_dir)


APP_ID = "01JAAAAAAAAAAAAAAAAAAAAAAA"
OTHER_ID = "01JBBBBBBBBBBBBBBBBBBBBBBB"


@pytest.mark.parametrize(
    ("statement", "params", "error"),
    [
        pytest.param(
            "INSERT INTO applications (id, name) VALUES (%s, 'app')",
            (OTHER_ID,),
            psycopg2.errors.UniqueViolation,
            id="duplicate-name",
        ),
        pytest.param(
            "INSERT INTO applications (id, name) VALUES (%s, '')",
            (OTHER_ID,),
            psycopg2.errors.CheckViolation,
            id="empty-name",
        ),
        pytest.param(
            "INSERT INTO applications (id, name) VALUES (%s, repeat('x', 257))",
            (OTHER_ID,),
            psycopg2.errors.StringDataRightTruncation,
            id="long-name",
        ),
        pytest.param(
            "INSERT INTO applications (id, name, comments) VALUES (%s, 'b', repeat('x', 1025))",
            (OTHER_ID,),
            psycopg2.errors.StringDataRightTruncation,
            id="long-comments",
        ),
        pytest.param(
            "INSERT INTO applications (id, name) VALUES ('01jbbbbbbbbbbbbbbbbbbbbbbb', 'b')",
            None,
            psycopg2.errors.CheckViolation,
            id="lower-case-id",
        ),
        pytest.param(
            "INSERT INTO configurations (id, application_id, name, config) VALUES (%s, %s, 'c', '[]')",
            (OTHER_ID, APP_ID),
            psycopg2.errors.CheckViolation,
            id="config-not-object",
        ),
        pytest.param(
            "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, 'c')",
            (OTHER_ID, "01JZZZZZZZZZZZZZZZZZZZZZZZ"),
            psycopg2.errors.ForeignKeyViolation,
            id="unknown-application",
        ),
        pytest.param(
            "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, 'taken')",
            (OTHER_ID, APP_ID),
            psycopg2.errors.UniqueViolation,
            id="duplicate-configuration-name",
        ),
    ],
)
def test_project_schema_enforces_the_data_model(database_url, statement, params, error):
    conn = psycopg2.connect(database_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO applications (id, name) VALUES (%s, 'app')", (APP_ID,))
            cursor.execute(
                "INSERT INTO configurations (id, application_id, name) VALUES (%s, %s, 'taken')",
                ("01JCCCCCCCCCCCCCCCCCCCCCCC", APP_ID),
            )
            with pytest.raises(error):
                cursor.execute(statement, params)
    finally:
        conn.close()


def test_0002_gives_existing_rows_version_1_and_a_first_revision(empty_database_url, migrations_dir):
    project = migrations.discover(migrations.MIGRATIONS_DIR)
    write(migrations_dir, project[0].filename, project[0].sql)
    migrations.apply(empty_database_url, migrations_dir)
    query(empty_database_url, "INSERT INTO applications (id, name) VALUES (%s, 'old') RETURNING 1", (APP_ID,))
    query(
        empty_database_url,
        "INSERT INTO configurations (id, application_id, name, config) VALUES (%s, %s, 'prod', '{\"k\": 1}') RETURNING 1",
        (OTHER_ID, APP_ID),
    )

    migrations.apply(empty_database_url)

    assert query(empty_database_url, "SELECT version FROM applications") == [(1,)]
    assert query(empty_database_url, "SELECT version FROM configurations") == [(1,)]
    assert query(empty_database_url, "SELECT configuration_id, version, name, config FROM configuration_revisions") == [
        (OTHER_ID, 1, "prod", {"k": 1})
    ]
