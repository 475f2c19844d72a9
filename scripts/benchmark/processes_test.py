import os
import subprocess
import sys

from scripts.benchmark.processes import cpu_seconds, rss_mb, worker_cpu_seconds, worker_memory_mb, worker_pids


def test_worker_pids_finds_spawned_children_and_rss_is_read_from_proc():
    code = "import multiprocessing as m, time; m.get_context('spawn').Process(target=time.sleep, args=(5,)).start(); time.sleep(5)"
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(50):
            if worker_pids(parent.pid):
                break
            subprocess.run(["sleep", "0.1"], check=True)
        assert len(worker_pids(parent.pid)) == 1
        assert rss_mb(os.getpid()) > 10
        assert len(worker_memory_mb(parent.pid)) == 1
    finally:
        parent.kill()
        parent.wait()


def test_cpu_time_is_read_from_proc_and_summed_over_the_workers():
    code = "import multiprocessing as m, time; m.get_context('spawn').Process(target=sum, args=(range(10**9),)).start(); time.sleep(5)"
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        for _ in range(50):
            if worker_pids(parent.pid):
                break
            subprocess.run(["sleep", "0.1"], check=True)
        first = worker_cpu_seconds(parent.pid)
        subprocess.run(["sleep", "0.5"], check=True)
        busy = worker_cpu_seconds(parent.pid) - first  # the worker spins: about 0.5 s of CPU
        assert 0.2 < busy < 0.7
        assert cpu_seconds(os.getpid()) > 0
    finally:
        parent.kill()
        parent.wait()
