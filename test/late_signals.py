"""A write that is visible to every reader for tens of milliseconds before PostgreSQL signals its
notifications: the window in which a plain round trip on a listening connection answers without
the notification of a commit that anyone can already read.

PostgreSQL's CommitTransaction (src/backend/access/transam/xact.c) makes a commit visible
(ProcArrayEndTransaction), releases its locks, deletes the files of relations dropped at commit
(smgrDoPendingDeletes) and only then signals the listening backends (AtCommit_Notify). A
transaction that also drops many temporary tables at commit stretches that window from microseconds
to tens of milliseconds, which makes the interleaving of issue 31 happen every time instead of once
in a hundred thousand reads.
"""

import threading
import time

import psycopg2
from psycopg2 import sql

TEMPORARY_TABLES = 1500


class LateSignal:
    """Runs `statement` (in a transaction that also makes TEMPORARY_TABLES temporary tables, dropped
    at commit) on a thread of its own; `wait_visible` returns once its effect can be read."""

    def __init__(self, dsn: str, statement: str, params: tuple = (), tables: int = TEMPORARY_TABLES) -> None:
        self._dsn = dsn
        self._statement = statement
        self._params = params
        self._tables = tables
        self._thread = threading.Thread(target=self._write, daemon=True)
        self.error: BaseException | None = None

    def __enter__(self) -> "LateSignal":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._thread.join(timeout=60)

    def _write(self) -> None:
        try:
            conn = psycopg2.connect(self._dsn)
            try:
                with conn.cursor() as cursor:
                    for n in range(self._tables):
                        cursor.execute(
                            sql.SQL("CREATE TEMPORARY TABLE {} (x int) ON COMMIT DROP").format(
                                sql.Identifier(f"late_signal_{n}")
                            )
                        )
                    cursor.execute(self._statement, self._params or None)
                conn.commit()
            finally:
                conn.close()
        except BaseException as error:
            self.error = error

    def wait_visible(self, query: str, params: tuple, expected: object, seconds: float = 30) -> None:
        """Poll (on a connection of its own) until `query` returns `expected` in its first column."""
        conn = psycopg2.connect(self._dsn)
        conn.autocommit = True
        try:
            deadline = time.monotonic() + seconds
            with conn.cursor() as cursor:
                while True:
                    cursor.execute(query, params)
                    if cursor.fetchone()[0] == expected:
                        return
                    assert self.error is None, self.error
                    assert time.monotonic() < deadline, "the write never became visible"
        finally:
            conn.close()
