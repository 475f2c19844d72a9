"""A free loopback port, for the tools that start a server of their own (soak, bench, tests)."""

import socket


def free_port() -> int:
    """A port nothing listens on right now (the kernel picks it); free until someone binds it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
