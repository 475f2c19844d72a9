"""The edge the listener's sync point rests on (configsvc/db/listener.py), shown on PostgreSQL 16:
a plain round trip on a listening connection can answer without the notification of a commit that
is already visible; a round trip that NOTIFYs a marker of its own cannot."""

import select

import psycopg2
import psycopg2.sql

from test.late_signals import LateSignal
from test.sql import sql


def listening(dsn: str, *channels: str):
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cursor:
        for channel in channels:
            cursor.execute(psycopg2.sql.SQL("LISTEN {}").format(psycopg2.sql.Identifier(channel)))
    return conn


def visible_write(dsn: str) -> LateSignal:
    sql(
        dsn,
        "CREATE TABLE IF NOT EXISTS register (v int); INSERT INTO register SELECT 0 WHERE NOT EXISTS (SELECT FROM register)",
    )
    return LateSignal(dsn, "UPDATE register SET v = v + 1; NOTIFY changes, 'written'")


def test_a_commit_is_visible_before_a_plain_round_trip_on_a_listener_hears_it(database_url):
    listener = listening(database_url, "changes")
    try:
        with visible_write(database_url) as write:
            write.wait_visible("SELECT v FROM register", (), 1)
            with listener.cursor() as cursor:
                cursor.execute("SELECT 1")
            assert [n.payload for n in listener.notifies] == []  # visible, yet not heard
            # It is heard once the writer's backend signals, later.
            while not listener.notifies:
                select.select([listener], [], [], 5)
                listener.poll()
            assert [n.payload for n in listener.notifies] == ["written"]
    finally:
        listener.close()


def test_a_marker_notified_after_a_commit_is_visible_arrives_after_its_notification(database_url):
    listener = listening(database_url, "changes", "marker")
    try:
        with visible_write(database_url) as write:
            write.wait_visible("SELECT v FROM register", (), 1)
            with listener.cursor() as cursor:
                cursor.execute("SELECT pg_notify('marker', 'm')")
            assert [(n.channel, n.payload) for n in listener.notifies] == [("changes", "written"), ("marker", "m")]
    finally:
        listener.close()
