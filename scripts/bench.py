"""`make bench`: measure the service side by side with its baselines (needs wrk)."""

import sys

from scripts.benchmark.runner import main

if __name__ == "__main__":
    sys.exit(main())
