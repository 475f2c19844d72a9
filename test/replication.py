"""A PostgreSQL 16 primary with a synchronous streaming standby, from the embedded server's own
binaries (initdb, pg_ctl, pg_basebackup): what a failover test needs, on loopback ports of its own.

An acknowledged commit on the primary has been flushed by the standby too (synchronous_commit=on,
synchronous_standby_names naming it), so promoting the standby loses none.
"""

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

from configsvc import migrations
from configsvc.embedded_postgres import POSTGRES_VERSION, pgserver_module
from scripts.ports import free_port

STANDBY_NAME = "standby1"


def _bin(command: str) -> str:
    pgserver = pgserver_module()
    return str(pgserver.utils.POSTGRES_VERSIONS[POSTGRES_VERSION] / command)


def _run(*args: str, timeout: float = 60) -> None:
    # PostgreSQL refuses to run as root; the embedded server's own user runs it then.
    user = "pgserver" if os.geteuid() == 0 else None
    # Output to a file, not a pipe: a server that pg_ctl starts keeps the pipe open, and reading it
    # to its end would never end.
    with tempfile.TemporaryFile() as output:
        result = subprocess.run(args, stdout=output, stderr=output, timeout=timeout, user=user, check=False)
        if result.returncode != 0:
            output.seek(0)
            raise subprocess.CalledProcessError(result.returncode, args, output.read().decode(errors="replace"))


class Server:
    def __init__(self, pgdata: Path, port: int) -> None:
        self.pgdata = pgdata
        self.port = port

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        _run(_bin("pg_ctl"), "-w", "-D", str(self.pgdata), "-l", str(self.pgdata / "log"), "start")

    def kill(self) -> None:
        """As if the machine died: no shutdown checkpoint, connections cut."""
        _run(_bin("pg_ctl"), "-w", "-D", str(self.pgdata), "-m", "immediate", "stop")

    def promote(self) -> None:
        _run(_bin("pg_ctl"), "-w", "-D", str(self.pgdata), "promote")

    def stop(self) -> None:
        if (self.pgdata / "postmaster.pid").exists():
            _run(_bin("pg_ctl"), "-w", "-D", str(self.pgdata), "-m", "fast", "stop")

    def query(self, statement: str, params: tuple = ()) -> list[tuple]:
        conn = psycopg2.connect(self.url, connect_timeout=5)
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()


class ReplicatedPostgres:
    """`primary` and `standby`; `url` names both, as a service that follows a failover would."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "pgserver")
        self.primary = Server(self.directory / "primary", free_port())
        self.standby = Server(self.directory / "standby", free_port())
        _run(_bin("initdb"), "-D", str(self.primary.pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        with (self.primary.pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                f"port = {self.primary.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                "synchronous_commit = on\nwal_keep_size = '256MB'\n"
            )
        self.primary.start()
        migrations.apply(self.primary.url)
        _run(
            _bin("pg_basebackup"),
            "-D",
            str(self.standby.pgdata),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.primary.port),
            "-U",
            "postgres",
            "-R",  # standby.signal and primary_conninfo
            "-X",
            "stream",
        )
        with (self.standby.pgdata / "postgresql.auto.conf").open("a") as conf:
            conf.write(
                f"port = {self.standby.port}\n"
                f"primary_conninfo = 'host=127.0.0.1 port={self.primary.port} user=postgres "
                f"application_name={STANDBY_NAME}'\n"
            )
        self.standby.start()
        # Only now: with no standby yet, every commit on the primary would wait for one.
        self.primary.query(f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'")
        self.primary.query("SELECT pg_reload_conf()")
        self._wait_synchronous()

    @property
    def url(self) -> str:
        hosts = f"127.0.0.1:{self.primary.port},127.0.0.1:{self.standby.port}"
        return f"postgresql://postgres@{hosts}/postgres?target_session_attrs=read-write&connect_timeout=2"

    def _wait_synchronous(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rows = self.primary.query(
                "SELECT sync_state FROM pg_stat_replication WHERE application_name = %s", (STANDBY_NAME,)
            )
            if rows == [("sync",)]:
                return
            time.sleep(0.1)
        raise AssertionError("the standby did not become a synchronous standby")

    def close(self) -> None:
        for server in (self.primary, self.standby):
            with contextlib.suppress(subprocess.CalledProcessError):
                server.stop()
        shutil.rmtree(self.directory, ignore_errors=True)
