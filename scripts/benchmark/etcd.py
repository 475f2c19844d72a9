"""etcd, the peer a user would deploy instead, run beside the service with the same documents.

Its v3 JSON gateway is what an HTTP client of etcd uses: `POST /v3/kv/range` to read one key (a
linearizable read, etcd's default), `POST /v3/kv/put` to write one. Keys and values travel base64.
"""

import base64
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from scripts.ports import free_port

ETCD_MISSING = (
    "make bench measures etcd beside the service and will not run without it: install it with "
    "`make tools` (apt-get install etcd-server) or `brew install etcd` (macOS)."
)
# etcd refuses a transaction of more operations than this (--max-txn-ops).
TXN_OPS = 128
KEY_PREFIX = "/configurations/"


def require_etcd() -> str:
    path = shutil.which("etcd")
    if path is None:
        raise SystemExit(ETCD_MISSING)
    return path


def b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode() if isinstance(data, str) else data).decode()


class Etcd:
    """A single-member etcd on loopback ports of its own, data under `data_dir`, stopped by stop()."""

    def __init__(self, data_dir: Path) -> None:
        self.port, peer = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        shutil.rmtree(data_dir, ignore_errors=True)
        self.process = subprocess.Popen(
            [
                require_etcd(),
                "--data-dir", str(data_dir),
                "--listen-client-urls", self.url,
                "--advertise-client-urls", self.url,
                "--listen-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
                "--initial-cluster", f"default=http://127.0.0.1:{peer}",
                "--log-level", "error",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            with suppress(OSError):
                if self._post("/v3/maintenance/status", {}).get("version"):
                    return
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("bench: etcd did not start")
            time.sleep(0.1)

    def _post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def load(self, documents: Iterable[tuple[str, bytes]]) -> int:
        """Put every (key, value), TXN_OPS to a transaction; returns how many were put."""
        batch: list[dict] = []
        count = 0
        for key, value in documents:
            batch.append({"request_put": {"key": b64(KEY_PREFIX + key), "value": b64(value)}})
            if len(batch) == TXN_OPS:
                count += self._commit(batch)
                batch = []
        return count + (self._commit(batch) if batch else 0)

    def _commit(self, operations: list[dict]) -> int:
        self._post("/v3/kv/txn", {"success": operations})
        return len(operations)

    def get(self, key: str) -> bytes | None:
        kvs = self._post("/v3/kv/range", {"key": b64(KEY_PREFIX + key)}).get("kvs", [])
        return base64.b64decode(kvs[0]["value"]) if kvs else None

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
