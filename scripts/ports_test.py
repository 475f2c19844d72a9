import socket

from scripts.ports import free_port


def test_the_port_can_be_bound_on_loopback():
    port = free_port()

    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        assert server.getsockname()[1] == port
