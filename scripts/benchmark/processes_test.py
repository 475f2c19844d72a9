import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from scripts.benchmark.processes import cpu_seconds, rss_mb, worker_cpu_seconds, worker_memory_mb, worker_pids


@contextmanager
def parent_of_one_worker(target: str, args: str) -> Iterator[int]:
    """A process that spawns one child running `target(*args)` (as uvicorn spawns its workers);
    its pid, once the child is there."""
    code = (
        f"import multiprocessing as m, time; m.get_context('spawn').Process(target={target}, args={args}).start(); "
        "time.sleep(5)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    children: list[int] = []
    try:
        for _ in range(50):
            if children := worker_pids(parent.pid):
                break
            subprocess.run(["sleep", "0.1"], check=True)
        yield parent.pid
    finally:
        children = worker_pids(parent.pid) or children
        parent.kill()
        parent.wait()
        for child in children:  # orphaned, a spinning child would go on loading the machine
            with suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)


def test_worker_pids_finds_spawned_children_and_rss_is_read_from_proc():
    with parent_of_one_worker("time.sleep", "(5,)") as parent:
        assert len(worker_pids(parent)) == 1
        assert rss_mb(os.getpid()) > 10
        assert len(worker_memory_mb(parent)) == 1


def test_cpu_time_is_read_from_proc_and_summed_over_the_workers():
    with parent_of_one_worker("sum", "(range(10**9),)") as parent:
        first = worker_cpu_seconds(parent)
        subprocess.run(["sleep", "0.5"], check=True)
        busy = worker_cpu_seconds(parent) - first  # the worker spins: about 0.5 s of CPU
        assert 0.2 < busy < 0.7
        assert cpu_seconds(os.getpid()) > 0
