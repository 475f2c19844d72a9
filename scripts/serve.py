"""`make serve`: production serving (WORKERS processes, uvloop + httptools, no reload)."""

import sys

from configsvc.server import serve
from configsvc.settings import settings_or_exit

if __name__ == "__main__":
    sys.exit(serve(settings_or_exit("serve")))
