"""`make serve`: production serving (WORKERS processes, uvloop + httptools, no reload)."""

import sys

from configsvc.server import serve
from configsvc.settings import SettingsError, load_settings

if __name__ == "__main__":
    try:
        settings = load_settings()
    except SettingsError as error:
        sys.exit(f"serve: {error}")
    sys.exit(serve(settings))
