"""`make bench-client`: what the client library adds to watching, a cached read with the service
down, and the CLI's export -> import round trip (see scripts/benchmark/client.py)."""

import sys

from scripts.benchmark.client import main

if __name__ == "__main__":
    sys.exit(main())
