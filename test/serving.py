"""Helpers for tests that start the service as a real process and talk to it over HTTP."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from scripts.ports import free_port

ROOT = Path(__file__).resolve().parent.parent


def start(module: str, env: dict[str, str], *args: str) -> subprocess.Popen:
    """Start `python -m module` from the project root with `env` added to ours."""
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=os.environ | env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_http(url: str, process: subprocess.Popen, seconds: float = 30) -> int:
    """Poll `url` until it answers; returns its status. Fails if the process exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen, signum: int) -> str:
    """Signal the process, wait for it, and return everything it printed."""
    process.send_signal(signum)
    output, _ = process.communicate(timeout=30)
    return output


class ServeInstance:
    """`make serve` (WORKERS processes) on a port of its own, against `database_url`."""

    def __init__(self, database_url: str, *, workers: int = 2, **settings: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {"DATABASE_URL": database_url, "PORT": str(self.port), "WORKERS": str(workers), "LOG_LEVEL": "WARNING"}
        self.process = start("scripts.serve", env | settings)

    def wait_ready(self) -> None:
        assert wait_for_http(f"{self.url}/readyz", self.process, seconds=60) == 200

    def stop(self) -> str:
        import signal

        return stop(self.process, signal.SIGTERM)
