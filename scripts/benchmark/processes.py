"""The service's worker processes, their memory and CPU time, read from /proc (psutil is not a
dependency)."""

import os
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


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time `pid` has used (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_cpu_seconds(parent: int) -> float:
    """The CPU time of all the service's workers together (of `parent` when it has none)."""
    total = 0.0
    for pid in worker_pids(parent) or [parent]:
        with suppress(OSError):
            total += cpu_seconds(pid)
    return total
