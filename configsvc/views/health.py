"""What readiness reads: the migrations the database has applied (none before the first run)."""

from psycopg2.extensions import connection

from configsvc.db.session import Session

TABLE_EXISTS = "SELECT to_regclass('migrations') IS NOT NULL AS present"
SELECT_APPLIED = "SELECT version, checksum FROM migrations"


async def applied_migrations(session: Session) -> set[tuple[int, str]]:
    """(version, checksum) of every applied migration; empty on a database never migrated."""
    return await session.call(_applied)


def _applied(conn: connection) -> set[tuple[int, str]]:
    # Two statements in one hop: the table is looked up first, so its absence is an answer, not an error.
    with conn.cursor() as cursor:
        cursor.execute(TABLE_EXISTS)
        if not cursor.fetchone()["present"]:
            return set()
        cursor.execute(SELECT_APPLIED)
        return {(row["version"], row["checksum"]) for row in cursor.fetchall()}
