"""The one helper for tests' own SQL: connect, run one statement, fetch what it returns, close."""

import psycopg2
from psycopg2 import sql as sql_composition


def sql(
    dsn: str, statement: str | sql_composition.Composable, params: tuple | dict = (), *, autocommit: bool = False
) -> list[tuple]:
    """Run `statement` in a transaction of its own (or in autocommit, for CREATE DATABASE and the
    like) and return its rows ([] when it returns none)."""
    conn = psycopg2.connect(dsn)
    try:
        if autocommit:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute(statement, params or None)
                return cursor.fetchall() if cursor.description else []
        with conn, conn.cursor() as cursor:
            cursor.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()
