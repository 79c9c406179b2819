"""A time budget per page: extraction that runs past it stops with `ExtractionTimeout`.

Extraction takes about 2 s per MB of HTML, and a hostile page can be built to take far longer;
without a limit one such page holds a crawl's only extraction worker. `time_limit` arms a timer
(SIGALRM) around the work, so the Python code of extraction is interrupted wherever it is; where
no timer can be armed (a thread other than the main one) it only measures. Code stuck inside one C
call is not interrupted by it: the crawl's extraction pool (crawler/extractpool.py) also kills a
worker that holds a page well past the budget.
"""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator

DEFAULT_TIME_BUDGET = 20.0  # seconds per page; a 3-million-character page (the most extraction reads) takes ~10 s


class ExtractionTimeout(BaseException):
    """Extraction of one page ran past its time budget. A BaseException, like KeyboardInterrupt, so
    the broad `except Exception` guards inside extraction do not swallow it."""

    def __init__(self, seconds: float):
        super().__init__(f"extraction took longer than its {seconds:g} s budget")
        self.seconds = seconds


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ExtractionTimeout in the block once `seconds` have passed (None or <= 0: no limit)."""
    if not seconds or seconds <= 0 or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum, frame):
        raise ExtractionTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def hard_limit(budget: float) -> float:
    """How long a worker process may hold a page before it is killed: the budget, and time for the
    timer to act and the answer to travel."""
    return budget * 1.5 + 5.0

