"""What one app runs with, typed and in one place: its settings, the migrations it ships, its
metrics and its compiled JSON Schemas from the start; the database, the read side and the held
requests while it serves (its lifespan opens them). The routes and middleware reach it through `api/deps.py`."""

from configsvc.db.pool import Database
from configsvc.metrics import Metrics
from configsvc.migrations import MigrationFile
from configsvc.settings import Settings
from configsvc.validation.validators import Validators
from configsvc.views.reader import Reader
from configsvc.views.watch import Watches


class Services:
    database: Database
    reader: Reader
    watches: Watches

    def __init__(self, settings: Settings, migrations: list[MigrationFile], metrics: Metrics | None) -> None:
        self.settings = settings
        self.migrations = migrations
        self.metrics = metrics
        self.validators = Validators()
