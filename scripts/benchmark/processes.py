"""The service's worker processes and their memory, read from /proc (psutil is not a dependency)."""

from contextlib import suppress
from pathlib import Path


def worker_pids(parent: int) -> list[int]:
    """uvicorn's worker processes under `parent` (multiprocessing spawn children), from /proc."""
    found, pending = [], [parent]
    while pending:
        pid = pending.pop()
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with suppress(OSError):
                pending += [int(child) for child in (task / "children").read_text().split()]
        if pid != parent:
            with suppress(OSError):
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(pid)
    return sorted(found)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def worker_memory_mb(parent: int) -> list[float]:
    """The RSS of each worker; of `parent` itself when it has none (uvicorn with one worker serves in
    its own process)."""
    workers = worker_pids(parent)
    return sorted(rss_mb(pid) for pid in workers) if workers else [rss_mb(parent)]
