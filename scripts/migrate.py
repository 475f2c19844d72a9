"""`make migrate`: apply pending migrations (or `status`) to the configured database."""

import sys

from configsvc.migrations import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
