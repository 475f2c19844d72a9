"""No blocking psycopg2 call may run on the event loop thread."""

import threading
from typing import ClassVar

import pytest

from configsvc.db.connection import Connection
from configsvc.db.pool import Database
from configsvc.main import create_app
from test.client import app_client, settings_for

pytestmark = pytest.mark.anyio


class RecordingConnection(Connection):
    """Records the thread of every call that talks to the server."""

    threads: ClassVar[set[int]] = set()

    def cursor(self, *args, **kwargs):
        RecordingConnection.threads.add(threading.get_ident())
        return super().cursor(*args, **kwargs)

    def commit(self):
        RecordingConnection.threads.add(threading.get_ident())
        return super().commit()

    def rollback(self):
        RecordingConnection.threads.add(threading.get_ident())
        return super().rollback()


async def test_every_database_call_runs_off_the_event_loop_thread(database_url, monkeypatch):
    original_init = Database.__init__

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs, connection_factory=RecordingConnection)

    monkeypatch.setattr(Database, "__init__", recording_init)
    RecordingConnection.threads = set()
    app = create_app(settings_for(database_url))

    async with app_client(app) as client:
        app_id = (await client.post("/api/v1/applications", json={"name": "a"})).json()["id"]
        config = await client.post("/api/v1/configurations", json={"application_id": app_id, "name": "c"})
        await client.put(f"/api/v1/configurations/{config.json()['id']}", json={"name": "c", "config": {"k": 1}})
        await client.get(f"/api/v1/applications/{app_id}")
        await client.get("/api/v1/applications")
        await client.post("/api/v1/applications", json={"name": "a"})  # 409: rolled back
        await client.get("/readyz")

    assert RecordingConnection.threads, "the recording connection was not used"
    assert threading.get_ident() not in RecordingConnection.threads
