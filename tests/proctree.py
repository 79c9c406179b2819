"""A process and all its descendants, read from /proc: the memory and CPU of a crawl (its
extraction workers and writer included) as tests/test_faults.py and the benchmarks measure them."""
from __future__ import annotations

import os
import threading
import time


def children(pid: int) -> list[int]:
    """The direct children of a process (of each of its threads). A thread or the process may end
    while it is read: what is gone has no children."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
        except OSError:  # the thread ended between the listing and the read
            continue
    return found


def tree_pids(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children(p)
    return found


def rss(pid: int) -> int:
    """Resident memory (bytes) of one process; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):  # gone, or a zombie (no VmRSS line)
        return 0


def tree_rss(pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants."""
    return sum(rss(p) for p in tree_pids(pid))


def own_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process itself used so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


class TreeSampler:
    """Samples the process tree of `proc` (a Popen) every `interval` seconds, in a thread, until it
    exits: `peak_rss` in bytes and, with cpu=True, `cpu`: pid -> CPU seconds it had used by its
    last sample. A context manager: the thread starts on entry and is joined on exit."""

    def __init__(self, proc, interval: float = 0.1, cpu: bool = False):
        self.proc, self.interval, self.with_cpu = proc, interval, cpu
        self.peak_rss, self.cpu = 0, {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while self.proc.poll() is None:
            self.peak_rss = max(self.peak_rss, tree_rss(self.proc.pid))
            if self.with_cpu:
                for pid in tree_pids(self.proc.pid):
                    self.cpu[pid] = max(self.cpu.get(pid, 0.0), own_cpu(pid))
            time.sleep(self.interval)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._thread.join()
