"""The migration runner: applies `migrations/NNNN_description.sql` in order, once each.

Each file runs in its own transaction together with its bookkeeping row; runners are
serialised by a PostgreSQL advisory lock held on a dedicated connection; a file whose
content changed after it was applied is refused before anything runs.
"""

import hashlib
import re
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg2
from psycopg2.extensions import connection


def _shipped_directory() -> Path:
    """Where this code's migrations are: inside the package in an installed wheel (the build puts
    the top-level `migrations/` there, see pyproject.toml), the top-level folder in a checkout."""
    package = Path(__file__).resolve().parent
    installed = package / "migrations_sql"
    return installed if installed.is_dir() else package.parent / "migrations"


MIGRATIONS_DIR = _shipped_directory()
FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
# Any fixed 64-bit number works; this one spells "configsvc" loosely and is ours alone.
ADVISORY_LOCK_KEY = 0x0C0F165C

CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    checksum    CHAR(64) NOT NULL,
    applied_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    duration_ms DOUBLE PRECISION NOT NULL
)
"""
SELECT_APPLIED = "SELECT version, name, checksum, applied_at, duration_ms FROM migrations ORDER BY version"
INSERT_APPLIED = "INSERT INTO migrations (version, name, checksum, duration_ms) VALUES (%s, %s, %s, %s)"
TABLE_EXISTS = "SELECT to_regclass('migrations') IS NOT NULL AS present"


class MigrationError(Exception):
    """The run stopped; the message names the file and the reason."""


@dataclass(frozen=True)
class MigrationFile:
    version: int
    name: str
    sql: str

    @property
    def filename(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class AppliedMigration:
    version: int
    name: str
    checksum: str
    applied_at: datetime
    duration_ms: float


def discover(directory: Path) -> list[MigrationFile]:
    """Read every migration file, in version order; refuse misnamed or duplicate versions."""
    files: dict[int, MigrationFile] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        version = int(match.group(1))
        if version in files:
            raise MigrationError(f"{path.name}: version {version} is used by {files[version].filename} too")
        files[version] = MigrationFile(version, match.group(2), path.read_text(encoding="utf-8"))
    return [files[version] for version in sorted(files)]


def pending(files: list[MigrationFile], applied: list[AppliedMigration]) -> list[MigrationFile]:
    """The files still to apply; raises if an applied file was edited since."""
    recorded = {row.version: row for row in applied}
    for file in files:
        row = recorded.get(file.version)
        if row is not None and row.checksum != file.checksum:
            raise MigrationError(
                f"{file.filename}: checksum mismatch: the file changed after it was applied "
                f"(recorded {row.checksum[:12]}, now {file.checksum[:12]}); "
                "add a new migration instead of editing an applied one"
            )
    return [file for file in files if file.version not in recorded]


def read_applied(conn: connection) -> list[AppliedMigration]:
    with conn.cursor() as cursor:
        cursor.execute(TABLE_EXISTS)
        (present,) = cursor.fetchone()
        if not present:
            return []
        cursor.execute(SELECT_APPLIED)
        return [AppliedMigration(*row) for row in cursor.fetchall()]


def apply(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[MigrationFile]:
    """Apply every pending file and return those applied (empty when up to date).

    A folder with no migration at all is refused: it means the code lost its SQL (a broken
    install), and applying nothing would leave an empty database that looks up to date.
    """
    files = discover(directory)
    if not files:
        raise MigrationError(f"no migration files found in {directory}")
    lock_conn = psycopg2.connect(dsn)
    try:
        lock_conn.autocommit = True
        with lock_conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        conn = psycopg2.connect(dsn)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(CREATE_TABLE)
            with conn:
                todo = pending(files, read_applied(conn))
            for file in todo:
                _apply_one(conn, file)
            return todo
        finally:
            conn.close()
    finally:
        lock_conn.close()  # ends the session, which releases the advisory lock


def _apply_one(conn: connection, file: MigrationFile) -> None:
    started = time.perf_counter()
    try:
        with conn, conn.cursor() as cursor:
            cursor.execute(file.sql)
            duration_ms = (time.perf_counter() - started) * 1000
            cursor.execute(INSERT_APPLIED, (file.version, file.name, file.checksum, duration_ms))
    except psycopg2.Error as error:
        message = (error.pgerror or str(error)).strip()
        raise MigrationError(f"{file.filename} failed and was rolled back: {message}") from error


def status(dsn: str, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """One line per migration: applied (with when) or pending; edited files are flagged."""
    files = discover(directory)
    conn = psycopg2.connect(dsn)
    try:
        with conn:
            applied = {row.version: row for row in read_applied(conn)}
    finally:
        conn.close()
    lines = []
    for file in files:
        row = applied.pop(file.version, None)
        if row is None:
            lines.append(f"pending  {file.filename}")
        elif row.checksum != file.checksum:
            lines.append(f"CHANGED  {file.filename} (applied {row.applied_at:%Y-%m-%d %H:%M:%S%z}, file edited since)")
        else:
            lines.append(f"applied  {file.filename} ({row.applied_at:%Y-%m-%d %H:%M:%S%z}, {row.duration_ms:.1f} ms)")
    for row in applied.values():
        lines.append(f"MISSING  {row.version:04d}_{row.name}.sql (applied, but no such file)")
    return lines


def main(argv: list[str] | None = None) -> int:
    """`python -m configsvc.migrations [apply|status]` against the configured database."""
    import argparse

    from configsvc.embedded_postgres import EmbeddedPostgresMissing, database_url
    from configsvc.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog="migrate", description=main.__doc__)
    parser.add_argument("command", choices=["apply", "status"], nargs="?", default="apply")
    parser.add_argument("--directory", type=Path, default=MIGRATIONS_DIR, help="where the .sql files are")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        with database_url(settings.database_url, settings.data_dir) as dsn:
            if args.command == "status":
                print("\n".join(status(dsn, args.directory)) or "no migration files")
                return 0
            applied = apply(dsn, args.directory)
    except (MigrationError, SettingsError, EmbeddedPostgresMissing) as error:
        print(f"migrate: {error}", file=sys.stderr)
        return 1
    except psycopg2.Error as error:
        print(f"migrate: cannot connect to the database: {str(error).strip()}", file=sys.stderr)
        return 1
    for file in applied:
        print(f"applied  {file.filename}")
    print(f"{len(applied)} migration(s) applied" if applied else "nothing to apply: the database is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
