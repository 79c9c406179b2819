"""A time budget per page: extraction that runs past it stops with `ExtractionTimeout`.

Extraction takes about 2 s per MB of HTML, and a hostile page can be built to take far longer;
without a limit one such page holds a crawl's only extraction worker. `time_limit` arms a timer
of the process's CPU time (ITIMER_PROF, SIGPROF) around the work, so the Python code of extraction
is interrupted wherever it is. CPU time, not wall time: on a machine shared with other work a page
is not rejected for the time it waited for a core. Where no timer can be armed (a thread other
than the main one) there is no limit. Code stuck inside one C
call is not interrupted by it: the crawl's extraction pool (crawler/extractpool.py) also kills a
worker that holds a page well past the budget.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

DEFAULT_TIME_BUDGET = 20.0  # CPU seconds per page; a 3-million-character page (the most extraction reads) takes ~6 s


class ExtractionTimeout(BaseException):
    """Extraction of one page ran past its time budget. A BaseException, like KeyboardInterrupt, so
    the broad `except Exception` guards inside extraction do not swallow it."""

    def __init__(self, seconds: float):
        super().__init__(f"extraction took longer than its {seconds:g} s budget")
        self.seconds = seconds


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ExtractionTimeout in the block once it has used `seconds` of CPU (None or <= 0: no limit)."""
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: FrameType | None) -> None:
        raise ExtractionTimeout(seconds)

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def hard_limit(budget: float) -> float:
    """How long (wall time) a worker process may hold a page before it is killed: the CPU budget
    with room for a busy machine, and time for the timer to act and the answer to travel."""
    return budget * 3 + 10.0

