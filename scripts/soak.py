"""`make soak`: a bounded soak against make-run-style serving; prints `N acknowledged, M lost, K 5xx` last."""

import sys

from configsvc.soak import main

if __name__ == "__main__":
    sys.exit(main())
