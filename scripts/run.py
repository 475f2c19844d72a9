"""`make run`: serve the API for development (embedded PostgreSQL 16 when DATABASE_URL is empty)."""

import sys

from configsvc.server import run
from configsvc.settings import SettingsError, load_settings

if __name__ == "__main__":
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.exit(f"run: {error}")
    sys.exit(run(settings))
