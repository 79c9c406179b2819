"""Extraction worker processes for a crawl, answered on the reactor's own event loop.

Each worker has a pipe of its own and gets one page at a time: the crawl process sends a page
only to an idle worker (so the send never waits on a full pipe), and the event loop reads each
worker's answer when its pipe becomes readable (`loop.add_reader`). concurrent.futures'
ProcessPoolExecutor, used before, runs a management thread and a queue-feeder thread in the
crawl process that took the GIL from the reactor for every page (docs/benchmarks.md).

A worker that dies (out of memory, a crash in a C extension) fails the page it held with
`WorkerDied` and is replaced; the caller may try the page again. Each page has a time budget
(`time_budget`, pipelines/timelimit.py) that the worker enforces itself; a worker that holds a page
well past it (stuck inside one C call) is killed and replaced, and the page's answer is an
Extraction with an `extract_timeout` problem — a rejection with a reason, not a retry. Workers ignore Ctrl-C (the crawl
process shuts down gracefully and still needs them for the pages in flight) and leave when the
crawl process is gone (`kill -9`).
"""
from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time

from pipelines.model import Extraction
from pipelines.timelimit import DEFAULT_TIME_BUDGET, ExtractionTimeout, hard_limit

logger = logging.getLogger(__name__)


class WorkerDied(RuntimeError):
    pass


