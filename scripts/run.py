"""`make run`: serve the API for development (embedded PostgreSQL 16 when DATABASE_URL is empty)."""

import sys

from configsvc.server import run
from configsvc.settings import settings_or_exit

if __name__ == "__main__":
    sys.exit(run(settings_or_exit("run")))