# --- a worker process ---------------------------------------------------------------------------
def _exit_with_parent(parent_pid: int) -> None:
    """A worker of a crawl process killed with -9 would wait for work forever: leave with it."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _serve(conn, parent_pid: int, warm_up, budget: float | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    from pipelines.ingest import run_extraction
    if warm_up is not None:  # load modules, rules, OpenCC's dictionaries before the first page
        run_extraction(warm_up)
    conn.send(os.getpid())
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        page, hints = task
        result = run_extraction(page, hints, budget)  # an Extraction, with its problem if it failed
        try:
            conn.send(result)
        except Exception as e:  # noqa: BLE001 - a result that does not pickle
            conn.send(Extraction.failed("extract_error",
                                        f"RuntimeError: {e.__class__.__name__} while returning the extraction: {e}"))


# --- the crawl process's side -----------------------------------------------------------------
class _Worker:
    def __init__(self, ctx, warm_up, budget):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child, os.getpid(), warm_up, budget), name="extract-worker",
                                   daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.future: asyncio.Future | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.overdue: asyncio.TimerHandle | None = None  # kills the worker if it holds its page too long


class ExtractionPool:
    def __init__(self, workers: int, warm_up=None, time_budget: float | None = DEFAULT_TIME_BUDGET):
        self.ctx = multiprocessing.get_context("spawn")  # never fork a process that runs a reactor
        self.warm_up = warm_up
        self.time_budget = time_budget
        self.workers = [_Worker(self.ctx, warm_up, time_budget) for _ in range(max(1, workers))]
        self.idle: collections.deque[_Worker] = collections.deque()
        self.waiting: collections.deque = collections.deque()  # (page, hints, future)
        self.closed = False
        self.last_error: object = None  # why the last worker died

    def wait_ready(self, timeout: float = 120) -> None:
        """Block until every worker has warmed up (before the crawl's first request)."""
        deadline = time.monotonic() + timeout
        for worker in self.workers:
            if not worker.ready:
                if not worker.conn.poll(max(0.0, deadline - time.monotonic())):
                    raise WorkerDied(f"an extraction worker did not start in {timeout:.0f}s")
                self._read_ready(worker)

    def _read_ready(self, worker: _Worker) -> None:
        try:
            worker.conn.recv()
        except (EOFError, OSError) as e:
            raise WorkerDied(f"an extraction worker died while starting: {e!r}") from None
        worker.ready = True
        self.idle.append(worker)

    async def run(self, page, hints=None):
        """run_extraction(page, hints) in a worker: an Extraction (with its problem if it failed).
        Raises WorkerDied when the worker died holding the page (the caller may try again)."""
        if self.closed:
            raise WorkerDied("the extraction pool is closed")
        if not self.workers:  # the last one died before it was ready: nothing would ever answer
            raise WorkerDied(f"no extraction worker left: {self.last_error!r}")
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((page, hints, future))
        self._dispatch()
        return await future

    def _dispatch(self) -> None:
        while self.idle and self.waiting:
            page, hints, future = self.waiting.popleft()
            if future.done():  # cancelled while it waited
                continue
            worker = self.idle.popleft()
            self._listen(worker)
            worker.future = future
            if self.time_budget:
                worker.overdue = worker.loop.call_later(hard_limit(self.time_budget), self._overdue, worker)
            try:
                worker.conn.send((page, hints))
            except (OSError, ValueError) as e:
                self._died(worker, e)

    def _listen(self, worker: _Worker) -> None:
        if worker.loop is None:
            worker.loop = asyncio.get_running_loop()
            worker.loop.add_reader(worker.conn.fileno(), self._readable, worker)

    def _readable(self, worker: _Worker) -> None:
        if not worker.ready:  # a replacement worker reporting that it has warmed up
            try:
                self._read_ready(worker)
            except WorkerDied as e:
                self._died(worker, e)
            self._dispatch()
            return
        try:
            result = worker.conn.recv()
        except (EOFError, OSError) as e:
            self._died(worker, e)
            return
        future, worker.future = worker.future, None
        self._cancel_overdue(worker)
        if future is not None and not future.done():
            future.set_result(result)
        self.idle.append(worker)
        self._dispatch()

    def _cancel_overdue(self, worker: _Worker) -> None:
        if worker.overdue is not None:
            worker.overdue.cancel()
            worker.overdue = None

    def _overdue(self, worker: _Worker) -> None:
        """The worker has held its page far past the time budget: the page is answered with an
        `extract_timeout` problem (rejected, not retried) and the worker is killed and replaced."""
        worker.overdue = None
        seconds = hard_limit(self.time_budget)
        logger.error("extraction worker %s held a page for %.0f s: killing it", worker.process.pid, seconds)
        if worker.future is not None and not worker.future.done():
            worker.future.set_result(Extraction.failed("extract_timeout", str(ExtractionTimeout(self.time_budget))))
        worker.process.kill()
        self._died(worker, f"killed after holding a page for {seconds:.0f} s")
        self._dispatch()

    def _died(self, worker: _Worker, error) -> None:
        self._cancel_overdue(worker)
        self._forget(worker)
        self.last_error = error
        worker.process.join(timeout=1)
        logger.error("extraction worker %s died (exit code %s): %r", worker.process.pid, worker.process.exitcode, error)
        if worker.future is not None and not worker.future.done():
            worker.future.set_exception(WorkerDied(f"extraction worker died: {error!r}"))
        # A worker that died before it was ready is not replaced: its replacement would die the
        # same way (a broken install), one spawn after another, while pages wait for ever.
        if not self.closed and worker.ready:
            replacement = _Worker(self.ctx, self.warm_up, self.time_budget)
            self.workers.append(replacement)
            self._listen(replacement)
        if not self.workers:
            self._fail_waiting(WorkerDied(f"no extraction worker left: {error!r}"))

    def _fail_waiting(self, error: Exception) -> None:
        for _, _, future in self.waiting:
            if not future.done():
                future.set_exception(error)
        self.waiting.clear()

    def _forget(self, worker: _Worker) -> None:
        self._cancel_overdue(worker)
        if worker.loop is not None:
            worker.loop.remove_reader(worker.conn.fileno())
            worker.loop = None
        if worker in self.workers:
            self.workers.remove(worker)
        if worker in self.idle:
            self.idle.remove(worker)
        worker.conn.close()

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self.workers]

    def close(self, timeout: float = 10) -> None:
        """Stop every worker (pages still held by one fail with WorkerDied)."""
        self.closed = True
        for worker in list(self.workers):
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        deadline = time.monotonic() + timeout
        for worker in list(self.workers):
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(1)
            if worker.future is not None and not worker.future.done():
                worker.future.set_exception(WorkerDied("the extraction pool closed"))
            self._forget(worker)
        self._fail_waiting(WorkerDied("the extraction pool closed"))
